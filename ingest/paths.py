"""Every path the platform uses, resolved in one place (the lowest layer, so all may ask).

The published warehouse is the only file analysts touch. Everything the pipeline
keeps for itself (archive, state, builds, validation reports) lives in its home,
which is `$SPF_HOME` or, by default, the folder of the published warehouse.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SAMPLES_DIR = REPO_ROOT / "ingest" / "samples"
SAMPLE_SSI_DIR = SAMPLES_DIR / "ssi"
SAMPLE_RMT_DIR = SAMPLES_DIR / "rmt"
DEFAULT_WAREHOUSE = REPO_ROOT / "data" / "spf.duckdb"

# Personal data (contact e-mails) lives in the state and the archived workbooks: readable by
# the pipeline's owner only. Archived files are never written again.
PRIVATE_DIR, PRIVATE_FILE, ARCHIVED_FILE = 0o700, 0o600, 0o400


@dataclass(frozen=True)
class Paths:
    """Where one installation keeps its published warehouse and its private state.

    In the home: `archive`, landed files byte for byte under their sha256, never
    modified; `state_db`, the pipeline's own DuckDB (raw layer, load history, high-water
    marks); `docs`, the Great Expectations Data Docs statisticians open, with the dbt
    documentation of the published marts in `dbt_docs`; `gx_root`, GX's
    runtime project; `logs`; `dbt_target`, dbt's artefacts (manifest, partial parse);
    `population`, where an operator may place an official population file (see
    warehouse/run/steps.py); `feedback`, the workbooks to send back to countries (private:
    they copy their workbooks); `publications`, the last publications kept read-only
    (`<publication_id>.duckdb`, see warehouse/publication/); `lock`, held by the one run
    allowed to write at a time.
    Beside the warehouse: `build`, the next warehouse, built and gated there so that
    publishing is a rename (one name for every run, so dbt's profile does not change and
    dbt can reuse its partial parse).
    """

    warehouse: Path
    home: Path

    archive = property(lambda self: self.home / "archive")
    state_db = property(lambda self: self.home / "state" / "spf_state.duckdb")
    docs = property(lambda self: self.home / "docs")
    dbt_docs = property(lambda self: self.home / "docs" / "dbt")
    gx_root = property(lambda self: self.home / "gx")
    logs = property(lambda self: self.home / "logs")
    dbt_target = property(lambda self: self.home / "dbt_target")
    publications = property(lambda self: self.home / "publications")
    feedback = property(lambda self: self.home / "feedback")
    population = property(lambda self: self.home / "population")
    lock = property(lambda self: self.home / "spf.lock")
    build = property(lambda self: self.warehouse.with_name(f".{self.warehouse.stem}.build.duckdb"))


def resolve(warehouse: str | os.PathLike | None = None) -> Paths:
    """Paths for a warehouse file (argument, `$SPF_WAREHOUSE`, or the default)."""
    target = Path(warehouse or os.environ.get("SPF_WAREHOUSE") or DEFAULT_WAREHOUSE)
    target = target.expanduser().resolve()
    home = Path(os.environ["SPF_HOME"]).expanduser().resolve() if os.environ.get(
        "SPF_HOME") else target.parent
    return Paths(warehouse=target, home=home)


def make_private(paths: Paths) -> int:
    """Give the state, the feedback workbooks and the archive their private modes, files
    made before included; return how many modes changed."""
    changed = 0
    for root, file_mode in ((paths.state_db.parent, PRIVATE_FILE), (paths.feedback, PRIVATE_FILE),
                            (paths.archive, ARCHIVED_FILE)):
        folders = [root] if root.is_dir() else []
        while folders:  # every run walks the whole archive: one status call per file
            folder = folders.pop()
            changed += _chmod(folder, PRIVATE_DIR)
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        continue
                    if entry.is_dir():
                        folders.append(Path(entry.path))
                    elif stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode) != file_mode:
                        os.chmod(entry.path, file_mode)
                        changed += 1
    return changed


def _chmod(path: Path, mode: int) -> int:
    if stat.S_IMODE(path.lstat().st_mode) == mode or path.is_symlink():
        return 0
    path.chmod(mode)
    return 1
