"""Write the site of one publication into a folder: every page, the CSV of every figure,
the stylesheet and a record of what it was built from (`.spf-site.json`)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
import jinja2

from warehouse.pages import html
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
    for path in sorted([*Path(__file__).parent.glob("*.py"), *TEMPLATES.iterdir(),
                        html.STYLE]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.globals["svg"] = charts.svg
    return env


def _umask() -> int:
    """The process's umask, read without changing it (Linux), else by setting it back."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(path: Path, text: str, chmod: bool) -> None:
    """A file readable by all (given that mode when the umask would withhold it)."""
    with open(path, "wb") as handle:
        if chmod:
            os.fchmod(handle.fileno(), FILE_MODE)
        handle.write(text.encode())


def _folder(path: Path, made: set[Path]) -> None:
    if path not in made:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(DIR_MODE)
        made.add(path)


def render_site(warehouse: Path, out: Path) -> SiteSummary:
    """Build the site of the publication in `warehouse` into the empty folder `out`.

    A large site is made by two processes, each reading the publication and writing every
    other page: a world site is some 270 pages, 2,300 files and 70 MB."""
    made: set[Path] = set()
    _folder(out, made)
    for folder in ("countries", "themes", "data/index", "data/countries", "data/themes"):
        _folder(out / folder, made)
    workers = min(os.cpu_count() or 1, 2) if _pages_about(warehouse) >= PARALLEL_FROM else 1
    with contextlib.ExitStack() as stack:
        other = None
        if workers > 1:  # started first: it imports and reads while this process reads
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            # spawn, not fork: a run's process has DuckDB, dbt and GX loaded, with threads.
            pool = stack.enter_context(
                ProcessPoolExecutor(1, mp_context=get_context("spawn")))
            other = pool.submit(_render_part, warehouse, out, 1, workers)
        data = read(warehouse)
        site = Site(data)
        paths = site.paths()
        files = _write_pages(site, paths[0::workers], out, made)
        if other is not None:
            files += other.result()
    chmod = bool(_umask() & 0o044)
    # The stylesheet every page of the warehouse shares (warehouse/pages/style.css).
    _write(out / html.STYLE_NAME, html.STYLE.read_text(), chmod)
    _write(out / "favicon.svg", (TEMPLATES / "favicon.svg").read_text(), chmod)
    publication = data.publication
    summary = SiteSummary(
        path=str(out), publication_id=publication["publication_id"],
        reporting_date=data.reporting_date.isoformat() if data.reporting_date else None,
        pages=len(paths), countries=len(site.country_codes), themes=len(site.names.areas),
        files=files + 3, written=True)
    _write(out / MARKER, chmod=chmod, text=json.dumps({
        **{k: v for k, v in summary.items() if k != "path"}, "site_version": site_version(),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds")}, indent=1))
    return summary


def _pages_about(warehouse: Path) -> int:
    """About how many pages the site of `warehouse` has (a country a page), cheaply."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select count(*) from marts.country_profile").fetchone()[0]
    except duckdb.Error:
        return 0
    finally:
        con.close()


PARALLEL_FROM = 150  # pages: below, one process (the sample's 80 pages take half a second)


def _render_part(warehouse: Path, out: Path, part: int, parts: int) -> int:
    """A worker's share of the pages: every `parts`-th from the `part`-th."""
    site = Site(read(warehouse))
    return _write_pages(site, site.paths()[part::parts], out, set())


def _write_pages(site: Site, paths: list[str], out: Path, made: set[Path]) -> int:
    """Render `paths` with their CSV files into `out`; how many files were written."""
    env = environment()
    data = site.data
    common = {"publication": data.publication,
              "reporting_date": fmt.day(data.reporting_date) if data.reporting_date
              else "the day of the build",
              "published_at": fmt.day(data.publication["published_at"])}
    chmod = bool(_umask() & 0o044)
    files = 0
    # Files are written by a thread (creating a file frees the GIL) while the pages are
    # rendered.
    written = []
    with ThreadPoolExecutor(1) as writers:
        for path in paths:
            page = site.page(path)
            for figure in page.figures.values():
                figure.csv_path = f"{page.data_folder}/{figure.key}.csv"
                target = out / figure.csv_path
                _folder(target.parent, made)
                written.append(writers.submit(_write, target, figure.csv_text(), chmod))
            target = out / page.path
            _folder(target.parent, made)
            written.append(writers.submit(_write, target, env.get_template(
                page.template).render(page=page, root=page.root, **common), chmod))
            files += len(page.figures) + 1
    for future in written:
        future.result()  # a file that could not be written fails the site
    return files


def marker(folder: Path) -> dict | None:
    """What the site in `folder` was built from, or None when it is not a site of ours."""
    try:
        return json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
