"""The README stays short and true: its length, the test command CI runs, its demo users and
dependencies, and every relative link in it and in docs/ (files and #anchors) leads somewhere."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from mock_epj.app import DEMO_LOGINS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_README_LINES = 160
# Pages another branch is writing; a link to one is accepted only while it is missing.
PENDING: dict[str, str] = {}  # pages linked before they exist: page -> where it will come from

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def markdown_files() -> list[Path]:
    return [README, *sorted((ROOT / "docs").rglob("*.md"))]


def section(text: str, title: str) -> str:
    """The body of the ``## title`` section."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def table_first_column(text: str) -> list[str]:
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [row.split("|")[1].strip() for row in rows[2:]]  # after the header and its rule


def anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {anchor(h) for h in _HEADING.findall(_FENCE.sub("", path.read_text(encoding="utf-8")))}


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """Relative links in ``path`` whose file or anchor does not exist (pending pages aside)."""
    text = _INLINE_CODE.sub("", _FENCE.sub("", path.read_text(encoding="utf-8")))
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, fragment = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        relative = linked.relative_to(root).as_posix() if linked.is_relative_to(root) else str(linked)
        if not linked.exists():
            if relative not in PENDING:
                broken.append(f"{target} (no file {relative})")
            continue
        if fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target} (no heading #{fragment} in {relative})")
    return broken


def test_the_readme_stays_short() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/"


def test_the_readme_test_command_is_exactly_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    ci_commands = [line.strip() for line in ci if line.strip().startswith("uv run pytest")]
    assert len(ci_commands) == 1, ci_commands
    fresh = section(README.read_text(encoding="utf-8"), "On a fresh machine")
    readme_commands = [line.strip() for line in fresh.splitlines()
                       if line.startswith("    ") and line.strip().startswith("uv run pytest")]
    assert readme_commands == ci_commands


def test_the_readme_demo_users_are_the_mocks_demo_logins() -> None:
    listed = table_first_column(section(README.read_text(encoding="utf-8"), "Demo users"))
    assert listed == [f"`{username}`" for username, _, _ in DEMO_LOGINS]


def test_every_dependency_is_in_the_readme_with_a_reason() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = [*project["project"]["dependencies"], *project["dependency-groups"]["dev"]]
    wanted = {re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower() for requirement in requirements}
    listed = {name.strip().lower() for cell in table_first_column(
        section(README.read_text(encoding="utf-8"), "Dependencies")) for name in cell.split(",")}
    assert wanted - listed == set(), "say why in the README's dependency table"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(path: Path) -> None:
    assert broken_links(path) == []


def test_pending_pages_are_still_missing() -> None:
    """Once a pending page has arrived, its links are checked like any other: drop it from PENDING."""
    arrived = [page for page in PENDING if (ROOT / page).exists()]
    assert arrived == [], f"{arrived} exist now: remove them from PENDING in tests/test_readme.py"


def test_the_link_check_finds_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## A section\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[fine](other.md#a-section) [here](#page) [web](https://example.org/x)\n"
        "[gone](missing.md) [no heading](other.md#nowhere) `[in code](missing-too.md)`\n"
        "```\n[in a fence](missing-three.md)\n```\n", encoding="utf-8")
    assert broken_links(page, tmp_path) == ["missing.md (no file missing.md)",
                                            "other.md#nowhere (no heading #nowhere in other.md)"]


@pytest.mark.parametrize(("heading", "expected"), [
    ("The walk of one patient id", "the-walk-of-one-patient-id"),
    ("`visitt-usage`", "visitt-usage"),
    ("Vital signs and NEWS2", "vital-signs-and-news2"),
    ("Lab results on the overview (\"Nyeste prøvesvar\")", "lab-results-on-the-overview-nyeste-prøvesvar"),
])
def test_anchors_are_githubs_heading_ids(heading: str, expected: str) -> None:
    assert anchor(heading) == expected
