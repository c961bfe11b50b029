"""Data Docs that work offline: GX's pages pointed at the scripts and styles of the docs folder.

GX 1.24's templates load jQuery, Bootstrap, bootstrap-table and Font Awesome from public
CDNs, and its logo from a web server; without them the index is blank and no filter works.
`expectations/vendor/` holds those files, at the versions the templates name, with their
licences (its README says where each comes from). `install` copies them into
`<docs>/static/vendor/`; `localise` rewrites a page GX wrote so that it loads them from
there (a page in `validations/.../` by `../../../../../static/vendor/...`).

The templates cannot be overridden (GX looks in its own package first), so the pages are
rewritten after each build, which is cheap: only the pages of that build and the index.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
from pathlib import Path

from ingest.paths import EXPECTATIONS_DIR

VENDOR = EXPECTATIONS_DIR / "vendor"
INSTALLED = Path("static") / "vendor"  # inside the docs folder

# Every URL of the templates that a browser requests -> its file in VENDOR.
CDN = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js":
        "popper.js-1.12.9/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        "bootstrap-4.3.1/bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        "bootstrap-4.3.1/bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        "bootstrap-table-1.19.1/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        "bootstrap-table-1.19.1/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js",
    # The templates name the 1.19.0 stylesheet of the extension, minified or not.
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        "fontawesome-free-6.6.0/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": "bootstrap-dark-1.1.0/bootstrap-prefers-dark.min.css",
}
# The chart libraries of profiling results: no suite here draws a chart (see the README).
CHARTS = re.compile(r'<script src="https://cdn\.jsdelivr\.net/npm/vega[-a-z]*@\d+"></script>\s*')
# The logo GX serves from its web server (with a tracking query); GX copies it to static/.
LOGO = re.compile(r'https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/'
                  r'(logo-long\.png)(\?[^"\']*)?')
# GX's own pictures, by a path that is wrong on validation pages (one level short).
IMAGES = re.compile(r'((?:src|href)=")(?:\./|(?:\.\./)+)?static/images/')
# Links to GX's web site (its newsletter, its home page): unreachable offline, and not what a
# statistician opens the pages for. The newsletter footer goes; other links become text.
FOOTER = re.compile(r"<footer>\s*<p>Stay current.*?</footer>", re.S)
GX_LINK = re.compile(r'<a\b[^>]*href="https?://[a-z.]*greatexpectations\.io[^"]*"[^>]*>(.*?)</a>',
                     re.S)
# `integrity`/`crossorigin` of a CDN script: a local file needs neither (and a file:// page
# may not fetch with CORS).
SRI = re.compile(r'\s+integrity="[^"]*"\s+crossorigin="anonymous"')
# A request to anywhere else, left in a page: an error (the templates changed).
OUTSIDE = re.compile(r'<(?:script|link|img)\b[^>]*(?:src|href)="(https?://[^"]+)"')


class DataDocsError(RuntimeError):
    """A Data Docs page would still load something from outside the docs folder."""


def install(docs: Path) -> None:
    """Copy the vendored scripts and styles into `docs/static/vendor/` (what changed only)."""
    for source in VENDOR.rglob("*"):
        if source.is_dir() or source.name == "README.md":
            continue
        target = docs / INSTALLED / source.relative_to(VENDOR)
        if target.exists() and filecmp.cmp(source, target, shallow=False):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def localise(page: Path, docs: Path) -> None:
    """Point a page GX wrote at the files of the docs folder; raise DataDocsError if it still
    asks for anything from outside."""
    text = page.read_text(encoding="utf-8")
    vendor = Path(os.path.relpath(docs / INSTALLED, page.parent)).as_posix()
    static = Path(os.path.relpath(docs / "static" / "images", page.parent)).as_posix()
    new = SRI.sub("", text)
    for url, file in CDN.items():
        new = new.replace(f'"{url}"', f'"{vendor}/{file}"')
    new = CHARTS.sub("", new)
    new = LOGO.sub(lambda m: f"{static}/{m.group(1)}", new)
    new = IMAGES.sub(lambda m: f"{m.group(1)}{static}/", new)
    new = GX_LINK.sub(r"\1", FOOTER.sub("", new))
    if "vegaEmbed(" in new:
        raise DataDocsError(f"{page}: draws a chart, whose scripts are not in "
                            f"{VENDOR}: add vega, vega-lite and vega-embed there")
    outside = OUTSIDE.findall(new)
    if outside:
        raise DataDocsError(f"{page}: still loads {outside[0]}: add it to "
                            "expectations/data_docs.py CDN and expectations/vendor/")
    if new != text:
        page.write_text(new, encoding="utf-8")


def localise_earlier(docs: Path) -> None:
    """Once per docs folder: the pages GX wrote before they were localised (an installation
    upgraded in place), so that its older validations open offline too."""
    done = docs / INSTALLED / ".pages-localised"
    if done.exists():
        return
    install(docs)
    for page in (*docs.glob("index.html"), *docs.glob("expectations/*.html"),
                 *docs.glob("validations/**/*.html")):
        try:
            localise(page, docs)
        except DataDocsError:  # a page of a chart: left as it was, the run goes on
            continue
    done.write_text("every page GX wrote before this file points at static/vendor/\n")
