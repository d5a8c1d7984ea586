"""The authorize page's HTML: username and PIN in Norwegian bokmål, and the page for a request that
cannot be sent back to its app.

One self-contained page (no scripts, no external assets, its style inline and allowed by hash in
the Content-Security-Policy), every field with a visible label, errors announced to screen
readers (role="alert"), controls at least 48 px high, text at WCAG AA contrast or better.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from mock_epj.scopes import IDENTITY_SCOPES, parse_resource_scope

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1a1a1a}"
    "main{max-width:26rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px}"
    "h1{font-size:1.5rem;margin-top:0}label{display:block;font-weight:600;margin-top:1rem}"
    "input{box-sizing:border-box;width:100%;min-height:48px;font-size:1.1rem;padding:.5rem;"
    "border:2px solid #555;border-radius:6px;margin-top:.25rem}"
    "input:focus,button:focus{outline:3px solid #0b5394;outline-offset:2px}"
    ".actions{display:flex;gap:1rem;margin-top:1.5rem}"
    "button{min-height:48px;min-width:48px;font-size:1.1rem;padding:.5rem 1.25rem;border-radius:6px;"
    "border:2px solid #0b5394;cursor:pointer}"
    ".primary{background:#0b5394;color:#fff}.secondary{background:#fff;color:#0b5394}"
    ".error{background:#fde8e8;color:#8a1111;border:2px solid #8a1111;border-radius:6px;padding:.75rem}"
    "ul{padding-left:1.25rem}"
)
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()

_VERBS = {"c": "opprette", "r": "lese", "u": "endre", "d": "slette", "s": "søke i"}
_IDENTITY = {
    "openid": "vite hvem du er",
    "fhirUser": "vite hvilken behandler du er i journalen",
    "profile": "se navnet ditt",
    "offline_access": "holde deg innlogget ut vakten uten ny PIN",
    "online_access": "holde deg innlogget mens du bruker appen",
}


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} og {words[-1]}"


def scope_lines(scope: str) -> list[str]:
    """What each granted scope lets the app do, in bokmål."""
    lines = []
    for word in scope.split():
        if word in IDENTITY_SCOPES:
            lines.append(_IDENTITY[word])
            continue
        rule = parse_resource_scope(word)
        if rule is None:
            continue
        what = ("alle opplysninger i journalen du har tjenstlig behov for" if rule.type == "*"
                else f"opplysninger av typen {rule.type} du har tjenstlig behov for")
        lines.append(f"{_join([_VERBS[letter] for letter in rule.permissions])} {what}")
    return lines


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"nb\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def login_page(request_id: str, client_name: str, scope: str, *, username: str = "",
               error: str | None = None) -> str:
    """The form: the app that asks, what it asks for, username, PIN, log in or cancel."""
    items = "".join(f"<li>{escape(line)}</li>" for line in scope_lines(scope))
    alert = (f'<p class="error" role="alert" id="feil">{escape(error)}</p>' if error else "")
    described = ' aria-describedby="feil"' if error else ""
    return _page("Logg inn – Visitt EPJ", (
        "<h1>Logg inn i EPJ</h1>"
        f"<p><strong>{escape(client_name)}</strong> ber om tilgang til å:</p><ul>{items}</ul>"
        f"{alert}"
        '<form method="post" action="/auth/authorize">'
        f'<input type="hidden" name="request" value="{escape(request_id)}">'
        '<label for="username">Brukernavn</label>'
        f'<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none"'
        f' spellcheck="false" required value="{escape(username)}"{described}>'
        '<label for="pin">PIN-kode</label>'
        f'<input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="current-password"'
        f' required{described}>'
        '<div class="actions">'
        '<button class="primary" type="submit" name="action" value="login">Logg inn</button>'
        '<button class="secondary" type="submit" name="action" value="cancel" formnovalidate>Avbryt</button>'
        "</div></form>"
    ))


def error_page(message: str) -> str:
    """A request that cannot go back to its app (unknown app, an address it did not register, a
    login that has expired): said here, never redirected."""
    return _page("Innloggingen kan ikke fullføres – Visitt EPJ", (
        "<h1>Innloggingen kan ikke fullføres</h1>"
        f'<p class="error" role="alert">{escape(message)}</p>'
        "<p>Gå tilbake til appen og start innloggingen på nytt.</p>"
    ))
