"""Text from outside (file names, cells, reasons) made safe to print on a terminal.

A file name or a cell may carry terminal escape sequences (set the window title, clear the
screen, rewrite what was printed before), bidirectional overrides that make text read
differently from what it holds, or invisible characters. Printed through `printable`, they
show as Python-style escapes instead of acting. In the lowest layer so every layer may use it.
"""

from __future__ import annotations

import unicodedata

NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Format characters (category Cf) that words need: without the joiners some Persian and
# Indic words, and emoji sequences, are spelled differently.
KEPT_FORMAT = {"\u200c", "\u200d"}
# Printable to a terminal though `str.isprintable` says no: spaces other than U+0020,
# private-use characters, and code points newer than Python's Unicode tables.
KEPT_CATEGORIES = {"Zs", "Co", "Cn"}


def printable(text: str) -> str:
    """`text` with every control and invisible formatting character escaped.

    Escaped: C0 controls (ESC, BEL, ...; newline, carriage return and tab too, as \\n, \\r,
    \\t), DEL, C1 controls (U+0080-U+009F, which some terminals obey), bidirectional
    controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), the other format
    characters (zero-width space, byte-order mark, soft hyphen, ...) but the zero-width
    joiners, line and paragraph separators, and lone surrogates; as \\xNN, \\uNNNN or
    \\UNNNNNNNN. Everything else, accents and scripts included, is kept. A backslash is
    not escaped: an escape is told from the same text typed out only by its context.
    """
    if text.isprintable():
        return text
    return "".join(ch if _kept(ch) else _escape(ch) for ch in text)


def _kept(ch: str) -> bool:
    return ch.isprintable() or ch in KEPT_FORMAT or unicodedata.category(ch) in KEPT_CATEGORIES


def _escape(ch: str) -> str:
    if ch in NAMED:
        return NAMED[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
