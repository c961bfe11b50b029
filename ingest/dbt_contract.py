"""What the dbt project declares that Python relies on, read from its YAML: the grain of
each model (the columns that identify a row), as its dbt tests state it.

The YAML beside the models is the one place a grain is written; dbt checks it on every
build, and Python reads it here (the diff of two publications matches rows on it, the
Data Docs name failing rows by it) instead of keeping lists of its own.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from ingest.paths import DBT_PROJECT_DIR

MODELS_DIR = DBT_PROJECT_DIR / "models"
PROJECT_FILE = DBT_PROJECT_DIR / "dbt_project.yml"
# The tests that state a grain: a column's `unique`, or a combination of columns.
UNIQUE_COMBINATION = {"unique_combination", "unique_combination_of_columns"}
# A model's own schema, when its SQL sets one: {{ config(schema='ref', ...) }}.
CONFIG_SCHEMA = re.compile(r"config\([^)]*\bschema\s*=\s*['\"](\w+)['\"]")


@functools.lru_cache(maxsize=512)
def _parsed(path: str, mtime_ns: int, size: int) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when built with it
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader) or {}


def _yaml(path: Path) -> dict:
    """A YAML file of the project, parsed once per process while it is unchanged: a warm
    worker reads the grains and descriptions on every run (0.8 s with the pure-Python
    parser). Callers only read what it returns."""
    stat = path.stat()
    return _parsed(str(path), stat.st_mtime_ns, stat.st_size)


def _tests(node: dict) -> list:
    return list(node.get("data_tests") or node.get("tests") or [])


def _name_and_spec(test) -> tuple[str, dict]:
    if isinstance(test, str):
        return test, {}
    name, spec = next(iter(test.items()))
    return name.split(".")[-1], spec or {}


def _conditional(spec: dict) -> bool:
    """A test with a `where` holds for some rows only: it states no grain."""
    return bool((spec.get("config") or {}).get("where") or spec.get("where"))


def _candidates(model: dict) -> list[tuple[str, ...]]:
    found = []
    for test in _tests(model):
        name, spec = _name_and_spec(test)
        if name in UNIQUE_COMBINATION and not _conditional(spec):
            arguments = spec.get("arguments", spec) or {}
            columns = arguments.get("columns") or arguments.get("combination_of_columns")
            if columns:
                found.append(tuple(columns))
    for column in model.get("columns") or []:
        for test in _tests(column):
            name, spec = _name_and_spec(test)
            if name == "unique" and not _conditional(spec):
                found.append((column["name"],))
    return found


def grains(models_dir: Path = MODELS_DIR) -> dict[str, tuple[str, ...]]:
    """model name -> its grain, for every model whose YAML (anywhere under `models_dir`)
    tests one: a column's `unique` test or a `unique_combination` test, the shortest where
    a model has several (the first of equal length, in file order)."""
    keys: dict[str, tuple[str, ...]] = {}
    for path in sorted(models_dir.rglob("*.yml")):
        document = _yaml(path)
        for model in document.get("models") or []:
            candidates = _candidates(model)
            if candidates:
                keys[model["name"]] = min(candidates, key=len)
    return keys


def schemas(models_dir: Path = MODELS_DIR, project_file: Path = PROJECT_FILE) -> dict[str, str]:
    """model name -> the DuckDB schema dbt builds it in: its SQL's own `config(schema=...)`,
    else the `+schema` of its folder in dbt_project.yml (the nearest folder that sets one)."""
    project = _yaml(project_file)
    folders = ((project.get("models") or {}).get(project.get("name")) or {})
    found = {}
    for path in sorted(models_dir.rglob("*.sql")):
        own = CONFIG_SCHEMA.search(path.read_text(encoding="utf-8"))
        schema, config = None, folders
        for folder in path.relative_to(models_dir).parts[:-1]:
            config = config.get(folder) or {} if isinstance(config, dict) else {}
            schema = config.get("+schema", schema) if isinstance(config, dict) else schema
        found[path.stem] = own.group(1) if own else schema
    return found


def table_grains(wanted: tuple[str, ...] = ("marts", "ops"), models_dir: Path = MODELS_DIR,
                 project_file: Path = PROJECT_FILE) -> dict[str, tuple[str, ...]]:
    """`schema.table` -> its grain, for the models built in the `wanted` schemas (by default
    the published marts and ops tables), e.g. `marts.coverage_sdg131` -> (`country_iso3`,
    `year`, `series`, `sex`)."""
    where = schemas(models_dir, project_file)
    return {f"{where[name]}.{name}": grain for name, grain in grains(models_dir).items()
            if where.get(name) in wanted}


def _text(value) -> str:
    return " ".join(str(value or "").split())


def descriptions(models_dir: Path = MODELS_DIR, project_file: Path = PROJECT_FILE,
                 seeds_dir: Path | None = None) -> dict[str, tuple[str, dict[str, str]]]:
    """`schema.table` -> (its description, column -> description), as the YAML beside the
    models and seeds writes them (and dbt docs shows them), for every model and seed."""
    seeds_dir = seeds_dir or DBT_PROJECT_DIR / "seeds"
    project = _yaml(project_file)
    seed_schema = ((project.get("seeds") or {}).get(project.get("name")) or {}).get(
        "+schema", "main")
    where = schemas(models_dir, project_file)
    found = {}
    for path in sorted([*models_dir.rglob("*.yml"), *seeds_dir.glob("*.yml")]):
        document = _yaml(path)
        for kind, schema_of in (("models", where.get), ("seeds", lambda _: seed_schema)):
            for node in document.get(kind) or []:
                if (node.get("config") or {}).get("enabled") is False:
                    continue    # a seed dbt does not load (the model of its name is)
                schema = schema_of(node["name"])
                if schema:
                    found[f"{schema}.{node['name']}"] = (
                        _text(node.get("description")),
                        {c["name"]: _text(c.get("description"))
                         for c in node.get("columns") or []})
    return found
