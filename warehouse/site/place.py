"""The site in its place: `<home>/site`, swapped in one rename with every publication.

`<home>/site` is a symbolic link to `sites/<publication>-<version>/`, a complete site
built beside it. A new site is built into `sites/.<name>.partial/`, renamed complete, and
the link is replaced by a new one in one rename: a reader (a web server, a browser) sees
the old site or the new one, never half of each, and a run killed while building leaves
the old site in place and a partial folder the next run removes. The site before stays
beside it for the readers still on it; older ones are removed.

A run writes the site after its publication is renamed into place and kept; the next run
writes it if a crash came in between (the site says which publication it shows), and a
rollback writes the site of the publication it restores. A night with nothing new, whose
site already shows the publication in place, writes nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ingest.paths import Paths
from warehouse.publication.kept import resolve_publication
from warehouse.publication.records import fsync, latest_publication
from warehouse.shared.errors import RunFailed
from warehouse.shared.summary import SiteSummary
from warehouse.site.render import DIR_MODE, marker, render_site, site_version

KEEP_SITES = 2  # the site in place and the one before, for readers still on it


def _site(paths: Paths) -> Path:
    return paths.home / "site"


def _sites(paths: Paths) -> Path:
    return paths.home / "sites"


def shown(paths: Paths) -> dict | None:
    """What the site in place was built from (None: there is none)."""
    return marker(_site(paths))


def is_current(paths: Paths) -> bool:
    """Whether the site in place shows the published warehouse, made by this code."""
    if not paths.warehouse.exists():
        return True  # nothing published: no site to write
    latest = latest_publication(paths.warehouse)
    held = shown(paths)
    return latest is None or (held is not None
                              and held.get("publication_id") == latest["publication_id"]
                              and held.get("site_version") == site_version())


def write_site(paths: Paths) -> SiteSummary | None:
    """Write the site of the published warehouse into `<home>/site`, atomically, unless the
    site in place already shows it; None when nothing is published. Call it under the
    writer lock (a run, a rollback)."""
    if not paths.warehouse.exists():
        return None
    latest = latest_publication(paths.warehouse)
    if latest is None:
        return None
    if is_current(paths):
        held = shown(paths) or {}
        return SiteSummary(**{**{k: held.get(k) for k in SiteSummary.__annotations__},
                              "path": str(_site(paths)), "written": False})
    versions = _sites(paths)
    versions.mkdir(parents=True, exist_ok=True)
    versions.chmod(DIR_MODE)
    name = f"{latest['publication_id']}-{site_version()[:8]}"
    partial = versions / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    summary = render_site(paths.warehouse, partial)
    final = versions / name
    if final.exists():  # the same site, made before a crash cut the swap off
        shutil.rmtree(final)
    os.replace(partial, final)
    _swap(paths, final)
    _prune(paths, keep={final.name})
    return summary | {"path": str(_site(paths))}


def _swap(paths: Paths, final: Path) -> None:
    """Point `<home>/site` at `final` in one rename (a relative link: the home may move)."""
    link = _site(paths)
    if link.exists() and not link.is_symlink():  # a folder (written by hand): set aside
        aside = _sites(paths) / f".replaced-{os.getpid()}"
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(link, aside)
    fresh = link.with_name(f".{link.name}.new")
    fresh.unlink(missing_ok=True)
    os.symlink(os.path.relpath(final, link.parent), fresh)
    os.replace(fresh, link)
    fsync(link.parent)


def _prune(paths: Paths, keep: set[str]) -> None:
    """Remove the sites but the last KEEP_SITES (the one in place among them), and what
    killed builds left."""
    versions = _sites(paths)
    done = sorted((p for p in versions.iterdir() if not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    keep = keep | {p.name for p in done[:KEEP_SITES]}
    for path in versions.iterdir():
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def write_site_to(paths: Paths, out: Path, as_of: str | None = None) -> SiteSummary:
    """`spf site --out DIR [--as-of PUBLICATION]`: the site of the published warehouse, or
    of a kept publication, into `out`, replacing a site written there before in one rename.
    A folder that holds anything else is left alone."""
    source = resolve_publication(paths, as_of) if as_of else paths.warehouse
    if not source.exists():
        raise RunFailed(f"{source} does not exist: nothing is published yet (run `spf run`)")
    out = out.expanduser().absolute()
    if out.resolve() == _site(paths).resolve() or out == _site(paths):
        raise RunFailed(f"{out} is the site every publication rewrites; write elsewhere")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise RunFailed(f"{out} is not a folder: give a folder for the site")
    if out.is_dir() and any(out.iterdir()) and marker(out) is None:
        raise RunFailed(f"{out} holds files that are not a site written by `spf site`: "
                        "give an empty or new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        summary = render_site(source, partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        os.replace(out, old)
    os.replace(partial, out)
    shutil.rmtree(old, ignore_errors=True)
    return summary | {"path": str(out)}
