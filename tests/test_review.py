"""The statisticians' review loop: year-on-year plausibility warnings that never block
publication, the feedback workbook of a warned submission, and who has reported.

Two pipeline runs without Prefect, one per module fixture: workbooks written for the
plausibility checks, and the bundled sample for the reporting status (counted by hand
from its file list and its README, not from the mart).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import openpyxl
import pytest
from conftest import query, worked_example

from ingest.paths import SAMPLE_SSI_DIR
from ingest.reference import COUNTRY_CODES, PHASE1_FOCUS, PHASE2_FOCUS
from ingest.samples.workbook import write_ssi_workbook


def grown(example: dict, population: float, pension: float) -> dict:
    """`example` with its population times `population` and its old-age pensioners (both
    schemes, both sexes) times `pension`."""
    for row in example["context"]:
        if row["item"] == "POP_TOTAL":
            row.update({k: round(row[k] * population) for k in ("total", "women", "men")})
    for row in example["beneficiaries"]:
        if row["function"] == "OLD":
            row.update({k: round(row[k] * pension) for k in ("total", "women", "men")})
    return example


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """One pipeline run over four countries, each reported twice.

    KHM 2019 -> 2020: population +60 % in one year, pension coverage 75.0 % -> 45.0 %
    (30 points): both warned. LAO 2019 -> 2020: +10 % and 7.5 points: nothing. TLS 2019 ->
    2021: +40 % two years apart (allowance 50 %): nothing. MWI 2019 -> 2021: +60 % two years
    apart: warned.
    """
    root = tmp_path_factory.mktemp("review")
    landing = root / "landing"
    changes = {"KHM": (2020, 1.6, 0.6), "LAO": (2020, 1.1, 1.1), "TLS": (2021, 1.4, 1.0),
               "MWI": (2021, 1.6, 1.0)}
    for iso3, (year, population, pension) in changes.items():
        write_ssi_workbook(landing / f"{iso3}_2019.xlsx", **worked_example(iso3, 2019))
        write_ssi_workbook(landing / f"{iso3}_{year}.xlsx", **grown(
            worked_example(iso3, year), population, pension))
    from warehouse.run import pipeline

    warehouse = root / "wh" / "spf.duckdb"
    summary = pipeline.nightly(str(warehouse), landing=str(landing))
    return {"root": root, "landing": landing, "warehouse": warehouse, "summary": summary}


def checks(warehouse: Path, where: str = "true") -> list[tuple]:
    return query(warehouse, "select submission_id, check_name, item, sex, severity, "
                 "round(earlier_value, 1), round(new_value, 1), earlier_submission_id, "
                 f"threshold from ops.submission_checks where {where} order by all")


def test_plausibility_warnings_by_name_while_publication_goes_on(reviewed):
    summary, warehouse = reviewed["summary"], reviewed["warehouse"]
    assert summary["published"] is True
    assert summary["ssi"]["counts"] == {"loaded": 8}
    # The warned figures are published: warnings never block.
    assert query(warehouse, "select round(coverage_pct, 1) from marts.coverage_sdg131 where "
                 "submission_id = 'KHM-2020-r1' and series = 'SOC_CONTIG_PENSION' and "
                 "sex = 'SEX_T'") == [(45.0,)]

    assert checks(warehouse, "check_name = 'context_change'") == [
        ("KHM-2020-r1", "context_change", "POP_TOTAL", sex, "warning", before, after,
         "KHM-2019-r1", 25.0)
        for sex, before, after in (("SEX_F", 510_000, 816_000), ("SEX_M", 490_000, 784_000),
                                   ("SEX_T", 1_000_000, 1_600_000))
    ] + [("MWI-2021-r1", "context_change", "POP_TOTAL", sex, "warning", before, after,
          "MWI-2019-r1", 50.0)
         for sex, before, after in (("SEX_F", 510_000, 816_000), ("SEX_M", 490_000, 784_000),
                                    ("SEX_T", 1_000_000, 1_600_000))]
    # Pension coverage 75.0 -> 45.0 (SEX_T), 71.4 -> 42.9 (SEX_F), 79.5 -> 47.7 (SEX_M); the
    # total series moves 27.5 -> 15.3, less than 15 points.
    assert checks(warehouse, "check_name = 'coverage_change'") == [
        ("KHM-2020-r1", "coverage_change", "SOC_CONTIG_PENSION", "SEX_F", "warning", 71.4,
         42.9, "KHM-2019-r1", 15.0),
        ("KHM-2020-r1", "coverage_change", "SOC_CONTIG_PENSION", "SEX_M", "warning", 79.5,
         47.7, "KHM-2019-r1", 15.0),
        ("KHM-2020-r1", "coverage_change", "SOC_CONTIG_PENSION", "SEX_T", "warning", 75.0,
         45.0, "KHM-2019-r1", 15.0),
    ]
    # A 10 % move in one year, and 40 % two years apart, raise nothing.
    assert checks(warehouse, "country_iso3 in ('LAO', 'TLS')") == []
    assert query(warehouse, "select what_was_found from ops.submission_checks where "
                 "submission_id = 'KHM-2020-r1' and item = 'SOC_CONTIG_PENSION' and "
                 "sex = 'SEX_T'") == [(
                     "KHM 2020 SOC_CONTIG_PENSION SEX_T 45.0 %: -30.0 points on 75.0 % in "
                     "2019 (KHM-2019-r1); a move of more than 15 points is unusual",)]
    assert query(warehouse, "select what_was_found from ops.submission_checks where "
                 "submission_id = 'MWI-2021-r1' and sex = 'SEX_T'") == [(
                     "MWI 2021 POP_TOTAL SEX_T 1,600,000: +60.0 % on 1,000,000 in 2019 "
                     "(MWI-2019-r1), 2 years earlier; more than 50 % in 2 years (25 % a year) "
                     "is unusual",)]

    # The marts gate reports them as warnings of their own suite, with a Data Docs page.
    gate = {v["suite"]: v for v in summary["marts_gate"]["validations"]}
    review = gate["marts__submission_checks"]
    assert review["passed"] is True and review["failures"] == []
    warned = " ".join(review["warnings"])
    assert "expect_column_values_to_be_null(context_change) failed on 6 row(s)" in warned
    assert "expect_column_values_to_be_null(coverage_change) failed on 3 row(s)" in warned
    assert "KHM 2020 POP_TOTAL SEX_T 1,600,000" in warned and "[warning]" in warned
    assert "series_missing" not in warned and "expenditure_change" not in warned
    page = Path(review["page"].removeprefix("file://"))
    assert page.exists() and "KHM 2020 SOC_CONTIG_PENSION" in page.read_text()


def test_feedback_of_a_warned_submission_points_at_its_cells(reviewed, tmp_path):
    from ingest.paths import resolve
    from warehouse.review.feedback import feedback_for
    from warehouse.shared.errors import RunFailed

    paths = resolve(reviewed["warehouse"])
    out = tmp_path / "KHM_2020_feedback.xlsx"
    feedback = feedback_for(paths, "KHM-2020-r1", out)
    assert (feedback.status, feedback.language) == ("loaded", "en")
    assert [(i.kind, i.code) for i in feedback.items] == [
        ("warning", "context_change")] * 3 + [("warning", "coverage_change")] * 3

    # Where the figures are, read from the workbook that was sent, independently.
    sent = openpyxl.load_workbook(reviewed["landing"] / "KHM_2020.xlsx")
    cells = {}
    for sheet in ("Context", "Beneficiaries"):
        rows = list(sent[sheet].iter_rows())
        header = next(r for r in rows if any(c.value == "Total" for c in r))
        column = {c.value: c.column_letter for c in header}
        for row in rows[header[0].row:]:
            key = row[0].value if sheet == "Context" else row[1].value
            cells.setdefault((sheet, key), []).append(row[0].row)
        cells[sheet] = column
    pop_row = cells[("Context", "POP_TOTAL")][0]
    total = f"{cells['Context']['Total']}{pop_row}"
    old_age = [f"{cells['Beneficiaries']['Total']}{r}" for r in cells[("Beneficiaries", "OLD")]]
    pensionable = f"{cells['Context']['Total']}{cells[('Context', 'POP_PENSIONABLE')][0]}"

    book = openpyxl.load_workbook(out)
    problems = book.worksheets[0]
    assert problems.title == "Problems"
    table = [r for r in problems.iter_rows(values_only=True) if isinstance(r[0], int)]
    sex_t = [r for r in table if "total)" in r[5]]
    assert [(r[1], r[2], r[3], r[4]) for r in sex_t] == [
        ("Warning", "Context", total, "1,600,000"),
        ("Warning", "Beneficiaries", ", ".join(old_age + [f"Context!{pensionable}"]),
         "45.0 %")]
    assert sex_t[0][5] == ("POP_TOTAL (total): 1,600,000 in 2020 against 1,000,000 in 2019, "
                           "+60.0 % in 1 year; more than 25 % is unusual.")
    assert book["Context"][total].value == 1_600_000
    assert book["Context"][total].fill.fgColor.rgb.endswith("FFEB9C")
    assert "What to do:" in book["Context"][total].comment.text
    for cell in old_age:
        assert book["Beneficiaries"][cell].comment is not None

    with pytest.raises(RunFailed, match="nothing to send back"):
        feedback_for(paths, "LAO-2020-r1", tmp_path / "none.xlsx")


def test_many_feedback_workbooks_in_worker_processes_are_those_written_one_by_one(
        reviewed, tmp_path, monkeypatch):
    """What a first load of every year asks for (hundreds of rejected workbooks) is written
    by worker processes, each workbook as `spf feedback` writes it alone."""
    from ingest.paths import resolve
    from warehouse.review import feedback

    paths = resolve(reviewed["warehouse"])
    keys = ["KHM-2020-r1", "MWI-2021-r1", "LAO-2020-r1"]
    monkeypatch.setattr(feedback, "PARALLEL_FROM", 2)
    many = feedback.feedback_batch(paths, [(k, tmp_path / f"{k}.many.xlsx") for k in keys])
    assert many[:2] == [None, None] and "nothing to send back" in many[2]
    assert not (tmp_path / "LAO-2020-r1.many.xlsx").exists()

    def values(path: Path) -> dict:
        book = openpyxl.load_workbook(path)
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}

    for key in keys[:2]:
        feedback.feedback_for(paths, key, tmp_path / f"{key}.one.xlsx")
        assert values(tmp_path / f"{key}.many.xlsx") == values(tmp_path / f"{key}.one.xlsx")


# ---------------------------------------------------------------------------------------
# Who has reported: the bundled sample, counted by hand.

# What becomes of the sample's files that do not load (ingest/samples/ssi/README.md).
SAMPLE_REJECTED = {"TGO_2022_r2.xlsx", "HND_2019_r1_resent.xlsx"}
SAMPLE_DUPLICATES = {"KHM_2019_r1_copy.xlsx"}
SAMPLE_NAME = re.compile(r"([A-Z]{3})_(\d{4})_r(\d+)(?:_[a-z]+)?\.xlsx")


def by_hand() -> dict[tuple[str, int], tuple[str, int | None, int]]:
    """(country, year) -> (status, accepted revision, rejected deliveries), from the names of
    the sample's files and the README's account of which are turned away."""
    accepted: dict[tuple[str, int], list[int]] = defaultdict(list)
    rejected: Counter[tuple[str, int]] = Counter()
    for path in sorted(SAMPLE_SSI_DIR.glob("*.xlsx")):
        iso3, year, revision = SAMPLE_NAME.fullmatch(path.name).groups()
        key = (iso3, int(year))
        if path.name in SAMPLE_DUPLICATES:
            continue
        if path.name in SAMPLE_REJECTED:
            rejected[key] += 1
        else:
            accepted[key].append(int(revision))
    years = range(min(y for _, y in accepted), max(y for _, y in accepted) + 1)
    status = {}
    for iso3 in COUNTRY_CODES:
        for year in years:
            key = (iso3, year)
            if key in accepted:
                status[key] = ("accepted", max(accepted[key]), rejected[key])
            else:
                status[key] = ("rejected" if rejected[key] else "not_received", None,
                               rejected[key])
    return status


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The bundled sample, run once (no source given: the samples of both sources)."""
    from warehouse.run import pipeline

    warehouse = tmp_path_factory.mktemp("sample") / "wh" / "spf.duckdb"
    summary = pipeline.nightly(str(warehouse))
    assert summary["published"] is True
    return warehouse


def test_reporting_status_of_the_bundled_sample_by_hand(sample):
    expected = by_hand()
    # 249 countries x 2019..2022; 21 countries accepted for 2019 and 2022, none in between.
    assert len(expected) == 249 * 4
    assert Counter(s for s, _, _ in expected.values()) == {"accepted": 42,
                                                          "not_received": 954}
    assert expected[("TGO", 2022)] == ("accepted", 1, 1)
    assert expected[("HND", 2019)] == ("accepted", 1, 1)
    assert expected[("KHM", 2019)] == ("accepted", 2, 0)

    rows = query(sample, "select country_iso3, year, status, accepted_revision, "
                 "rejected_deliveries from marts.ssi_reporting_status")
    assert {(c, y): (s, r, n) for c, y, s, r, n in rows} == expected
    assert len(rows) == len(expected)
    assert query(sample, "select latest_problem from marts.ssi_reporting_status where "
                 "(country_iso3, year) in (('TGO', 2022), ('HND', 2019)) order by all") == [
        ("conflicting_redelivery",), ("not_a_number",)]
    focus = query(sample, "select country_iso3, phase1_focus, phase2_focus from "
                  "marts.ssi_reporting_status where year = 2019")
    assert sorted(c for c, p1, _ in focus if p1) == sorted(PHASE1_FOCUS)
    assert sorted(c for c, _, p2 in focus if p2) == sorted(PHASE2_FOCUS)

    # The submission date of the accepted revision, from its cover.
    cover = openpyxl.load_workbook(SAMPLE_SSI_DIR / "KHM_2019_r2.xlsx")["Cover"]
    written = next(row[1].value for row in cover.iter_rows() if row[0].value ==
                   "Submission date")
    assert query(sample, "select accepted_submission_id, submission_date from "
                 "marts.ssi_reporting_status where country_iso3 = 'KHM' and year = 2019") == [
        ("KHM-2019-r2", written.date())]


def test_sample_years_are_compared_with_their_earlier_year(sample):
    """Each 2022 submission of the sample is compared with the same country's 2019 one."""
    expected = {(f"{iso3}-2022-r1", f"{iso3}-2019-r{2 if iso3 == 'KHM' else 1}")
                for (iso3, year), (status, _, _) in by_hand().items()
                if year == 2022 and status == "accepted"}
    assert set(query(sample, "select distinct submission_id, earlier_submission_id from "
                     "intermediate.int_ssi__year_on_year")) == expected
    assert query(sample, "select distinct years_elapsed from "
                 "intermediate.int_ssi__year_on_year") == [(3,)]


def test_countries_yet_to_report_a_year_focus_countries_first(sample):
    from warehouse.review.submissions import missing_reports

    columns, rows = missing_reports(sample, 2022)
    assert columns[:4] == ["country_iso3", "country_name", "focus", "status"]
    accepted = {c for (c, y), (s, _, _) in by_hand().items() if y == 2022 and s == "accepted"}
    assert sorted(r[0] for r in rows) == sorted(COUNTRY_CODES - accepted)
    # Every phase-1 country reported 2022: the phase-2 ones come first, then the others.
    focus = [r[2] for r in rows]
    assert focus == sorted(focus, key=lambda f: f is None)
    assert focus.count("phase 2") == len(set(PHASE2_FOCUS) - set(PHASE1_FOCUS))
    assert {r[3] for r in rows} == {"not_received"}
    _, later = missing_reports(sample, 2030)  # nothing accepted for it: everyone is missing
    assert len(later) == len(COUNTRY_CODES)
    phase2_only = set(PHASE2_FOCUS) - set(PHASE1_FOCUS)
    assert [r[0] for r in later[:len(PHASE1_FOCUS) + len(phase2_only)]] == \
        sorted(PHASE1_FOCUS) + sorted(phase2_only)


# ---------------------------------------------------------------------------------------
# The open items of the review (issue 26): one vocabulary, kept until settled.


def by_hand_needing_feedback(warehouse: Path) -> set[str]:
    """What needs feedback in the sample, from its marts and ops tables rather than the
    review's code: the files rejected (none of them was followed by a later revision of
    its country and year), and the current submissions with a figure above 100 %."""
    rejected = {sha[:12] for (sha,) in query(
        warehouse, "select sha256 from ops.submissions where status = 'rejected'")}
    above = {sid for (sid,) in query(
        warehouse, "select distinct submission_id from marts.coverage_sdg131 "
                   "where coverage_pct > 100")}
    return rejected | above


def test_the_review_of_the_sample_lists_what_needs_feedback_in_one_vocabulary(sample,
                                                                               tmp_path):
    from typer.testing import CliRunner

    from ingest.paths import resolve
    from warehouse.cli import app
    from warehouse.review.items import open_items

    items = open_items(resolve(sample))
    assert {i.key for i in items} == by_hand_needing_feedback(sample)
    assert {"KGZ-2019-r1", "KGZ-2022-r1", "CPV-2019-r1", "CPV-2022-r1"} <= {i.key for i in items}
    kgz = next(i for i in items if i.key == "KGZ-2019-r1")
    assert kgz.status == "loaded" and kgz.warnings == [] and kgz.what == "3 flagged figures"
    assert "KGZ 2019 SOC_CONTIG_PENSION SEX_M 131.5 %: numerator exceeds denominator" in \
        kgz.flagged[-1]
    assert query(sample, "select kind, count(*) from ops.submission_checks where "
                 "submission_id = 'KGZ-2019-r1' group by all") == [("flagged", 3)]

    # The case: a figure above 100 % gets its workbook, and says so.
    out = tmp_path / "kgz.xlsx"
    result = CliRunner().invoke(app, ["feedback", "KGZ-2019-r1", "--out", str(out),
                                      "--warehouse", str(sample)])
    assert result.exit_code == 0, result.output
    assert "0 problem(s), 0 warning(s) and 3 flagged figure(s), in en" in result.output
    sheet = openpyxl.load_workbook(out).worksheets[0]
    kinds = [row[1] for row in sheet.iter_rows(values_only=True) if row[0] in (1, 2, 3)]
    assert kinds == ["Flagged figure"] * 3

    # spf status says the same, in the same words.
    result = CliRunner().invoke(app, ["status", "--warehouse", str(sample)])
    assert result.exit_code == 0, result.output
    assert f"{len(items)} submission(s) need feedback" in result.output
    assert re.search(r"KGZ-2019-r1\s+KGZ_2019_r1.xlsx\s+loaded\s+3 flagged figures",
                     result.output)


def test_an_item_stays_until_a_note_or_a_later_revision_settles_it(sample, tmp_path):
    """A statistician's note settles KGZ-2019-r1; a note for a submission not on the review
    is refused; a corrected TGO 2022 revision 3, loaded by the next run, settles the
    rejected revision 2 and the review page is written again without it."""
    from conftest import clone
    from typer.testing import CliRunner

    from ingest.paths import resolve
    from warehouse.cli import app
    from warehouse.review.items import open_items
    from warehouse.run import pipeline

    home = clone(sample.parent, tmp_path / "wh")
    paths = resolve(home / sample.name)
    before = {i.key for i in open_items(paths)}
    tgo = next(i.key for i in open_items(paths) if i.file == "TGO_2022_r2.xlsx")

    result = CliRunner().invoke(app, ["accept", "KGZ-2019-r1", "--note", "confirmed by the "
                                      "focal point", "--warehouse", str(paths.warehouse)])
    assert result.exit_code == 0, result.output
    assert {i.key for i in open_items(paths)} == before - {"KGZ-2019-r1"}
    review = (paths.docs / "review.html").read_text()
    assert "KGZ-2019-r1" not in review and "KGZ-2022-r1" in review
    refused = CliRunner().invoke(app, ["accept", "CMR-2019-r1", "--note", "x",
                                       "--warehouse", str(paths.warehouse)])
    assert refused.exit_code == 1 and "is not on the review page" in refused.output

    landing = tmp_path / "landing"
    write_ssi_workbook(landing / "TGO_2022_r3.xlsx", **worked_example("TGO", 2022, 3))
    assert pipeline.nightly(str(paths.warehouse), landing=str(landing))["published"]
    after = {i.key: i for i in open_items(paths)}
    # Revision 3 (the worked example) moved far from TGO's 2019 figures: it is warned, a
    # new item of its own.
    assert set(after) == before - {"KGZ-2019-r1", tgo} | {"TGO-2022-r3"}
    assert after["TGO-2022-r3"].warnings and after["TGO-2022-r3"].status == "loaded"
    review = (paths.docs / "review.html").read_text()
    assert "TGO_2022_r2.xlsx" not in review and "TGO-2022-r3" in review
