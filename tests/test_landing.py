"""Landing: nothing in a landing folder is passed over in silence, and it is only ever read.

Every spreadsheet goes to the parser; anything else is recorded once as rejected, saying
what to send instead; lock files and hidden files are counted; a file still being written,
or younger than the settle time, is left for the next run. Real files, folders, links and a
real concurrent writer; the landing and ingest steps without Prefect.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import query, worked_example

from ingest import landing, raw, ssi
from ingest.landing import land_directory
from ingest.paths import resolve
from ingest.ssi_workbook import FORMATS
from warehouse.review.quarantine import status_rows
from warehouse.run import pipeline, report
from warehouse.shared.errors import RunFailed
from warehouse.shared.summary import source_summary

SEND = "send the SSI workbook as .xlsx, .xlsm, .xls, .xlsb or .ods"
COPY = "copy the SSI workbook itself into the landing folder, as .xlsx, .xlsm, .xls, .xlsb or .ods"


@pytest.fixture
def con(tmp_path):
    con = raw.connect_state(tmp_path / "home" / "state" / "spf_state.duckdb")
    yield con
    con.close()


def ingest(con, folder: Path, archive: Path, settle_seconds: float = 0):
    return ssi.ingest_landing(con, folder, archive, "run", settle_seconds=settle_seconds)


def recorded(con) -> dict[str, tuple]:
    """name -> (status, reason code, reason message, archive path, size) in the state."""
    return {name: tuple(rest) for name, *rest in con.execute(
        "select original_name, status, reason_code, reason_message, archive_path, size_bytes "
        "from raw.ssi_files order by original_name").fetchall()}


def snapshot(folder: Path) -> dict[str, tuple]:
    """Everything about a folder a landing could change: entries, kinds, sizes, times,
    link texts, bytes (of what can be read without following a link)."""
    seen = {}
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(top) / name
            info = os.lstat(path)
            data = None
            if stat.S_ISLNK(info.st_mode):
                data = os.readlink(path)
            elif stat.S_ISREG(info.st_mode) and os.access(path, os.R_OK):
                data = path.read_bytes()
            seen[path.relative_to(folder).as_posix()] = (
                info.st_mode, info.st_size, info.st_mtime_ns, data)
    return seen


def archived_contents(archive: Path) -> set[bytes]:
    return {p.read_bytes() for p in archive.rglob("*") if p.is_file()
            and not p.name.endswith(".meta.json")}


def test_every_spreadsheet_format_goes_to_the_parser(tmp_path, con, write_workbook):
    folder = tmp_path / "landing"
    write_workbook("KHM_2019.XLSX", **worked_example())  # the suffix in capitals
    # Not valid workbooks: the parser, not the landing, says what is wrong with them.
    for number, name in enumerate(("a.xlsm", "b.xls", "c.xlsb", "d.ods", "e.XLS")):
        (folder / name).write_bytes(b"not really a spreadsheet %d" % number)
    assert all(ssi.is_workbook(f"x{suffix}") for suffix in FORMATS)

    result = ingest(con, folder, tmp_path / "archive")
    assert result.counts() == {"loaded": 1, "rejected": 5}
    rows = recorded(con)
    assert rows["KHM_2019.XLSX"][0] == "loaded"
    for name in ("a.xlsm", "b.xls", "c.xlsb", "d.ods", "e.XLS"):
        status, code, _, archive_path, _ = rows[name]
        assert status == "rejected" and archive_path is not None, name
        assert code not in ("unsupported_format", "not_a_file", "link_outside_landing",
                            "broken_link"), (name, code)  # the parser's verdict


def test_anything_else_is_recorded_once_as_rejected_saying_what_to_send(tmp_path, con):
    folder, archive, outside = tmp_path / "landing", tmp_path / "archive", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    files = {"figures.csv": b"item,total\nPOP_TOTAL,1000\n", "report.PDF": b"%PDF-1.7 ...",
             "note.docx": b"PK\x03\x04 word", "all.zip": b"PK\x03\x04 zip",
             "photo.png": b"\x89PNG\r\n", "sub/README": b"no suffix at all"}
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (folder / "figures.xlsx").mkdir()  # a folder named like a workbook, say an unpacked one
    (folder / "figures.xlsx" / "[Content_Types].xml").write_bytes(b"<Types/>")
    secret = outside / "KHM_2019.xlsx"
    secret.write_bytes(b"bytes that live outside the landing folder")
    (folder / "KHM_2019.xlsx").symlink_to(secret)
    (folder / "elsewhere").symlink_to(outside, target_is_directory=True)
    (folder / "TLS_2019.xlsx").symlink_to("TLS_2019_final.xlsx")  # dangling
    os.mkfifo(folder / "pipe.xlsx")  # never opened: a landing that did would hang here
    before = snapshot(folder)

    result = ingest(con, folder, archive)
    rows = recorded(con)
    assert {name: row[:2] for name, row in rows.items()} == {
        "all.zip": ("rejected", "unsupported_format"),
        "elsewhere": ("rejected", "link_outside_landing"),
        "figures.csv": ("rejected", "unsupported_format"),
        "figures.xlsx": ("rejected", "not_a_file"),
        "KHM_2019.xlsx": ("rejected", "link_outside_landing"),
        "note.docx": ("rejected", "unsupported_format"),
        "photo.png": ("rejected", "unsupported_format"),
        "pipe.xlsx": ("rejected", "not_a_file"),
        "report.PDF": ("rejected", "unsupported_format"),
        "sub/README": ("rejected", "unsupported_format"),
        "TLS_2019.xlsx": ("rejected", "broken_link"),
    }
    messages = {name: row[2] for name, row in rows.items()}
    print(json.dumps(messages, indent=2))  # the real messages, for whoever reads -s
    assert messages["figures.csv"] == f"'figures.csv' is a CSV file; {SEND}"
    assert messages["report.PDF"] == f"'report.PDF' is a PDF document; {SEND}"
    assert messages["note.docx"] == f"'note.docx' is a Word document; {SEND}"
    assert messages["all.zip"] == f"'all.zip' is a ZIP archive; {SEND}"
    assert messages["photo.png"] == f"'photo.png' is an image; {SEND}"
    assert messages["sub/README"] == f"'sub/README' is a file with no suffix; {SEND}"
    assert messages["figures.xlsx"] == (
        f"'figures.xlsx' is a folder, not a file, so nothing was archived; {SEND}")
    assert messages["KHM_2019.xlsx"] == (
        "'KHM_2019.xlsx' is a link leading outside the landing folder, which is not followed, "
        f"so nothing was archived; {COPY}")
    assert messages["TLS_2019.xlsx"] == (
        f"'TLS_2019.xlsx' is a link to a file that does not exist, so nothing was archived; "
        f"{COPY}")
    assert messages["pipe.xlsx"] == (
        f"'pipe.xlsx' is a named pipe, not a file, so nothing was archived; {SEND}")

    # Files are archived byte for byte like any delivery; entries without bytes are not,
    # and what a link outside leads to is never read, let alone archived.
    for name, data in files.items():
        assert (archive / rows[name][3]).read_bytes() == data and rows[name][4] == len(data)
    for name in ("figures.xlsx", "KHM_2019.xlsx", "elsewhere", "TLS_2019.xlsx", "pipe.xlsx"):
        assert rows[name][3] is None and rows[name][4] is None, name
    assert archived_contents(archive) == set(files.values())
    assert result.counts() == {"rejected": 11} and not result.ignored and not result.deferred
    assert snapshot(folder) == before  # only ever read

    # Recorded once: the next run finds nothing new, even when the folder's content changed.
    (folder / "figures.xlsx" / "xl").mkdir()
    assert ingest(con, folder, archive).outcomes == []
    assert len(recorded(con)) == 11
    # A link pointed elsewhere is another entry; so is a file with other bytes.
    (folder / "TLS_2019.xlsx").unlink()
    (folder / "TLS_2019.xlsx").symlink_to("TLS_2019_v2.xlsx")
    (folder / "figures.csv").write_bytes(b"item,total\nPOP_TOTAL,2000\n")
    again = ingest(con, folder, archive)
    assert sorted((o.name, o.reason_code) for o in again.outcomes) == [
        ("TLS_2019.xlsx", "broken_link"), ("figures.csv", "unsupported_format")]


def test_a_csv_with_the_bytes_of_a_workbook_is_no_duplicate_of_it(tmp_path, con,
                                                                 write_workbook):
    """Turned away unparsed, a file is nobody's first copy: the workbook with its bytes,
    landed later, is parsed and loaded."""
    folder = tmp_path / "landing"
    workbook = write_workbook("KHM_2019.xlsx", folder=tmp_path / "later", **worked_example())
    folder.mkdir()
    (folder / "KHM_2019.csv").write_bytes(workbook.read_bytes())
    assert ingest(con, folder, tmp_path / "archive").counts() == {"rejected": 1}
    shutil.copy(workbook, folder / "KHM_2019.xlsx")
    assert ingest(con, folder, tmp_path / "archive").counts() == {"loaded": 1}


LAND_AS_ANOTHER_USER = """
import json, sys
from pathlib import Path
from ingest.landing import land_directory
from ingest.ssi import turned_away
from ingest.ssi_workbook import FORMATS

landing, archive = Path(sys.argv[1]), Path(sys.argv[2])
runs, known = [], set()
for _ in range(2):
    found = land_directory(landing, archive, "ssi", known, FORMATS)
    known |= {(f.sha256, f.original_name) for f in found.files}
    runs.append([[f.original_name, f.archive_path, turned_away(
        f, found.refused.get((f.sha256, f.original_name))).to_json()] for f in found.files])
print(json.dumps(runs))
"""


def test_a_file_that_cannot_be_read_is_recorded_once(tmp_path):
    """A permission error: recorded as unreadable, nothing archived, not recorded again.

    Root reads any file whatever its mode, so as root the landing runs without the
    capabilities that let it (setpriv, from util-linux).
    """
    folder = tmp_path / "landing"
    folder.mkdir()
    (folder / "KHM_2019.xlsx").write_bytes(b"private")
    (folder / "KHM_2019.xlsx").chmod(0o000)
    command = [sys.executable, "-c", LAND_AS_ANOTHER_USER, str(folder), str(tmp_path / "archive")]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("as root, a permission error needs setpriv to drop CAP_DAC_OVERRIDE")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    repo = str(Path(__file__).parent.parent)
    result = subprocess.run(command, capture_output=True, text=True, cwd=repo, timeout=60,
                            env={**os.environ, "PYTHONPATH": repo})
    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout)
    print(first)
    assert first == [["KHM_2019.xlsx", None, {
        "code": "unreadable_file", "message": (
            "'KHM_2019.xlsx' cannot be read (Permission denied), so nothing was "
            "archived; make it readable by the pipeline, or send it again"),
        "value": None}]]
    assert second == []


def test_lock_files_and_hidden_files_are_counted_not_recorded(tmp_path, con, write_workbook):
    folder = tmp_path / "landing"
    write_workbook("KHM_2019.xlsx", **worked_example())
    (folder / "~$KHM_2019.xlsx").write_bytes(b"Excel's lock file")
    (folder / ".DS_Store").write_bytes(b"Finder")
    (folder / ".git").mkdir()  # a hidden folder counts once, unread
    (folder / ".git" / "HEAD").write_bytes(b"ref")
    result = ingest(con, folder, tmp_path / "archive")
    assert list(recorded(con)) == ["KHM_2019.xlsx"]
    assert result.ignored == [".DS_Store", ".git", "~$KHM_2019.xlsx"]
    part = source_summary("ssi", result, [])
    assert part["ignored"] == 3 and "deferred" not in part
    assert report.terminal({"run_id": "r", "kind": "nightly", "warehouse": "w",
                            "published": False, "ssi": part}).splitlines()[:2] == [
        "SSI: 1 new file(s) (1 loaded)", "  3 ignored: Excel lock files or hidden files"]


class Writer:
    """A real writer in another thread, changing a file while the landing reads it.

    The landing's seam (`ingest.landing.on_read`, called between reading a file and
    stat'ing it again) hands over to the writer and waits until it has written, so the
    write falls inside the landing's window every time.
    """

    def __init__(self, path: Path, change):
        self.path, self.change = path, change
        self.go, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self.write, daemon=True)

    def write(self) -> None:
        if self.go.wait(30):
            self.change(self.path)
            self.done.set()

    def on_read(self, path: Path) -> None:
        if path == self.path and not self.done.is_set():
            self.go.set()
            assert self.done.wait(30), "the writer did not write"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.go.set()
        self.thread.join(30)


def append(path: Path) -> None:
    with path.open("ab") as handle:
        handle.write(b"\0" * 4096)
        handle.flush()
        os.fsync(handle.fileno())


def rewrite_in_place(path: Path) -> None:
    """Same size, other bytes, later modification time: only the time tells."""
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    with path.open("r+b") as handle:
        handle.write(data)
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize("change", [append, rewrite_in_place])
def test_a_file_still_being_written_is_left_for_the_next_run(tmp_path, con, write_workbook,
                                                            monkeypatch, change):
    folder, archive = tmp_path / "landing", tmp_path / "archive"
    write_workbook("KHM_2019.xlsx", **worked_example())
    growing = write_workbook("KHM_2023.xlsx", **worked_example(year=2023))
    with Writer(growing, change) as writer:
        monkeypatch.setattr(landing, "on_read", writer.on_read)
        result = ingest(con, folder, archive)
    assert writer.done.is_set()
    assert result.deferred == [("KHM_2023.xlsx", "still being written")]
    assert list(recorded(con)) == ["KHM_2019.xlsx"]  # the other file landed
    assert len(archived_contents(archive)) == 1  # nothing of the half-written one

    # Once written (and still), the next run lands it.
    monkeypatch.setattr(landing, "on_read", None)
    write_workbook("KHM_2023.xlsx", **worked_example(year=2023))
    later = ingest(con, folder, archive)
    assert later.deferred == [] and later.counts() == {"loaded": 1}
    assert (archive / recorded(con)["KHM_2023.xlsx"][3]).read_bytes() == growing.read_bytes()


def test_the_settle_time_leaves_young_files_for_the_next_run(tmp_path, con, write_workbook,
                                                            monkeypatch):
    folder, archive = tmp_path / "landing", tmp_path / "archive"
    old = write_workbook("KHM_2019.xlsx", **worked_example())
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    write_workbook("KHM_2023.xlsx", **worked_example(year=2023))  # just now
    result = ingest(con, folder, archive, settle_seconds=60)
    assert result.counts() == {"loaded": 1}
    assert result.deferred == [("KHM_2023.xlsx", "changed less than 60 s ago")]
    assert report.left_for_next_run(source_summary("ssi", result, [])) == (
        "1 left for the next run: changed less than 60 s ago: KHM_2023.xlsx")
    # Off by default; a file already recorded is not reported again, however young.
    os.utime(old)
    assert ingest(con, folder, archive).counts() == {"loaded": 1}
    assert ingest(con, folder, archive, settle_seconds=60).outcomes == []

    monkeypatch.delenv(pipeline.SETTLE_ENV, raising=False)
    assert pipeline.settle_time(None) == 0
    monkeypatch.setenv(pipeline.SETTLE_ENV, "30")
    assert pipeline.settle_time(None) == 30 and pipeline.settle_time(5) == 5
    monkeypatch.setenv(pipeline.SETTLE_ENV, "soon")
    with pytest.raises(RunFailed, match=r"\$SPF_SETTLE_SECONDS is 'soon': expected a number"):
        pipeline.settle_time(None)
    with pytest.raises(RunFailed, match="expected 0 or more seconds"):
        pipeline.settle_time(-1)


def test_a_landing_is_only_read_and_names_are_those_below_it(tmp_path, write_workbook):
    folder, archive = tmp_path / "landing", tmp_path / "archive"
    write_workbook("KHM/2019.xlsx", **worked_example())
    (folder / "KHM" / "latest.xlsx").symlink_to("2019.xlsx")  # a link inside is followed
    before = snapshot(folder)
    found = land_directory(folder, archive, "ssi", set(), FORMATS)
    assert [f.original_name for f in found.files] == ["KHM/2019.xlsx", "KHM/latest.xlsx"]
    assert found.files[0].sha256 == found.files[1].sha256 == hashlib.sha256(
        (folder / "KHM" / "2019.xlsx").read_bytes()).hexdigest()
    assert not found.refused and snapshot(folder) == before


def test_a_batch_reaches_the_disk_once_before_it_is_returned(tmp_path, write_workbook,
                                                             monkeypatch):
    """Durability at a batch's cost: one flush after every file and record is archived, and
    none when nothing was, rather than two fsyncs per file."""
    folder, archive = tmp_path / "landing", tmp_path / "archive"
    for year in (2019, 2020, 2021):
        write_workbook(f"KHM_{year}.xlsx", **worked_example(year=year))
    flushes = []
    real = landing.to_disk
    monkeypatch.setattr(landing, "to_disk", lambda: flushes.append(
        sorted(p.name for p in archive.rglob("*") if p.is_file())) or real())
    found = land_directory(folder, archive, "ssi", set(), FORMATS)
    assert len(found.files) == 3 and len(flushes) == 1
    assert flushes[0] == sorted(n for f in found.files for n in (
        Path(f.archive_path).name, f"{f.sha256}.meta.json"))
    land_directory(folder, archive, "ssi", {(f.sha256, f.original_name) for f in found.files},
                   FORMATS)
    assert len(flushes) == 1


def test_a_nightly_run_records_and_reports_everything_in_its_landing(tmp_path, write_workbook,
                                                                    monkeypatch):
    folder = tmp_path / "landing"
    warehouse = tmp_path / "wh" / "spf.duckdb"
    write_workbook("KHM_2019.xlsx", **worked_example())
    growing = write_workbook("KHM_2023.xlsx", **worked_example(year=2023))
    (folder / "figures.csv").write_bytes(b"item,total\n")
    (folder / "~$KHM_2019.xlsx").write_bytes(b"lock")
    (folder / ".DS_Store").write_bytes(b"Finder")

    with Writer(growing, append) as writer:
        monkeypatch.setattr(landing, "on_read", writer.on_read)
        summary = pipeline.nightly(str(warehouse), landing=str(folder))
    monkeypatch.setattr(landing, "on_read", None)
    assert summary["published"] is True
    part = summary["ssi"]
    assert part["counts"] == {"loaded": 1, "rejected": 1}
    assert part["ignored"] == 2
    assert part["deferred"] == [{"file": "KHM_2023.xlsx", "reason": "still being written"}]
    lines = [
        "SSI: 2 new file(s) (1 loaded, 1 rejected)",
        f"  rejected: figures.csv: 'figures.csv' is a CSV file; {SEND}",
        "  2 ignored: Excel lock files or hidden files",
        "  1 left for the next run: still being written: KHM_2023.xlsx",
    ]
    shown = report.terminal(summary)
    print(shown)
    assert shown.splitlines()[:4] == lines
    markdown = report.markdown(summary)
    page = Path(summary["report"]).read_text()
    for line in lines[1:]:
        assert f"- {line.strip()}" in markdown
        assert f"<li>{line.strip()}</li>".replace("'", "&#x27;") in page

    # Published for statisticians, and listed by `spf status`.
    assert query(warehouse, "select status, reason_code, reason_message from ops.submissions "
                 "where original_name = 'figures.csv'") == [
        ("rejected", "unsupported_format", f"'figures.csv' is a CSV file; {SEND}")]
    columns, rows, _ = status_rows(resolve(warehouse))
    assert [(r[columns.index("file")], r[columns.index("reason_code")]) for r in rows] == [
        ("figures.csv", "unsupported_format")]
    # (That the next run lands it, and records nothing twice: the tests above.)


def test_a_backfill_keeps_every_name_recorded_for_the_bytes_it_re_decides(tmp_path, con,
                                                                        write_workbook):
    """A copy recorded without country (a CSV copy, a duplicate) is in the scope of the
    file whose bytes it has, and only there: a backfill of TLS touches none of KHM's names;
    one of KHM re-decides all three together and counts them as re-read."""
    folder = tmp_path / "landing"
    workbook = write_workbook("KHM_2019.xlsx", **worked_example())
    (folder / "KHM_2019.csv").write_bytes(workbook.read_bytes())
    shutil.copy(workbook, folder / "copy of KHM_2019.xlsx")
    archive = tmp_path / "archive"
    assert ingest(con, folder, archive).counts() == {
        "loaded": 1, "rejected": 1, "duplicate": 1}
    before = recorded(con)
    elsewhere = ssi.reprocess(con, "backfill", archive, None, (2019, 2019), ["TLS"],
                              reread=True)
    assert elsewhere.outcomes == [] and recorded(con) == before
    redone = ssi.reprocess(con, "backfill", archive, None, (2019, 2019), ["KHM"], reread=True)
    assert redone.counts(reread=True) == {"loaded": 1, "rejected": 1, "duplicate": 1}
    assert redone.counts() == {}
    assert {n: r[:3] for n, r in recorded(con).items()} == {
        n: r[:3] for n, r in before.items()}
    assert con.execute("select count(*) from raw.ssi_submissions").fetchall() == [(1,)]


def test_a_backfill_leaves_what_was_turned_away_before_parsing(tmp_path, con):
    """A folder, a link or a CSV file: nothing a parser fix could change."""
    folder = tmp_path / "landing"
    folder.mkdir()
    (folder / "TLS_2019.csv").write_bytes(b"item,total\n")
    (folder / "TLS_2019.xlsx").mkdir()
    (folder / "KHM_2019.xlsx").symlink_to("KHM_2019_final.xlsx")
    assert ingest(con, folder, tmp_path / "archive").counts() == {"rejected": 3}
    assert ssi.reprocess(con, "backfill", tmp_path / "archive", None, None, None,
                         reread=True).outcomes == []


def test_a_file_read_before_is_not_read_again_unless_it_was_rewritten(tmp_path, con,
                                                                      write_workbook,
                                                                      monkeypatch):
    """The quiet night after a delivery reads no file; a file archived by a run that stopped
    before recording it, or whose bytes were rewritten (even to the same size, with its old
    modification time put back), is read and landed again."""
    folder, archive = tmp_path / "landing", tmp_path / "archive"
    write_workbook("KHM_2019.xlsx", **worked_example())
    kept = write_workbook("KHM_2023.xlsx", **worked_example(year=2023))
    reads: list[str] = []
    monkeypatch.setattr(landing, "on_read", lambda path: reads.append(path.name))

    assert ingest(con, folder, archive).counts() == {"loaded": 2}
    assert sorted(reads) == ["KHM_2019.xlsx", "KHM_2023.xlsx"]
    reads.clear()
    assert ingest(con, folder, archive).counts() == {}
    assert reads == []

    write_workbook("KHM_2021.xlsx", **worked_example(year=2021))
    assert [f.original_name for f in ssi.land(con, folder, archive).files] == ["KHM_2021.xlsx"]
    reads.clear()  # archived and remembered, then the run stopped: never recorded
    assert ingest(con, folder, archive).counts() == {"loaded": 1}
    assert reads == ["KHM_2021.xlsx"]
    reads.clear()

    before = kept.stat()
    data = bytearray(kept.read_bytes())
    data[-30] ^= 0xFF  # inside the zip's central directory: same size, other bytes
    kept.write_bytes(bytes(data))
    os.utime(kept, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (kept.stat().st_size, kept.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    again = ingest(con, folder, archive)
    assert reads == ["KHM_2023.xlsx"]
    assert sum(again.counts().values()) == 1
    shas = {sha for sha, name in con.execute(
        "select sha256, original_name from raw.ssi_files").fetchall() if name == "KHM_2023.xlsx"}
    assert hashlib.sha256(bytes(data)).hexdigest() in shas and len(shas) == 2
