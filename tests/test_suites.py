"""Every suite in expectations/suites builds completely and explains itself."""

from __future__ import annotations

import pytest

from expectations.gates import Gates, load_suite, suite_names

SUITES = suite_names()


def test_there_is_a_suite_per_source_table_and_mart():
    assert {"ssi__context", "ssi__schemes", "ssi__contributors", "ssi__beneficiaries",
            "ssi__expenditure", "marts__coverage_sdg131", "marts__coverage_sdg131_regional",
            "marts__sp_expenditure", "marts__dim_country"} <= set(SUITES)


@pytest.mark.parametrize("name", SUITES)
def test_each_expectation_has_a_severity_and_a_reason(name):
    spec = load_suite(name)
    assert spec["name"] == name
    for expectation in spec["expectations"]:
        assert expectation["severity"] in {"critical", "warning", "info"}
        assert len(expectation["meta"]["why"]) > 15, expectation


@pytest.fixture(scope="module")
def gates(tmp_path_factory):
    root = tmp_path_factory.mktemp("gx")
    return Gates(root / "gx", root / "docs")


@pytest.mark.parametrize("name", SUITES)
def test_each_suite_builds_every_expectation(gates, name):
    checkpoint = gates._checkpoint(name, [])
    suite = checkpoint.validation_definitions[0].suite
    assert len(suite.expectations) == len(load_suite(name)["expectations"])


def test_a_suite_gx_cannot_build_fails_loudly(tmp_path, monkeypatch):
    import json

    import pandas as pd

    from expectations import gates as module

    (tmp_path / "marts__broken.json").write_text(json.dumps({"name": "marts__broken",
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"},
             "severity": "critical", "meta": {"why": "kept"}},
            {"type": "expect_column_values_to_be_awesome", "kwargs": {"column": "a"},
             "severity": "critical", "meta": {"why": "no such expectation"}}]}))
    monkeypatch.setattr(module, "SUITES_DIR", tmp_path)
    fresh = Gates(tmp_path / "gx", tmp_path / "docs")
    with pytest.raises(module.SuiteError, match="only 1 of 2 expectations"):
        fresh.validate("marts__broken", pd.DataFrame({"a": [1]}), [])
