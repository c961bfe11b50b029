"""The dbt unit tests (the SDG 1.3.1 arithmetic, the as-of rule, counting once per step and
phase) run here, against a build of an empty raw layer: they check the models' logic,
so pipeline builds leave them out."""

from __future__ import annotations

from pathlib import Path

import yaml

from ingest import raw
from ingest.paths import DBT_PROJECT_DIR
from warehouse.run import build


def defined_unit_tests() -> set[str]:
    names = set()
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        names |= {t["name"] for t in (yaml.safe_load(path.read_text()) or {}).get(
            "unit_tests", [])}
    return names


def test_every_dbt_unit_test_passes(tmp_path: Path):
    state = tmp_path / "state.duckdb"
    raw.connect_state(state).close()
    target = tmp_path / "build.duckdb"
    build.copy_raw(state, target)
    dbt = (tmp_path / "logs", tmp_path / "target")
    models = build.run_dbt(target, *dbt)
    assert models.success, models.failures
    assert "unit_test" not in str(models.counts)  # a pipeline build leaves them out

    unit = build.run_dbt(target, *dbt, args=["test", "--select", "test_type:unit"])
    assert unit.success, unit.failures
    assert len(defined_unit_tests()) >= 9
    assert unit.counts == {"pass": len(defined_unit_tests())}
