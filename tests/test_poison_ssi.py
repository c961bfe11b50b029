"""Poison in the SSI landing folder is rejected, never fatal (issue 22).

Each of these once stopped every nightly run: a 10 KB workbook whose sheet claims a cell at
XFD99999 (calamine asks for 52 GB and aborts the process), a figure of 400 digits, a file
name that is not UTF-8 (DuckDB aborts the transaction), a folder nested 1,100 deep
(RecursionError), a name too long for its feedback workbook, a 4 GB file read whole
before being refused. Now each is recorded in raw.ssi_files as rejected with its own
reason code and a message saying what is wrong and what to send, the good workbook beside
it loads, and the next run records nothing new. Real files, calamine, DuckDB and worker
processes; what could take the machine's memory runs in a child process whose address
space is limited, so a regression fails the test instead of killing the test runner.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import worked_example
from fixtures import poison

from ingest import landing, raw, ssi
from ingest.landing import land_directory
from ingest.ssi_workbook import FORMATS, MAX_CELLS, size_problem
from warehouse.review.submissions import feedback_name

REPO = Path(__file__).parent.parent
GOOD = "KHM_2019_r1.xlsx"
MEMORY_LIMIT_MB = 4096  # a child's address space: a 52 GB request fails at once
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CELLS = "more than the 2,000,000 cells a sheet may have: delete the rows and columns " \
        "beyond the table (even empty or only formatted ones), save and send again"

# A process's peak resident memory in MB, from the kernel's high-water mark of its own
# memory (ru_maxrss would count the memory of the process it was forked from).
PEAK_MB = """
def peak_mb():
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) // 1024
"""

# Lands a folder twice in a fresh process whose address space is limited: prints the
# state's records, what the second run found new, and the peak memory of the process and
# of its worker processes. argv: state, landing, archive, MB of address space, and a cell
# limit to put in place of MAX_CELLS ("-": the parser's own).
LAND_TWICE = PEAK_MB + """
import json, resource, sys
from pathlib import Path
limit = int(sys.argv[4]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from ingest import raw, ssi, ssi_workbook
if sys.argv[5] != "-":
    ssi_workbook.MAX_CELLS = int(sys.argv[5])
con = raw.connect_state(Path(sys.argv[1]))
ssi.ingest_landing(con, Path(sys.argv[2]), Path(sys.argv[3]), "first")
again = ssi.ingest_landing(con, Path(sys.argv[2]), Path(sys.argv[3]), "second")
rows = con.execute("select original_name, status, reason_code, reason_message "
                   "from raw.ssi_files order by original_name").fetchall()
peak = max(peak_mb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
print(json.dumps({"rows": rows, "again": len(again.outcomes), "peak_mb": peak}))
"""

# Parses each workbook in a fresh process and prints its reason code (or "accepted") and
# how much the process's peak memory grew while it parsed.
PEAK_MEMORY = PEAK_MB + """
import json, sys
from ingest.ssi_workbook import RejectedWorkbook, parse_workbook
out = {}
for path in sys.argv[1:]:
    before = peak_mb()
    try:
        parse_workbook(path)
        code = "accepted"
    except RejectedWorkbook as error:
        code = error.code
    out[path] = (code, peak_mb() - before)
print(json.dumps(out))
"""


@pytest.fixture
def con(tmp_path):
    con = raw.connect_state(tmp_path / "state" / "state.duckdb")
    yield con
    con.close()


def good(folder: Path, name: str = GOOD) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(poison.sample(name), folder / name))


def ingest(con, folder: Path, archive: Path):
    return ssi.ingest_landing(con, folder, archive, "run")


def recorded(con) -> dict[str, tuple]:
    """name -> (status, reason code, reason message, archive path) in the state."""
    return {name: tuple(rest) for name, *rest in con.execute(
        "select original_name, status, reason_code, reason_message, archive_path "
        "from raw.ssi_files order by original_name").fetchall()}


def land_twice(tmp_path: Path, folder: Path, max_cells: int | None = None) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", LAND_TWICE, str(tmp_path / "state.duckdb"), str(folder),
         str(tmp_path / "archive"), str(MEMORY_LIMIT_MB), str(max_cells or "-")],
        capture_output=True, text=True, cwd=REPO, timeout=300)
    assert run.returncode == 0, f"the run died ({run.returncode}): {run.stderr[-2000:]}"
    out = json.loads(run.stdout)
    out["rows"] = {name: tuple(rest) for name, *rest in out["rows"]}
    return out


# ---------------------------------------------------------------------------------------
# 1. A sheet that claims more cells than any sheet may have.


def test_a_sheet_claiming_52_gb_is_rejected_in_every_format_beside_a_good_one(tmp_path):
    """One cell at XFD99999 of a 10 KB workbook: from the sheet's <dimension>, from the cell
    met in the XML when the dimension lies or is missing, however it is written, from cells
    placed without a reference; an .xls (DIMENSIONS and the cell's record), an .ods (a row
    of repeated cells, repeated) and an .xlsb (a cell record beyond its BrtWsDim). Every
    one of them makes calamine ask for gigabytes; each is rejected before it is read."""
    folder = tmp_path / "landing"
    good(folder)
    xlsx = {"dimension.xlsx": ("SEN_2022_r1.xlsx", "A1:XFD99999", True),
            "lying_dimension.xlsx": ("SEN_2019_r1.xlsx", "keep", True),
            "no_dimension.xlsx": ("CPV_2019_r1.xlsx", None, True),
            "unnumbered.xlsx": ("CPV_2022_r1.xlsx", None, False)}
    for name, (source, dimension, numbered) in xlsx.items():
        poison.far_cell_xlsx(poison.sample(source), folder / name, dimension=dimension,
                             numbered=numbered)
    written = {"spaced.xlsx": "<c t=\"n\"\n  r = 'XFD99999'><v>1</v></c>",
               "prefixed.xlsx": f'<x:c xmlns:x="{MAIN}" r="XFD99999"><x:v>1</x:v></x:c>'}
    for name, cell in written.items():
        poison.far_cell_xlsx(poison.sample("MOZ_2019_r1.xlsx"), folder / name, written=cell)
    xlsx |= written
    poison.far_cell_xls(folder / "far.xls")
    poison.far_cell_ods(folder / "far.ods", rows=5_000)
    poison.far_cell_xlsb(folder / "far.xlsb")
    assert max(p.stat().st_size for p in folder.iterdir()) < 20_000

    run = land_twice(tmp_path, folder)
    print(json.dumps(run, indent=1, ensure_ascii=False))
    rows = run["rows"]
    assert rows[GOOD][:2] == ("loaded", None)
    far = {"XFD99999 (99,999 rows x 16,384 columns)": [*xlsx, "far.xlsb"],
           "IV65536 (65,536 rows x 256 columns)": ["far.xls"],
           "XFD5005 (5,005 rows x 16,384 columns)": ["far.ods"]}
    for cell, names in far.items():
        for name in names:
            status, code, message = rows[name]
            assert (status, code) == ("rejected", "too_many_cells"), (name, message)
            assert f": the sheet is used up to cell {cell}, {CELLS}" in message, name
    assert rows["dimension.xlsx"][2] == (
        f"Bénéficiaires: the sheet is used up to cell XFD99999 (99,999 rows x 16,384 "
        f"columns), {CELLS}")
    assert rows["far.xls"][2].startswith("Beneficiaries: ")
    assert len(rows) == 10 and run["again"] == 0
    assert run["peak_mb"] < 600, f"peak memory {run['peak_mb']} MB"


def test_a_sheet_at_the_cell_limit_is_read_in_modest_memory(tmp_path):
    """2,000,000 cells (A1:T100000, one cell in T100000) is the most a sheet may span: read,
    in less than 150 MB more than the process had (calamine's grid at 32 bytes a cell, then
    Python's rows); one column more is refused before anything is read."""
    at = poison.far_cell_xlsx(poison.sample(GOOD), tmp_path / "at_limit.xlsx",
                              cell="T100000", dimension="A1:T100000")
    over = poison.far_cell_xlsx(poison.sample(GOOD), tmp_path / "over_limit.xlsx",
                                cell="U100000", dimension="A1:F16")
    assert 100_000 * 20 == MAX_CELLS
    run = subprocess.run([sys.executable, "-c", PEAK_MEMORY, str(over), str(at)],
                         capture_output=True, text=True, check=True, cwd=REPO, timeout=120)
    peaks = json.loads(run.stdout)
    print(peaks)
    assert peaks[str(at)][0] == "accepted" and peaks[str(over)][0] == "too_many_cells"
    assert peaks[str(at)][1] < 150, f"at the limit, peak memory grew by {peaks[str(at)][1]} MB"
    assert peaks[str(over)][1] < 10


def test_what_reads_a_workbook_besides_the_parser_can_tell_it_is_too_big(tmp_path):
    """The feedback workbook copies every sheet of an archived file: `size_problem` says,
    from the file's own bytes, which ones calamine must not open."""
    poisoned = [poison.far_cell_xlsx(poison.sample(GOOD), tmp_path / "far.xlsx"),
                poison.far_cell_xls(tmp_path / "far.xls"),
                poison.far_cell_ods(tmp_path / "far.ods"),
                poison.far_cell_xlsb(tmp_path / "far.xlsb")]
    assert {path.suffix: getattr(size_problem(path), "code", None) for path in poisoned} == \
        dict.fromkeys((".xlsx", ".xls", ".ods", ".xlsb"), "too_many_cells")
    assert size_problem(poison.sample(GOOD)) is None
    assert size_problem(poison.sparse(tmp_path / "big.xlsx", 2**30)).code == "too_large"


def test_a_worker_that_dies_is_a_rejection_not_the_end_of_the_run(tmp_path):
    """Seventeen workbooks are parsed in worker processes. With the cell limit lifted (as a
    parser bug would), the XFD99999 workbook makes calamine abort its worker, which takes
    the pool down: the workbooks it held are parsed again one by one, each in a process
    of its own; the one that kills it again is rejected as unreadable, the others load."""
    folder = tmp_path / "landing"
    samples = sorted(p.name for p in poison.sample(GOOD).parent.glob("*_r1.xlsx"))[:16]
    for name in samples:
        good(folder, name)
    poison.far_cell_xlsx(poison.sample("SEN_2022_r1.xlsx"), folder / "far.xlsx",
                         dimension="A1:XFD99999")
    assert len(samples) + 1 > ssi.PARALLEL_FROM

    run = land_twice(tmp_path, folder, max_cells=10**15)
    rows = run["rows"]
    print(rows["far.xlsx"])
    assert rows["far.xlsx"] == ("rejected", "unreadable_file", (
        "reading the file stopped the program that reads workbooks (it asked for more "
        "memory than a workbook may take, or the file is damaged): open it in Excel or "
        "LibreOffice, save it again as a workbook (.xlsx) and send the saved file"))
    assert {name: rows[name][0] for name in samples} == dict.fromkeys(samples, "loaded")
    assert run["again"] == 0


# ---------------------------------------------------------------------------------------
# Figures that are no numbers a submission can mean.


def test_figures_beyond_what_the_contract_can_mean_are_rejected(tmp_path, con,
                                                                write_workbook):
    """400 digits (float() makes it infinity), a revision of 1e300 (no integer column holds
    it), a start year of 1e300, a GDP of 1e19: rejected naming the cell, not stored."""
    folder, archive = tmp_path / "landing", tmp_path / "archive"
    good(folder)
    rows = [dict(row) for row in worked_example()["beneficiaries"]]
    rows[0]["total"] = "9" * 400
    write_workbook("digits.xlsx", **worked_example(iso3="SEN", beneficiaries=rows))
    huge = worked_example(iso3="CPV", context=[{"item": "GDP", "total": 1e19}])
    huge["cover"]["revision"] = 1e300
    huge["schemes"][1]["start_year"] = 1e300
    write_workbook("huge.xlsx", **huge)

    result = ingest(con, folder, archive)
    assert result.counts() == {"loaded": 1, "rejected": 2}
    state = recorded(con)
    print(json.dumps(state, indent=1, default=str))
    assert state["digits.xlsx"][:3] == ("rejected", "number_too_large", (
        "Beneficiaries!D4: '999999999999999...9999999' (400 digits) is more persons than "
        "there can be (at most 10,000,000,000, more than the world's population): correct "
        "the figure, or write '..' if it is not known"))
    message = state["huge.xlsx"][2]
    assert state["huge.xlsx"][1] == "invalid_revision"
    assert message.startswith("Cover!B4: 1e+300 is out of range (at most 999): number a "
                              "first submission 1")
    assert "Schemes!F5: 1e+300 is not a year: write the year the scheme started" in message
    assert "Context!B4: 1e+19 is more than any amount can be (at most 10^18" in message
    problems = json.loads(con.execute("select problems from raw.ssi_files where "
                                      "original_name = 'huge.xlsx'").fetchall()[0][0])
    assert sorted(p["code"] for p in problems) == [
        "invalid_revision", "number_too_large", "number_too_large"]
    assert ingest(con, folder, archive).outcomes == []


# ---------------------------------------------------------------------------------------
# 2. and 6. Names: not UTF-8, or holding what a terminal acts on.


def test_a_name_that_is_not_utf8_is_kept_and_rejected_saying_how_it_reads(tmp_path, con):
    """b'S\\xe9n\\xe9gal_2022.xlsx' as a Windows share writes it: recorded with its odd
    bytes escaped, never as surrogates (DuckDB aborted the transaction on them), its bytes
    archived; renamed and sent again, it loads."""
    folder, archive = tmp_path / "landing", tmp_path / "archive"
    good(folder)
    data = poison.sample("SEN_2022_r1.xlsx").read_bytes()
    bad = poison.byte_named(folder, b"S\xe9n\xe9gal_2022.xlsx", data)
    poison.byte_named(folder / "Donn\udce9es", b"CPV_2019.csv", b"item,total\n")

    result = ingest(con, folder, archive)
    assert result.counts() == {"loaded": 1, "rejected": 2}
    state = recorded(con)
    print(json.dumps(state, indent=1, ensure_ascii=False))
    assert state["S\\xe9n\\xe9gal_2022.xlsx"] == ("rejected", "bad_file_name", (
        "'S\\xe9n\\xe9gal_2022.xlsx' has a name that is not valid UTF-8 text (perhaps "
        "'Sénégal_2022.xlsx', as Windows writes it), so it was kept but not read: rename "
        "it, e.g. to 'Senegal_2022.xlsx', and send it again"), None)
    assert state["Donn\\xe9es/CPV_2019.csv"][1] == "bad_file_name"
    assert "e.g. to 'Donnees/CPV_2019.csv'" in state["Donn\\xe9es/CPV_2019.csv"][2]
    sha = hashlib.sha256(data).hexdigest()
    assert (archive / "ssi" / sha[:2] / f"{sha}.xlsx").read_bytes() == data

    assert ingest(con, folder, archive).outcomes == []
    os.rename(bad, folder / "Senegal_2022.xlsx")
    assert ingest(con, folder, archive).counts() == {"loaded": 1}
    assert recorded(con)["Senegal_2022.xlsx"][0] == "loaded"


def test_control_characters_in_names_are_escaped_in_messages(tmp_path, con):
    """A terminal's escape codes and line breaks in a name reach messages escaped."""
    folder = tmp_path / "landing"
    good(folder)
    (folder / "KHM\x1b[2J\x1b]0;owned\x07\r\n.csv").write_bytes(b"item,total\n")
    ingest(con, folder, tmp_path / "archive")
    message = recorded(con)["KHM\x1b[2J\x1b]0;owned\x07\r\n.csv"][2]
    assert message.startswith("'KHM\\x1b[2J\\x1b]0;owned\\x07\\r\\n.csv' is a CSV file; ")
    assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in message)


# ---------------------------------------------------------------------------------------
# 3. A folder nested too deep.


def test_a_folder_nested_1100_deep_is_walked_to_20_levels_and_recorded(tmp_path, con):
    folder, archive = tmp_path / "landing", tmp_path / "archive"
    try:
        bottom = poison.deep_folders(folder, 1_100)
        good(bottom, "SEN_2022_r1.xlsx")
        deepest_read = folder.joinpath(*["d"] * landing.MAX_DEPTH)
        good(deepest_read)
        result = ingest(con, folder, archive)
        state = recorded(con)
        too_deep = "/".join(["d"] * (landing.MAX_DEPTH + 1))
        assert sorted(state) == sorted([too_deep, "/".join(["d"] * 20 + [GOOD])])
        assert state["/".join(["d"] * 20 + [GOOD])][0] == "loaded"
        assert state[too_deep][:3] == ("rejected", "too_deep", (
            f"'{too_deep}' is a folder more than 20 levels below the landing folder, whose "
            "content was not looked at, so nothing was archived; move the SSI workbooks it "
            "holds at most 20 folders below the landing folder"))
        assert result.counts() == {"loaded": 1, "rejected": 1}
        assert ingest(con, folder, archive).outcomes == []
    finally:
        if folder.exists():
            poison.remove_tree(folder)


# ---------------------------------------------------------------------------------------
# 4. A name too long for its feedback workbook.


def test_a_name_too_long_is_rejected_and_a_feedback_name_always_fits(tmp_path, con):
    folder, archive = tmp_path / "landing", tmp_path / "archive"
    good(folder)
    long = f"KHM_2022_{'x' * 231}.xlsx"
    assert len(long) == 245
    (folder / long).write_bytes(poison.sample("KHM_2022_r1.xlsx").read_bytes())
    ingest(con, folder, archive)
    status, code, message, archived = recorded(con)[long]
    print(message)
    assert (status, code, archived) == ("rejected", "name_too_long", None)
    assert message.startswith(f"'{long[:106]}...")
    assert message.endswith(
        "has a name of 245 characters, more than the 200 a file's name may have, so it was "
        "kept but not read: give it a shorter name (e.g. KHM_2022_r1.xlsx) and send it again")
    assert ingest(con, folder, archive).outcomes == []

    sha = hashlib.sha256(b"x").hexdigest()
    for name in (long, f"{'é' * 250}.xlsx", "sub/KHM_2022_r1.xlsx"):
        made = feedback_name(name, sha)
        assert len(made.encode()) <= 255 and made.endswith(f".{sha[:12]}.feedback.xlsx")
        (tmp_path / made).write_bytes(b"")  # the file system takes it
    assert feedback_name("sub/KHM_2022_r1.xlsx", sha) == f"KHM_2022_r1.{sha[:12]}.feedback.xlsx"


# ---------------------------------------------------------------------------------------
# 5. A file too large: refused from its size on disk, never read.


def test_a_4gb_file_is_refused_from_its_size_without_being_read(tmp_path, con, monkeypatch):
    folder, archive = tmp_path / "landing", tmp_path / "archive"
    good(folder)
    poison.sparse(folder / "big.xlsx", 4 * 2**30)
    read = []
    monkeypatch.setattr(landing, "on_read", lambda path: read.append(path.name))

    assert ingest(con, folder, archive).counts() == {"loaded": 1, "rejected": 1}
    assert recorded(con)["big.xlsx"] == ("rejected", "too_large", (
        "'big.xlsx' is 4,096.0 MB, more than the 50.0 MB a file may be, so nothing was "
        "archived; remove pictures, copies of sheets and data that are not part of the "
        "inquiry, save it and send again"), None)
    assert read == [GOOD]
    assert max(p.stat().st_size for p in archive.rglob("*") if p.is_file()) < 2**20
    assert ingest(con, folder, archive).outcomes == [] and "big.xlsx" not in read


def test_the_size_limit_is_inclusive_and_a_file_growing_past_it_is_not_read(tmp_path):
    folder, archive = tmp_path / "landing", tmp_path / "archive"
    folder.mkdir()
    (folder / "at.xlsx").write_bytes(b"a" * 1000)
    (folder / "over.xlsx").write_bytes(b"o" * 1001)
    found = land_directory(folder, archive, "ssi", set(), FORMATS, max_bytes=1000)
    assert [(f.original_name, f.size_bytes) for f in found.files] == [
        ("at.xlsx", 1000), ("over.xlsx", None)]
    assert [r.code for r in found.refused.values()] == ["too_large"]

    growing = folder / "growing.xlsx"
    growing.write_bytes(b"g" * 1000)
    with growing.open("rb") as handle:
        before = os.fstat(handle.fileno())
        with growing.open("ab") as writer:
            writer.write(b"g" * 10**6)
        assert landing._read_settled(handle, before, growing, 1000) is None
        assert handle.tell() == 1001  # no more than the limit and one byte
