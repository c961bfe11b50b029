"""Every path the platform uses, resolved in one place (the lowest layer, so all may ask).

The published warehouse is the only file analysts touch. Everything the pipeline
keeps for itself (archive, state, builds, validation reports) lives in its home,
which is `$SPF_HOME` or, by default, the folder of the published warehouse.
"""

from __future__ import annotations

import os
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


@dataclass(frozen=True)
class Paths:
    """Where one installation keeps its published warehouse and its private state."""

    warehouse: Path
    home: Path

    @property
    def build(self) -> Path:
        """The next warehouse, built and gated beside the published one so that publishing
        is a rename. The name is the same for every run (one writer at a time), so dbt's
        profile does not change between runs and dbt can reuse its partial parse."""
        return self.warehouse.with_name(f".{self.warehouse.stem}.build.duckdb")

    @property
    def archive(self) -> Path:
        """Landed files, byte for byte, under their sha256; never modified."""
        return self.home / "archive"

    @property
    def state_db(self) -> Path:
        """The pipeline's own DuckDB: raw layer, load history, high-water marks."""
        return self.home / "state" / "spf_state.duckdb"

    @property
    def docs(self) -> Path:
        """Great Expectations Data Docs: the validation reports statisticians open."""
        return self.home / "docs"

    @property
    def gx_root(self) -> Path:
        """Great Expectations' runtime project (stores of validation results)."""
        return self.home / "gx"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def dbt_target(self) -> Path:
        """dbt's artefacts for this installation (manifest, partial parse)."""
        return self.home / "dbt_target"

    @property
    def lock(self) -> Path:
        """Held by the one pipeline run allowed to write at a time."""
        return self.home / "spf.lock"


def resolve(warehouse: str | os.PathLike | None = None) -> Paths:
    """Paths for a warehouse file (argument, `$SPF_WAREHOUSE`, or the default)."""
    target = Path(warehouse or os.environ.get("SPF_WAREHOUSE") or DEFAULT_WAREHOUSE)
    target = target.expanduser().resolve()
    home = Path(os.environ["SPF_HOME"]).expanduser().resolve() if os.environ.get(
        "SPF_HOME") else target.parent
    return Paths(warehouse=target, home=home)
