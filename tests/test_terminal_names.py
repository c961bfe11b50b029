"""Names and cells holding terminal escape codes, bidirectional overrides or other control
characters are printed escaped by `spf run` (its summary lines), `spf status` and
`spf query`, never raw; the data itself is kept as it is.

Real files in a real landing folder, landed by the run's own step into a real state.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ingest.paths import resolve
from ingest.terminal import printable
from warehouse.cli import app
from warehouse.review.quarantine import status_rows
from warehouse.run import report
from warehouse.sources.registry import Inputs
from warehouse.sources.ssi import ingest_ssi

runner = CliRunner()
SPF = str(Path(sys.executable).with_name("spf"))

# Sets the window title, rings the bell, clears the screen.
TITLE = "\x1b]0;pwned\x07\x1b[2JKHM_2019.xlsx"
C1 = "TGO\x9b31m_2020.xlsx"  # CSI as one C1 character
BIDI = "KHM_2021\u202exslx.exe"  # shows as "KHM_2021exe.xlsx"
ISOLATE = "\u2066SEN\u2069_2019.xlsx"
LINES = "KHM\n2022\t.xlsx"
NAMES = [TITLE, C1, BIDI, ISOLATE, LINES]
SHOWN = {TITLE: "\\x1b]0;pwned\\x07\\x1b[2JKHM_2019.xlsx", C1: "TGO\\x9b31m_2020.xlsx",
         BIDI: "KHM_2021\\u202exslx.exe", ISOLATE: "\\u2066SEN\\u2069_2019.xlsx",
         LINES: "KHM\\n2022\\t.xlsx"}
RAW = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F),
                        *range(0x2066, 0x206A)]} - {"\n"}


def raw_characters(text: str) -> set[str]:
    return {ch for ch in text if ch in RAW}


@pytest.fixture(scope="module")
def landed(tmp_path_factory):
    """Files with such names landed (and rejected: none is a workbook) by `spf run`'s step."""
    root = tmp_path_factory.mktemp("names")
    landing = root / "landing"
    landing.mkdir()
    for name in NAMES:
        (landing / name).write_bytes(f"not a workbook: {name}".encode())
    paths = resolve(root / "spf.duckdb")
    part = ingest_ssi(paths, "names-run", Inputs({"landing": landing}))
    return paths, part


def test_printable_escapes_controls_and_keeps_text():
    for raw, shown in SHOWN.items():
        assert printable(raw) == shown
    kept = "Côte d’Ivoire, 北京, مرحبا, नमस्ते, a\u00a0b, 👩\u200d👩\u200d👧, ف\u200cا"
    assert printable(kept) == kept
    assert printable("\x00\x7f\x85\u200b\ufeff\u2028\ud800\U000e0001") == (
        "\\x00\\x7f\\x85\\u200b\\ufeff\\u2028\\ud800\\U000e0001")


def test_the_run_summary_lines_show_names_escaped(landed):
    _, part = landed
    assert sorted(r["file"] for r in part["rejected"]) == sorted(NAMES)  # as they are
    shown = report.terminal({"run_id": "names-run", "kind": "nightly", "warehouse": "w",
                             "published": False, "ssi": part})
    assert raw_characters(shown) == set()
    for name in NAMES:
        assert f"rejected: {SHOWN[name]}: " in shown


def test_spf_status_shows_names_escaped(landed):
    paths, _ = landed
    columns, rows, origin = status_rows(paths)
    assert origin == "state"
    assert sorted(r[columns.index("file")] for r in rows) == sorted(NAMES)  # as they are
    for details in ([], ["--details"]):
        result = runner.invoke(app, ["status", *details, "--warehouse", str(paths.warehouse)],
                               env={"COLUMNS": "100"})
        assert result.exit_code == 0, result.output
        assert raw_characters(result.output) == set()
        listed = result.output.splitlines()
        for name in NAMES:
            assert sum(f" {SHOWN[name]} " in line for line in listed) == 1
        if not details:                  # one line a delivery, fitting the terminal
            assert all(len(line) <= 100 for line in listed)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A DuckDB file whose cells (and a column's name) hold such text."""
    path = tmp_path_factory.mktemp("cells") / "spf.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table names (n integer, \"file\x1b[8m\" varchar, note varchar)")
    con.executemany("insert into names values (?, ?, ?)",
                    [(i, name, "ok" if i else "\x1b[31mred\x1b[0m") for i, name in
                     enumerate(NAMES)])
    con.close()
    return path


SQL = "select * from names order by n"


def test_spf_query_shows_cells_and_headers_escaped_in_a_table(published):
    result = runner.invoke(app, ["query", "--warehouse", str(published), SQL])
    assert result.exit_code == 0, result.output
    assert raw_characters(result.output) == set()
    lines = result.output.splitlines()
    assert lines[0].split(" | ")[1].strip() == "file\\x1b[8m"
    for i, name in enumerate(NAMES):
        assert lines[2 + i].split(" | ")[1].rstrip() == SHOWN[name]
    assert lines[2].endswith("| \\x1b[31mred\\x1b[0m")
    assert len({line.index("|") for line in lines[2:-1]}) == 1  # aligned on what is shown
    assert lines[-1] == f"({len(NAMES)} rows)"


def test_spf_query_json_keeps_the_data_and_escapes_it_in_the_text(published):
    result = runner.invoke(app, ["query", "--warehouse", str(published), "-f", "json", SQL])
    assert result.exit_code == 0, result.output
    assert raw_characters(result.output) == set()
    assert [r["file\x1b[8m"] for r in json.loads(result.output)] == NAMES


def spf_csv(published: Path, stdout) -> subprocess.CompletedProcess:
    return subprocess.run([SPF, "query", "--warehouse", str(published), "-f", "csv", SQL],
                          stdout=stdout, stderr=subprocess.PIPE, timeout=60)


def test_spf_query_csv_is_the_data_in_a_pipe_and_escaped_on_a_terminal(published):
    piped = spf_csv(published, subprocess.PIPE)
    assert piped.returncode == 0, piped.stderr
    rows = list(csv.reader(io.StringIO(piped.stdout.decode(), newline="")))
    assert [r[1] for r in rows[1:]] == NAMES and rows[0][1] == "file\x1b[8m"

    terminal, screen = pty.openpty()
    try:
        shown = spf_csv(published, screen)
    finally:
        os.close(screen)
    out = b""
    while True:
        try:
            data = os.read(terminal, 1 << 16)
        except OSError:  # the terminal's other end is closed
            break
        if not data:
            break
        out += data
    os.close(terminal)
    assert shown.returncode == 0, shown.stderr
    text = out.decode().replace("\r\n", "\n")
    assert raw_characters(text) == set()
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[1] for r in rows[1:]] == [SHOWN[name] for name in NAMES]
