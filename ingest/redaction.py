"""Secrets out of everything the pipeline records, prints or renders.

A server may echo a credential in an error body in many spellings: as sent, JSON-escaped
(`\\/`, `\\u002F`), URL-encoded (`%2F` or `%2f`, `+` for a space), HTML-escaped (`&#47;`,
`&amp;`) or in base64 (an `Authorization: Basic` header, a token inside a longer encoded
string). `Scrubber` masks each secret in any of these spellings, even mixed within one
secret, by matching every character in any of its forms. A URL's user-info
(`http://user:pass@host`) is never shown: `public_url` drops it from the URL that is
recorded, and a Scrubber drops it from any URL in a text.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
SHORTEST = 4  # a user name or password shorter than this is masked only inside longer forms
_SPELLING_MAX = 36  # characters one character of a secret takes at most, in any spelling
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s]*@")
_JSON_SHORT = {'"': '"', "\\": "\\\\", "/": "/", "\b": "b", "\f": "f", "\n": "n", "\r": "r",
               "\t": "t"}
_HTML_NAMED = {"&": ("amp",), "<": ("lt",), ">": ("gt",), '"': ("quot",), "'": ("apos",)}


def _hex(value: int, width: int) -> str:
    """`value` in hexadecimal, either case, as a regular expression."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{value:0{width}x}")


def _character(char: str) -> str:
    """A regular expression for one character in any of its spellings."""
    units = char.encode("utf-16-be")
    forms = [re.escape(char),
             "".join(r"\\{1,4}u" + _hex(int.from_bytes(units[i:i + 2]), 4)
                     for i in range(0, len(units), 2)),
             "".join("%(?:25){0,3}" + _hex(byte, 2) for byte in char.encode()),
             f"&#0{{0,4}}{ord(char)};?", "&#[xX]0{0,4}" + _hex(ord(char), 1) + ";?"]
    if char in _JSON_SHORT:
        forms.append(r"\\{1,4}" + re.escape(_JSON_SHORT[char]))
    forms += [f"&{name};" for name in _HTML_NAMED.get(char, ())]
    if char == " ":
        forms.append(r"\+")
    return "(?:" + "|".join(forms) + ")"


def _base64_forms(secret: str) -> set[str]:
    """The secret in base64 and base64url: alone (padded or not), and the part of its
    encoding that is the same wherever it stands in a longer encoded string."""
    data = secret.encode()
    forms = set()
    for shift in (0, 1, 2):
        encoded = base64.b64encode(bytes(shift) + data).decode()
        if shift == 0:
            forms |= {encoded, encoded.rstrip("=")}
        end = len(bytes(shift) + data)
        inner = encoded[(0, 2, 3)[shift]:end // 3 * 4 + (0, 2, 3)[end % 3]]
        if len(inner) >= 8:
            forms.add(inner)
    return forms | {f.replace("+", "-").replace("/", "_") for f in forms}


def _userinfo(url: str) -> tuple[str | None, str | None]:
    """The user name and password of a URL, percent-decoded as a client sends them."""
    try:
        parts = urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:
        return None, None
    return (None if user is None else unquote(user),
            None if password is None else unquote(password))


def public_url(url: str) -> str:
    """The URL without its user-info: what may be recorded and shown of it."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO.sub(r"\1", url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class Scrubber:
    """Masks secrets in every spelling, and the user-info of URLs, in text to be shown.

    `secrets` (a token) are masked whatever their length. The user-info of `url`, when it
    is the credential, is masked too: `user:pass`, and the user name and the password
    each when at least SHORTEST characters long, lest a short user name mask the same
    letters throughout a message.
    """

    def __init__(self, secrets: Iterable[str] = (), url: str | None = None) -> None:
        strong = {s for s in secrets if s}
        user, password = _userinfo(url) if url else (None, None)
        if user is not None and password is not None:
            strong.add(f"{user}:{password}")
        weak = {s for s in (user, password) if s and len(s) >= SHORTEST}
        forms = strong | weak | {f for s in strong | weak for f in _base64_forms(s)}
        ordered = sorted(forms, key=len, reverse=True)
        self.reach = _SPELLING_MAX * max((len(f) for f in ordered), default=0)
        self._pattern = re.compile("|".join("".join(_character(c) for c in form)
                                            for form in ordered)) if ordered else None

    def __call__(self, text: str) -> str:
        """One line with no secret and no user-info of a URL."""
        return self.cut(text, cut_off=False)

    def cut(self, text: str, cut_off: bool) -> str:
        """As calling it, for a text that may have been `cut_off` in the middle of a secret:
        its last `reach` characters, where a secret may have begun, are left out."""
        end = len(text) - self.reach if cut_off else len(text)
        parts, at = [], 0
        for match in self._pattern.finditer(text) if self._pattern else ():
            if match.start() >= end:
                break
            parts += [text[at:match.start()], MASK]
            at = match.end()
        parts.append(text[at:max(at, end)])
        return " ".join(_USERINFO.sub(r"\1", "".join(parts)).split())
