"""The skeleton of the statisticians' pages, and the stylesheet every page shares (the
programme's pages of warehouse/site/ too).

Pages are plain HTML that open from the file system with no network: one stylesheet
(`style.css`, copied beside them as `<root>/style.css`), no script. Text is escaped here,
once; callers pass text and links, never markup, except through `Markup`.
"""

from __future__ import annotations

import html
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

STYLE = Path(__file__).with_name("style.css")
STYLE_NAME = "style.css"


class Markup(str):
    """HTML already escaped (made by this module), passed through as it is."""


def esc(value: object) -> Markup:
    """Text as HTML (markup made here passes as it is)."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value)))


def link(text: object, href: str | None) -> Markup:
    """A link, or the text alone when there is nowhere to go."""
    if not href:
        return esc(text)
    return Markup(f'<a href="{html.escape(href)}">{esc(text)}</a>')


def tag(text: str, kind: str | None = None) -> Markup:
    """A status word in a coloured tag: rejected, quarantined, warning, flagged, loaded..."""
    return Markup(f'<span class="tag {html.escape(kind or text)}">{esc(text)}</span>')


def join(parts: Iterable[object], separator: str = "; ") -> Markup:
    return Markup(esc(separator).join(esc(p) for p in parts))


def bullets(items: Iterable[object]) -> Markup:
    rows = "".join(f"<li>{esc(item)}</li>" for item in items)
    return Markup(f"<ul>{rows}</ul>") if rows else Markup("")


def table(columns: list[str], rows: Iterable[Iterable[object]], numeric: set[int] = frozenset()
          ) -> Markup:
    """A table of cells (text or Markup); columns at the indexes `numeric` align right."""
    def cell(kind: str, i: int, value: object) -> str:
        cls = ' class="num"' if i in numeric else ""
        return f"<{kind}{cls}>{esc(value)}</{kind}>"

    head = "".join(cell("th", i, c) for i, c in enumerate(columns))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>"
                   for row in rows)
    return Markup(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def box(content: object, kind: str = "info") -> Markup:
    return Markup(f'<div class="box {html.escape(kind)}">{esc(content)}</div>')


def facts(pairs: Iterable[tuple[str, object]]) -> Markup:
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in pairs)
    return Markup(f'<dl class="facts">{rows}</dl>')


def section(heading: str, *content: object) -> Markup:
    return Markup(f"<h2>{esc(heading)}</h2>" + "".join(esc(c) for c in content))


def relative(target: Path | str | None, page: Path) -> str | None:
    """`target` as a link from `page` (both paths on this machine)."""
    if not target:
        return None
    target = Path(str(target).removeprefix("file://"))
    try:
        return Path(os.path.relpath(target, page.parent)).as_posix()
    except ValueError:
        return target.as_uri()


def write(path: Path, root: Path, title: str, body: Iterable[object],
          nav: Iterable[tuple[str, Path]] = (), lead: str | None = None) -> Path:
    """Write a page at `path` whose stylesheet sits in `root` (installed there); `nav` lists
    (text, target) links of the header bar."""
    path.parent.mkdir(parents=True, exist_ok=True)
    install(root)
    style = relative(root / STYLE_NAME, path)
    links = "".join(f"<li>{link(text, relative(target, path))}</li>" for text, target in nav)
    page = (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)}</title><link rel=\"stylesheet\" href=\"{esc(style)}\">"
        "<link rel=\"icon\" href=\"data:,\"></head><body>"
        f"<header class=\"site\"><p class=\"brand\">SPF Warehouse</p>"
        f"<nav aria-label=\"Site\"><ul>{links}</ul></nav></header>"
        f"<main><h1>{esc(title)}</h1>"
        + (f"<p class=\"lead\">{esc(lead)}</p>" if lead else "")
        + "".join(esc(part) for part in body) + "</main></body></html>\n")
    path.write_text(page, encoding="utf-8")
    return path


def install(root: Path) -> None:
    """Put the stylesheet into `root`, when it is not there as it is now."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / STYLE_NAME
    if not target.exists() or target.read_bytes() != STYLE.read_bytes():
        shutil.copyfile(STYLE, target)
