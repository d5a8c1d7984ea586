"""Touch targets and accessible names, measured in the browser from Flutter's accessibility tree.

Every interactive node (a ``flt-semantics`` element with an interactive role or Flutter's
``flt-tappable`` mark, and every text input) on screen is measured with its bounding box: under
48 x 48 px it is too small for a finger (WCAG 2.5.8 asks 24, Material and our brief 48). Its name
is its ``aria-label``, its text, or the label Flutter put on the wrapper around it (a tooltip).
A node cut by the edge of a scrolling list is partly off screen, not small, and is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page

from mobile_app.ui import theme

_COLLECT = """(() => {
  const vw = window.innerWidth, vh = window.innerHeight;
  const passive = ['group', 'tablist', 'heading', 'text', 'img', 'list', 'dialog', 'alertdialog', 'menu',
                   'presentation', 'none', 'radiogroup', 'region', 'toolbar'];
  // Cut by scrolling: an edge on the edge of a scrolling list, or of a larger node around it (Flutter
  // clips a node to the list it scrolls in, and the clipping node is not always its direct parent).
  const cutOff = (e, r) => {
    for (let a = e.parentElement; a && a.tagName === 'FLT-SEMANTICS'; a = a.parentElement) {
      const b = a.getBoundingClientRect(), s = a.style;
      const scrolls = s && (s.overflowY === 'scroll' || s.overflowX === 'scroll');
      const larger = b.height > r.height + 1 || b.width > r.width + 1;
      const edge = Math.abs(r.top - b.top) < 1 || Math.abs(r.bottom - b.bottom) < 1
                   || Math.abs(r.left - b.left) < 1 || Math.abs(r.right - b.right) < 1;
      // A wide control (a full-width button or row) flush with an edge of a much taller node around
      // it is one the list cut (Flutter does not always mark the list as scrolling); a narrow one
      // (an icon button) is measured whatever its place.
      const wideCut = r.width > 96 && b.height > r.height + 96;
      if (edge && (scrolls || (larger && r.height < 24) || wideCut)) return true;
      // A text input reaching past the scrolling list it sits in (its own semantics node, clipped,
      // ends at the list's edge; the input keeps its full box) is cut too.
      const beyond = r.top < b.top - 1 || r.bottom > b.bottom + 1 || r.left < b.left - 1 || r.right > b.right + 1;
      if (scrolls && beyond) return true;
    }
    return false;
  };
  const name = e => (e.getAttribute('aria-label') || (e.innerText || '').trim()
                     || (e.parentElement && e.parentElement.getAttribute('aria-label')) || '').trim();
  const found = [];
  for (const e of document.querySelectorAll('flt-semantics[role], flt-semantics[flt-tappable], input, textarea')) {
    const role = e.getAttribute('role') || e.tagName.toLowerCase();
    if (passive.includes(role) && !e.hasAttribute('flt-tappable')) continue;
    const r = e.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0 || r.bottom <= 0 || r.top >= vh || r.right <= 0 || r.left >= vw) continue;
    const cut = cutOff(e, r);
    found.push({role: role, name: name(e).replace(/\\s+/g, ' ').slice(0, 60), width: r.width, height: r.height,
                cut: cut});
  }
  return found;
})()"""


@dataclass(frozen=True)
class Target:
    role: str
    name: str
    width: float
    height: float
    cut: bool  # partly scrolled out of its list


def targets(page: Page) -> list[Target]:
    return [Target(**found) for found in page.evaluate(_COLLECT)]


def problems(page: Page, screen: str) -> list[str]:
    """The interactive nodes on screen that are under 48 x 48 px or have no name."""
    found: list[str] = []
    for target in targets(page):
        if target.cut:
            continue
        if target.width < theme.TOUCH - 0.5 or target.height < theme.TOUCH - 0.5:
            found.append(f"{screen}: {target.role} {target.name!r} is {target.width:.0f} x {target.height:.0f} px")
        if not target.name:
            found.append(f"{screen}: {target.role} of {target.width:.0f} x {target.height:.0f} px has no name")
    return found
