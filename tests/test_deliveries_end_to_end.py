"""Every bad delivery of the corpus, and every poison of issue 22, beside the good sample:
the run publishes, the good figures stay exactly those of a run without them, every bad
entry has its reason and, where there is something to send back, its feedback workbook, and
the archive holds every byte it may keep.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
from fixtures import poison
from test_workbook_corpus import BAD_WORKBOOKS, EXPECTED

from ingest.paths import SAMPLE_SSI_DIR, resolve
from ingest.ssi_workbook import MAX_FILE_BYTES
from warehouse.run import pipeline

# Counts of deliveries turned away are what differs between the two runs, by design.
TURNED_AWAY = {"ssi_reporting_status": ("rejected_deliveries", "quarantined_deliveries",
                                        "latest_problem")}
OTHER_ENTRIES = {  # what else lands in a folder, and the reason it gets
    "figures.csv": "unsupported_format", "report.pdf": "unsupported_format",
    "figures.xlsx": "not_a_file",
}


def marts(warehouse: Path) -> dict[str, list]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for (table,) in con.execute("select table_name from duckdb_tables() where "
                                    "schema_name = 'marts' order by 1").fetchall():
            left_out = TURNED_AWAY.get(table, ())
            columns = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = 'marts' and "
                "table_name = ? order by column_index", [table]).fetchall() if c not in left_out]
            out[table] = sorted(map(repr, con.execute(
                f"select {', '.join(columns)} from marts.{table}").fetchall()))
        return out
    finally:
        con.close()


def test_bad_deliveries_beside_the_sample_change_no_good_figure(tmp_path):
    good = shutil.copytree(SAMPLE_SSI_DIR, tmp_path / "good")
    alone = pipeline.nightly(str(tmp_path / "alone" / "spf.duckdb"), landing=str(good))
    assert alone["published"]

    mixed = shutil.copytree(SAMPLE_SSI_DIR, tmp_path / "mixed")
    bad = {name: build(mixed / "bad" / name) for name, build in BAD_WORKBOOKS.items()}
    (mixed / "figures.csv").write_text("country,year,total\nKHM,2019,1000\n")
    (mixed / "report.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (mixed / "figures.xlsx").mkdir()
    (mixed / "~$KHM_2019_r1.xlsx").write_bytes(b"lock")
    (mixed / ".DS_Store").write_bytes(b"hidden")
    # Poison: each of these once stopped every night (issue 22).
    poison.far_cell_xlsx(SAMPLE_SSI_DIR / "KHM_2022_r1.xlsx", mixed / "poison" / "far.xlsx")
    poison.byte_named(mixed / "poison", b"S\xe9n\xe9gal_2022.xlsx",
                      (SAMPLE_SSI_DIR / "SEN_2022_r1.xlsx").read_bytes())
    long = f"poison/KHM_2022_{'x' * 231}.xlsx"
    (mixed / long).write_bytes(b"not a workbook, and a name too long to write feedback under")
    poison.sparse(mixed / "poison" / "big.xlsx", 4 * 2**30)
    poison.deep_folders(mixed / "poison" / "deep", 1_100)
    warehouse = tmp_path / "mixed_wh" / "spf.duckdb"
    try:
        summary = pipeline.nightly(str(warehouse), landing=str(mixed))
    finally:
        poison.remove_tree(mixed / "poison" / "deep")
    assert summary["published"]

    assert marts(warehouse) == marts(tmp_path / "alone" / "spf.duckdb")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        recorded = {name: (status, code) for name, status, code in con.execute(
            "select original_name, status, reason_code from ops.submissions").fetchall()}
    finally:
        con.close()
    expected = {path.relative_to(mixed).as_posix(): ("rejected", EXPECTED[name])
                for name, path in bad.items()}
    expected |= {name: ("rejected", code) for name, code in OTHER_ENTRIES.items()}
    expected |= {"poison/far.xlsx": ("rejected", "too_many_cells"),
                 "poison/S\\xe9n\\xe9gal_2022.xlsx": ("rejected", "bad_file_name"),
                 long: ("rejected", "name_too_long"),
                 "poison/big.xlsx": ("rejected", "too_large"),
                 "poison/deep/" + "/".join(["d"] * 19): ("rejected", "too_deep")}
    assert {name: recorded.get(name) for name in expected} == expected
    assert summary["ssi"]["ignored"] == 2  # the lock file and the hidden file, counted
    # Each one with something to send back has its feedback workbook, the long name too.
    written = {r["file"]: r["feedback"] for r in summary["review"]}
    for name in ("poison/far.xlsx", long):
        assert written[name] and Path(written[name]).is_file(), name

    archive = resolve(warehouse).archive / "ssi"
    for path in [p for p in mixed.rglob("*") if p.is_file() and not p.name.startswith(
            (".", "~$")) and p.stat().st_size <= MAX_FILE_BYTES]:  # a file over it is never read
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        kept = list((archive / sha[:2]).glob(f"{sha}.*[!n]"))  # not the .meta.json
        assert kept and kept[0].read_bytes() == path.read_bytes(), path
