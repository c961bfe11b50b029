"""The dbt project keeps to its own guide (../shared/style.md), and the rules it shares with
Python are written once: read statically from the project's files, no build needed.

- Layers: staging reads sources only; intermediate, marts and ops read models and seeds,
  never a source; intermediate never reads a mart or an ops table.
- Every model is documented in a YAML file beside it, with a test of its grain, and its
  unit tests sit in that same file.
- The SDG 1.3.1 terms (seed sdg131_terms) mean the same read by Python (ingest/codes.py)
  as joined by SQL (int_ssi__series_terms): the Python reading reproduces the dbt unit
  test's expected rows. Every quality flag a model can set is in the seed quality_flags.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from ingest import codes, dbt_contract, ssi_labels
from ingest.paths import DBT_PROJECT_DIR, SEEDS_DIR

MODELS = dbt_contract.MODELS_DIR
REF = re.compile(r"\bref\(\s*['\"](\w+)['\"]\s*\)")
SOURCE = re.compile(r"\bsource\(\s*['\"](\w+)['\"]")
SQL = {path.stem: path for path in sorted(MODELS.rglob("*.sql"))}
SEEDS = {path.stem for path in SEEDS_DIR.glob("*.csv")}


def layer(model: str) -> str:
    return SQL[model].relative_to(MODELS).parts[0]


def yaml_files() -> dict[Path, dict]:
    return {path: yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for path in sorted(MODELS.rglob("*.yml"))}


def documented() -> dict[str, Path]:
    """model -> the YAML file that documents it."""
    found: dict[str, Path] = {}
    for path, document in yaml_files().items():
        for model in document.get("models") or []:
            assert model["name"] not in found, f"{model['name']} documented twice"
            found[model["name"]] = path
    return found


@pytest.mark.parametrize("model", sorted(SQL))
def test_each_layer_reads_only_the_layers_below(model):
    text = SQL[model].read_text(encoding="utf-8")
    refs = set(REF.findall(text)) - SEEDS
    sources = set(SOURCE.findall(text))
    assert refs <= set(SQL), f"{model} refers to unknown models {refs - set(SQL)}"
    if layer(model) == "staging":
        assert not refs, f"{model}: staging reads sources only, not {sorted(refs)}"
    else:
        assert not sources, f"{model} ({layer(model)}) reads sources {sorted(sources)}: " \
            "read its staging model"
    if layer(model) == "intermediate":
        above = {r for r in refs if layer(r) in {"marts", "ops"}}
        assert not above, f"{model}: intermediate models never read {sorted(above)}"


def test_every_model_is_documented_beside_it_with_its_grain_tested():
    where = documented()
    grains = dbt_contract.grains()
    for model, path in SQL.items():
        assert model in where, f"{model} has no YAML"
        assert where[model].parent == path.parent, f"{model}'s YAML is not beside it"
        assert model in grains, f"{model}: no unique or unique_combination test of its grain"


def test_unit_tests_sit_with_the_documentation_of_their_model():
    where = documented()
    for path, document in yaml_files().items():
        for test in document.get("unit_tests") or []:
            assert where.get(test["model"]) == path, \
                f"unit test {test['name']} ({path.name}) belongs in {where.get(test['model'])}"


def test_the_supersede_rule_has_its_unit_test():
    tested = Counter(test["model"] for document in yaml_files().values()
                     for test in document.get("unit_tests") or [])
    assert tested["int_ssi__submission_revisions"] >= 1
    for model in ("int_ssi__submissions_current", "submissions"):
        refs = set(REF.findall(SQL[model].read_text(encoding="utf-8")))
        assert "int_ssi__submission_revisions" in refs, f"{model} has its own supersede rule"


def test_published_tables_have_their_grain():
    grains = dbt_contract.table_grains()
    published = {f"{layer(m)}.{m}" for m in SQL if layer(m) in {"marts", "ops"}}
    assert set(grains) == published
    assert grains["marts.coverage_sdg131"] == ("country_iso3", "year", "series", "sex")
    assert grains["ops.submissions"] == ("sha256", "original_name")


def test_grains_read_a_conditional_unique_as_no_grain(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "_m.yml").write_text("""
models:
  - name: a
    data_tests:
      - unique_combination:
          arguments: {columns: [x, y]}
    columns:
      - name: z
        data_tests:
          - unique:
              config: {where: "z > 0"}
  - name: b
    columns:
      - name: k
        data_tests: [unique, not_null]
""")
    assert dbt_contract.grains(tmp_path) == {"a": ("x", "y"), "b": ("k",)}


# --- the rules SQL and Python share -------------------------------------------------------

def unit_test(name: str) -> dict:
    return next(test for document in yaml_files().values()
                for test in document.get("unit_tests") or [] if test["name"] == name)


def test_python_reads_the_series_terms_as_sql_joins_them():
    """The rows int_ssi__series_terms' unit test expects, found by SeriesTerm.feeds."""
    test = unit_test("series_terms_vulnerable_denominator_and_double_count_rule")
    given = {g["input"]: g.get("rows") for g in test["given"]}
    sheets = {"beneficiaries": "ref('int_ssi__beneficiaries_by_sex')",
              "contributors": "ref('int_ssi__contributors_by_sex')",
              "context": "ref('int_ssi__context_by_sex')"}
    found = Counter()
    for sheet, relation in sheets.items():
        for row in given[relation]:
            for term in codes.series_terms():
                if term.feeds(sheet, function=row.get("function"),
                              benefit_form=row.get("benefit_form"),
                              scheme_type=row.get("scheme_type"), item=row.get("item")):
                    found[term.series, row["sex"], term.part, row["persons"]] += 1
    expected = Counter((r["series"], r["sex"], r["part"], r["persons"])
                       for r in test["expect"]["rows"])
    assert found == expected


def test_series_terms_use_known_codes():
    terms = codes.series_terms()
    assert {t.series for t in terms} == set(codes.SERIES)
    for t in terms:
        assert t.part in {"numerator", "denominator", "denominator_less"}
        assert t.functions | t.except_functions <= set(codes.BRANCHES), t
        assert t.benefit_forms <= set(codes.BENEFIT_FORMS), t
        assert t.scheme_types <= set(codes.SCHEME_TYPES), t
        assert (t.item is not None) == (t.sheet == "context"), t
        assert t.item is None or t.item in ssi_labels.CONTEXT_ITEMS, t
    for series in codes.SERIES:
        parts = Counter(t.part for t in codes.series_terms(series))
        assert parts["numerator"] >= 1 and parts["denominator"] == 1, series
    assert set(codes.series_required_sheets().values()) <= {None, *ssi_labels.SHEETS}


def test_a_blank_function_is_no_function_and_a_star_any():
    active = next(t for t in codes.series_terms("SOC_CONTIG_TOTAL") if t.sheet == "contributors")
    assert active.feeds("contributors", function="", scheme_type="si")
    assert not active.feeds("contributors", function="INJ", scheme_type="SI")
    assert not active.feeds("contributors", function=None, scheme_type="UNI")
    less = [t for t in codes.series_terms("SOC_CONTIG_VULN")
            if t.part == "denominator_less" and t.sheet == "beneficiaries"]
    assert [t.feeds("beneficiaries", f, "CASH_PERIODIC", "SI") for t in less
            for f in ("OLD", "MATERN", "SICK")] == [True, False, False]


def flags_set_in_sql() -> dict[str, set[str]]:
    """model -> the flags its SQL can set (the literals of its `... end as quality_flag`)."""
    found = {}
    for model, path in SQL.items():
        text = path.read_text(encoding="utf-8")
        for case in re.findall(r"case(?:(?!\bcase\b).)*?end as quality_flag", text, re.S):
            found.setdefault(model, set()).update(re.findall(r"then '(\w+)'", case))
    return found


def test_every_quality_flag_a_model_sets_is_in_the_seed():
    flags = codes.quality_flags()
    setters = {"int_ssi__coverage": "coverage_sdg131", "int_ssi__expenditure": "sp_expenditure",
               "coverage_sdg131_regional": "coverage_sdg131_regional"}
    set_in_sql = flags_set_in_sql()
    assert set(set_in_sql) == set(setters)
    for model, mart in setters.items():
        assert set_in_sql[model] == set(codes.quality_flags(mart)), model
    assert {f.ilostat_obs_status for f in codes.quality_flags("coverage_sdg131").values()} \
        <= {"O", "U"}
    assert all(f.words and f.note for f in flags.values())


def test_the_seeds_python_reads_are_tested_by_dbt():
    document = yaml.safe_load((SEEDS_DIR / "_seeds.yml").read_text(encoding="utf-8"))
    described = {seed["name"] for seed in document["seeds"]}
    assert {"sdg131_terms", "quality_flags", "sdg131_series"} <= described
    assert (DBT_PROJECT_DIR / "macros" / "ssi_submission_id.sql").exists()


def test_a_rule_the_marts_gate_blocks_on_is_checked_once(tmp_path, monkeypatch):
    """dbt leaves to the marts gate the mart tests whose rule a suite checks as blocking
    (warehouse/run/build.py `checked_by_the_gate`), and keeps every other test."""
    from warehouse.run import build

    monkeypatch.setenv("SPF_BUILD_DB", str(tmp_path / "b.duckdb"))
    manifest = build._parsed(["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
                              str(DBT_PROJECT_DIR), "--log-path", str(tmp_path),
                              "--target-path", str(tmp_path / "target"), "--quiet"])
    skipped = build.checked_by_the_gate(manifest)
    # marts__dim_country: country_iso3 unique, critical; marts__results_funding: partner
    # and year unique together, critical.
    assert "unique_dim_country_country_iso3" in skipped
    assert "unique_combination_results_funding_partner__year" in skipped
    # The gate does not check coverage_sdg131's grain, nor any layer but the marts.
    assert not any(n.startswith("unique_combination_coverage_sdg131_") for n in skipped)
    tests = [n for n in manifest.nodes.values() if n.resource_type == "test"]
    assert all(manifest.nodes[t.attached_node].schema == "marts" for t in tests
               if t.name in skipped)
    assert len(skipped) < len(tests) / 4
