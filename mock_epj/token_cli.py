"""``mock-epj token USER``: a tester's access token without a browser, by the real login.

It drives the SMART authorization code flow against a running server exactly as an app does:
discovery from the FHIR base, the authorize page (username and PIN posted to its form, the
redirect read rather than followed), then the code exchanged with its PKCE verifier. So the
token has passed the same PIN check and lock-out as any login, and is audited as that user.
Standard library only (urllib), like the rest of the mock.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "mock-epj-cli"
REDIRECT_URI = "http://127.0.0.1/callback"  # registered for this client; never listened on
DEFAULT_SCOPE = "openid fhirUser offline_access user/*.cruds"
DEFAULT_URL = "http://127.0.0.1:8080"
_REQUEST_FIELD = re.compile(r'name="request" value="([^"]+)"')


class TokenError(Exception):
    """The login failed; the message says why."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the redirect is read (its Location holds the code), never followed


_OPENER = urllib.request.build_opener(_NoRedirect)


def _call(url: str, form: dict[str, str] | None = None, timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    data = urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if form is not None else "GET")
    if form is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except (urllib.error.URLError, OSError) as error:
        raise TokenError(f"cannot reach {url}: {getattr(error, 'reason', error)}") from None


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _redirected(headers: dict[str, str], state: str) -> dict[str, str]:
    location = headers.get("Location", "")
    query = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
    if query.get("state") != state:
        raise TokenError("the server answered with another login's state")
    if "error" in query:
        raise TokenError(f"login refused: {query['error']}: {query.get('error_description', '')}")
    return query


def get_token(server_url: str, username: str, pin: str, scope: str = DEFAULT_SCOPE) -> dict[str, Any]:
    """The token endpoint's answer for a login as ``username`` (TokenError when refused)."""
    base = server_url.rstrip("/").removesuffix("/fhir")
    status, _, body = _call(f"{base}/fhir/.well-known/smart-configuration")
    if status != 200:
        raise TokenError(f"{base}/fhir has no SMART configuration (HTTP {status})")
    config = json.loads(body)
    verifier = secrets.token_urlsafe(64)
    state = secrets.token_urlsafe(24)
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": scope,
              "state": state, "nonce": secrets.token_urlsafe(24), "aud": f"{base}/fhir",
              "code_challenge": _s256(verifier), "code_challenge_method": "S256"}
    status, headers, body = _call(f"{config['authorization_endpoint']}?{urlencode(params)}")
    if status == 303:
        _redirected(headers, state)  # raises with the server's reason
    found = _REQUEST_FIELD.search(body.decode("utf-8", "replace"))
    if status != 200 or found is None:
        raise TokenError(f"the authorize page did not open (HTTP {status})")
    status, headers, body = _call(config["authorization_endpoint"],
                                  {"request": found.group(1), "username": username, "pin": pin, "action": "login"})
    if status == 401:
        raise TokenError("wrong username or PIN")
    if status == 429:
        raise TokenError(f"too many wrong PINs: locked for {headers.get('Retry-After', '?')} more seconds"
                         " (mock-epj unlock USER lifts it)")
    if status != 303:
        raise TokenError(f"the login form was refused (HTTP {status})")
    code = _redirected(headers, state)["code"]
    status, _, body = _call(config["token_endpoint"], {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "client_id": CLIENT_ID,
        "code_verifier": verifier})
    answer: dict[str, Any] = json.loads(body)
    if status != 200:
        raise TokenError(f"the code was not exchanged: {answer.get('error')}: {answer.get('error_description')}")
    return answer


def add_parser(sub: Any) -> None:
    token = sub.add_parser("token", help="log a demo user in (the SMART code flow) and print an access token",
                           description="Log in as USER through the running server's authorize page and"
                                       " print the access token (or the whole answer with --json).")
    token.add_argument("username", help="e.g. lege1")
    token.add_argument("--url", default=os.environ.get("MOCK_EPJ_URL", DEFAULT_URL),
                       help="the running mock EPJ (default: $MOCK_EPJ_URL or %(default)s)")
    token.add_argument("--pin", default=None,
                       help="the PIN (default: $MOCK_EPJ_PIN, else asked for; a PIN in a command line is seen by"
                            " other users of the machine)")
    token.add_argument("--scope", default=DEFAULT_SCOPE, help="SMART scopes to ask for (default: %(default)s)")
    token.add_argument("--json", action="store_true",
                       help="print the token endpoint's whole answer (refresh token, id_token, scope)")


def run(args: argparse.Namespace) -> int:
    pin = args.pin if args.pin is not None else os.environ.get("MOCK_EPJ_PIN")
    if pin is None:
        if not sys.stdin.isatty():
            print("mock-epj token: give the PIN with --pin or $MOCK_EPJ_PIN", file=sys.stderr)
            return 2
        pin = getpass.getpass(f"PIN for {args.username}: ")
    try:
        answer = get_token(args.url, args.username, pin, args.scope)
    except TokenError as error:
        print(f"mock-epj token: {error}", file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2) if args.json else answer["access_token"])
    return 0
