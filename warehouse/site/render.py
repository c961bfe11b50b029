"""Write the site of one publication into a folder: every page, the CSV of every figure,
the stylesheet and a record of what it was built from (`.spf-site.json`)."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import jinja2

from warehouse.shared.summary import SiteSummary
from warehouse.site import charts, fmt
from warehouse.site.data import read
from warehouse.site.pages import Site

TEMPLATES = Path(__file__).with_name("templates")
MARKER = ".spf-site.json"
FILE_MODE, DIR_MODE = 0o644, 0o755  # readable by all, as the published warehouse


def site_version() -> str:
    """A fingerprint of the code and templates that make the pages: a site made by other
    code is made again, though its publication is the same."""
    digest = hashlib.sha256()
    for path in sorted([*Path(__file__).parent.glob("*.py"), *TEMPLATES.iterdir()]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.globals["geometry"] = charts.geometry
    return env


def _write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)
        handle.write(text)


def _folder(path: Path, made: set[Path]) -> None:
    if path not in made:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(DIR_MODE)
        made.add(path)


def render_site(warehouse: Path, out: Path) -> SiteSummary:
    """Build the site of the publication in `warehouse` into the empty folder `out`."""
    data = read(warehouse)
    site = Site(data)
    pages = site.pages()
    env = environment()
    publication = data.publication
    common = {"publication": publication,
              "reporting_date": fmt.day(data.reporting_date) if data.reporting_date
              else "the day of the build",
              "published_at": fmt.day(publication["published_at"])}
    made: set[Path] = set()
    _folder(out, made)
    files = 0
    for page in pages:
        for figure in page.figures.values():
            figure.csv_path = f"{page.data_folder}/{figure.key}.csv"
            target = out / figure.csv_path
            _folder(target.parent, made)
            _write(target, figure.csv_text())
            files += 1
        target = out / page.path
        _folder(target.parent, made)
        _write(target, env.get_template(page.template).render(page=page, root=page.root,
                                                              **common))
        files += 1
    for name in ("style.css", "favicon.svg"):
        _write(out / name, (TEMPLATES / name).read_text())
    summary = SiteSummary(
        path=str(out), publication_id=publication["publication_id"],
        reporting_date=data.reporting_date.isoformat() if data.reporting_date else None,
        pages=len(pages), countries=len(site.country_codes), themes=len(site.names.areas),
        files=files + 2, written=True)
    _write(out / MARKER, json.dumps({
        **{k: v for k, v in summary.items() if k != "path"}, "site_version": site_version(),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds")}, indent=1))
    return summary


def marker(folder: Path) -> dict | None:
    """What the site in `folder` was built from, or None when it is not a site of ours."""
    try:
        return json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
