"""JSON on the wire: a request's body is parsed strictly, and an answer's Python value becomes
bytes once, at the edge.

Inside the server a response body is a Python value. Resources read from the store are already
JSON text; they travel as ``Fragment``s, never parsed only to be dumped again, and are spliced
into whatever holds them (a searchset, a batch response) when the whole answer is encoded.

``loads`` accepts only JSON that can be stored and sent again as valid JSON: no ``NaN`` or
``Infinity``, no number that does not fit a double (``1e999``) or is written with more than 40
characters, no lone surrogate (``"\\ud800"``: not text, and SQLite cannot store it), and no nesting
deeper than 100 (a FHIR resource nests a dozen levels; thousands exhaust Python's stack).
"""

from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 100  # arrays and objects inside each other
MAX_NUMBER_LENGTH = 40  # characters of one number as written
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # how a surrogate can get into a UTF-8 body
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadJson(ValueError):
    """A body that is not JSON, or JSON that could not be stored and sent again as valid JSON."""


def _number(text: str, kind: type[int] | type[float]) -> int | float:
    if len(text) > MAX_NUMBER_LENGTH:
        raise BadJson(f"the number {text[:20]}... has more than {MAX_NUMBER_LENGTH} characters")
    value = kind(text)
    if isinstance(value, float) and not math.isfinite(value):
        raise BadJson(f"the number {text} is too large to store")
    return value


def _constant(name: str) -> Any:
    raise BadJson(f"{name} is not a JSON number (JSON has no NaN or Infinity)")


def _check_tree(node: Any, depth: int = 1) -> None:
    """No deeper than MAX_DEPTH (recursion stops there, well inside Python's limit)."""
    if depth > MAX_DEPTH:
        raise BadJson(f"it is nested more than {MAX_DEPTH} levels deep")
    for item in node.values() if type(node) is dict else node:
        if type(item) is dict or type(item) is list:
            _check_tree(item, depth + 1)


def _check_text(node: Any) -> None:
    """No lone surrogate in a name or a string (only called when the body has a surrogate escape)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            if any(_SURROGATE.search(key) for key in node):
                raise BadJson("a name holds a lone surrogate (\\ud800-\\udfff), which is not text")
            stack.extend(node.values())
        elif type(node) is list:
            stack.extend(node)
        elif type(node) is str and _SURROGATE.search(node):
            raise BadJson("a string holds a lone surrogate (\\ud800-\\udfff), which is not text")


def loads(body: bytes | str) -> Any:
    """Parse a request's JSON body strictly (see the module's docstring); BadJson says why not."""
    try:
        value = json.loads(body, parse_float=lambda text: _number(text, float),
                           parse_int=lambda text: _number(text, int), parse_constant=_constant)
    except BadJson:
        raise
    except RecursionError:
        raise BadJson(f"it is nested more than {MAX_DEPTH} levels deep") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadJson(str(error)) from None
    if type(value) is dict or type(value) is list:
        _check_tree(value)
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if _SURROGATE_ESCAPE.search(raw):
        _check_text(value)
    return value

# json.dumps writes the placeholder's NUL characters as \u0000; a per-call nonce makes sure no
# string in the data can pass for one.
_PLACEHOLDER = re.compile(r'"\\u0000([0-9a-f]{16}):(\d+)\\u0000"')


@dataclass(frozen=True, slots=True)
class Fragment:
    """JSON text that is already serialised (a stored resource's body), kept as it is."""

    text: str


def dumps(value: Any) -> str:
    """Compact JSON text of ``value``, with every Fragment's text spliced in verbatim."""
    if isinstance(value, Fragment):
        return value.text
    fragments: list[str] = []
    nonce = ""

    def placeholder(item: Any) -> str:
        nonlocal nonce
        if not isinstance(item, Fragment):
            raise TypeError(f"{type(item).__name__} is not JSON serialisable")
        nonce = nonce or secrets.token_hex(8)
        fragments.append(item.text)
        return f"\0{nonce}:{len(fragments) - 1}\0"

    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=placeholder, allow_nan=False)
    if not fragments:
        return text

    def splice(match: re.Match[str]) -> str:
        return fragments[int(match[2])] if match[1] == nonce else match[0]

    return _PLACEHOLDER.sub(splice, text)


def encode(value: Any) -> bytes:
    """The body to send: nothing for None, else UTF-8 JSON."""
    return b"" if value is None else dumps(value).encode()
