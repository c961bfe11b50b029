"""`spf query` is bounded: one statement, a time limit, a memory cap, no spilling to disk,
and a table of at most `--max-rows` rows; csv and json stream every row.

Real queries on a real DuckDB file, through the real command: in this process (Typer's
runner) for messages and exit codes, as its own process where time and memory are measured.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from warehouse.access.query import QueryError, memory_cap, run_query, settings
from warehouse.cli import app

runner = CliRunner()
SPF = str(Path(sys.executable).with_name("spf"))
RUNAWAY = "select count(*) from range(1000000000000) t(i) where i % 7 = 3"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """A small DuckDB file in the published warehouse's place, read-only as published."""
    path = tmp_path_factory.mktemp("query") / "spf.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.numbers as select i, i * 2 as twice from range(5000) t(i)")
    con.close()
    path.chmod(0o444)
    return path


def spf_query(warehouse: Path, *args: str) -> list[str]:
    return ["query", "--warehouse", str(warehouse), *args]


# Runs a command and reports its peak resident memory, and that of the processes it waited
# for. A process forked from pytest would count pytest's own memory (the high-water mark
# of a fork survives exec), so the command is started from this small one.
PEAK = """
import os, subprocess, sys
command = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(command.pid, 0)
sys.stderr.write(f"peak {usage.ru_maxrss * 1024}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measured(warehouse: Path, *args: str, stdout=subprocess.DEVNULL
             ) -> tuple[int, str, float, int]:
    """Run `spf query` as its own process: exit code, standard error, seconds, and the peak
    resident memory in bytes of it and of the process it runs the query in."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-c", PEAK, SPF, *spf_query(warehouse, *args)],
                               stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                               start_new_session=True)
    killer = threading.Timer(120, os.killpg, [process.pid, signal.SIGKILL])
    killer.start()
    err = process.stderr.read().decode()
    process.wait()
    killer.cancel()
    elapsed = time.monotonic() - started
    said, _, peak = err.rstrip("\n").rpartition("\n")
    assert peak.startswith("peak "), err
    return process.returncode, said + "\n" if said else "", elapsed, int(peak.split()[1])


def test_a_runaway_query_is_stopped_at_its_time_limit(warehouse):
    code, err, elapsed, _ = measured(warehouse, "--timeout", "1", RUNAWAY)
    assert code == 1
    assert err == ("spf: the query ran longer than 1 s and was stopped; narrow it or give "
                   "--timeout N\n")
    assert elapsed < 6  # a second of query, the rest starting two Pythons on a busy machine


def test_time_spent_waiting_for_the_reader_does_not_count(warehouse):
    """The reader of a pipe takes 3 s to start reading a result that needs more than the
    pipe holds: the query, given 1 s, still gives every row."""
    sql = "select i, 'row ' || i as label from range(200000) t(i)"
    process = subprocess.Popen([SPF, *spf_query(warehouse, "--timeout", "1", "-f", "csv", sql)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(3)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.count(b"\n") == 200_001


def test_timeout_zero_means_no_limit_and_a_negative_one_is_refused(warehouse):
    assert runner.invoke(app, spf_query(warehouse, "--timeout", "0",
                                        "select count(*) from range(1000)")).exit_code == 0
    refused = runner.invoke(app, spf_query(warehouse, "--timeout", "-1", "select 1"))
    assert refused.exit_code == 2


MEMORY = "the query needed more than the {} of memory a query may use, and was stopped"


@pytest.mark.parametrize("sql", [
    # DuckDB's own limit stops this one (without it: 8.3 GB, then a string-size error)
    "select length(string_agg(i::varchar, ',')) from range(1000000000) t(i)",
    # DuckDB streams these rows within its limit; their Python values and text are what
    # grows (5 GB without the operating system's cap)
    "select i, repeat('x', 1000000) as s from range(1000) t(i)",
], ids=["duckdb", "python"])
def test_a_query_needing_more_memory_than_the_cap_is_stopped_cleanly(warehouse, sql,
                                                                     tmp_path):
    cap = memory_cap()
    with open(tmp_path / "out", "wb") as out:
        code, err, _, peak = measured(warehouse, "--timeout", "0", sql, stdout=out)
    assert code == 1
    assert (tmp_path / "out").read_bytes() == b""  # nor DuckDB's progress bar (after 2 s)
    size = f"{cap / 2**30:.1f}".removesuffix(".0") + " GiB"
    assert err.startswith("spf: " + MEMORY.format(size)) and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert peak < cap, f"peak {peak / 2**20:.0f} MiB"


def test_a_query_that_would_spill_fails_within_memory_and_writes_no_file(warehouse):
    """A sort of 3 GB: with DuckDB's default temporary directory, a read-only connection
    spills into spf.duckdb.tmp/ beside the published file (and succeeds, slowly)."""
    sql = ("select count(*) from (select i, repeat('x', 1000) as p from range(3000000) t(i) "
           "order by p, i desc)")
    before = set(warehouse.parent.iterdir())
    result = runner.invoke(app, spf_query(warehouse, sql))
    assert result.exit_code == 1
    assert result.output.startswith("spf: the query needed more than the ")
    assert set(warehouse.parent.iterdir()) == before


@pytest.mark.parametrize("sql", ["", "   \n\t ", "/* nothing here */\n-- nor here"],
                         ids=["empty", "blank", "comments"])
def test_an_empty_query_fails_with_one_line(warehouse, sql):
    result = runner.invoke(app, spf_query(warehouse, sql))
    assert result.exit_code == 1
    assert result.output == "spf: no SQL to run: the query is empty or only comments\n"


def test_one_statement_at_a_time_as_duckdb_parses_them(warehouse):
    two = runner.invoke(app, spf_query(warehouse, "select 1; select 2"))
    assert two.exit_code == 1
    assert two.output == ("spf: refused: spf query runs one statement at a time; this "
                          "query holds 2: run them one by one\n")
    one = runner.invoke(app, spf_query(warehouse, "-f", "json",
                                       "select 'a;b' as x; -- and a comment; still one"))
    assert one.exit_code == 0, one.output
    assert json.loads(one.output) == [{"x": "a;b"}]


def test_a_table_shows_the_first_rows_and_says_how_many_there_are(warehouse):
    sql = "select * from marts.numbers order by i"
    table = runner.invoke(app, spf_query(warehouse, sql))
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert len(lines) == 2 + 1000 + 1
    assert lines[-2].split() == ["999", "|", "1998"]
    assert lines[-1] == ("(showing 1,000 of 5,000 rows; use --format csv for all, "
                         "or add LIMIT)")
    ten = runner.invoke(app, spf_query(warehouse, "--max-rows", "10", sql)).output.splitlines()
    assert len(ten) == 2 + 10 + 1 and ten[-1].startswith("(showing 10 of 5,000 rows")
    every = runner.invoke(app, spf_query(warehouse, "--max-rows", "0", sql)).output
    assert every.splitlines()[-1] == "(5000 rows)" and len(every.splitlines()) == 5003
    exact = runner.invoke(app, spf_query(warehouse, "--max-rows", "5000", sql)).output
    assert exact.splitlines()[-1] == "(5000 rows)"


def test_csv_and_json_give_every_row(warehouse):
    sql = "select * from marts.numbers order by i"
    as_csv = runner.invoke(app, spf_query(warehouse, "-f", "csv", sql))
    rows = list(csv.reader(io.StringIO(as_csv.output)))
    assert rows[0] == ["i", "twice"] and len(rows) == 5001 and rows[-1] == ["4999", "9998"]
    as_json = json.loads(runner.invoke(app, spf_query(warehouse, "-f", "json", sql)).output)
    assert len(as_json) == 5000 and as_json[-1] == {"i": 4999, "twice": 9998}
    empty = runner.invoke(app, spf_query(warehouse, "-f", "json", sql + " limit 0"))
    assert empty.output == "[]\n"


def test_csv_streams_in_bounded_memory(warehouse, tmp_path):
    """A million rows, fetched and written a chunk at a time: 80 MiB (all at once, as
    `spf query` did: 310 MiB)."""
    sql = "select i, i * 2 as j, 'name ' || i as s from range(1000000) t(i)"
    with open(tmp_path / "out.csv", "wb") as sink:
        code, err, _, peak = measured(warehouse, "--timeout", "0", "-f", "csv", sql,
                                      stdout=sink)
    assert code == 0, err
    assert peak < 200 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    with open(tmp_path / "out.csv", newline="") as written:
        rows = list(csv.reader(written))
    assert len(rows) == 1_000_001 and rows[-1] == ["999999", "1999998", "name 999999"]


def test_the_confinement_holds_with_the_limits(warehouse):
    settings = runner.invoke(app, spf_query(warehouse, "-f", "json", (
        "select current_setting('temp_directory') as temp, "
        "current_setting('enable_external_access') as external, "
        "current_setting('lock_configuration') as locked")))
    assert json.loads(settings.output) == [{"temp": "", "external": False, "locked": True}]
    for sql in ("set memory_limit = '64GB'", "set temp_directory = '/tmp'",
                "set enable_external_access = true", "set threads = 64"):
        result = runner.invoke(app, spf_query(warehouse, sql))
        assert result.exit_code == 1 and result.output.startswith("spf: refused: "), sql


def test_an_unknown_format_fails_with_one_line(warehouse):
    result = runner.invoke(app, spf_query(warehouse, "-f", "xml", "select 1"))
    assert result.exit_code == 1
    assert result.output == "spf: unknown format 'xml'; use one of table, csv, json\n"


def test_run_query_is_bounded_too(warehouse):
    """The in-process call other commands use: the same limits, DuckDB's memory limit only."""
    started = time.monotonic()
    with pytest.raises(QueryError, match="ran longer than 0.5 s"):
        run_query(warehouse, RUNAWAY, timeout=0.5)
    assert time.monotonic() - started < 3
    with pytest.raises(QueryError, match="no SQL to run"):
        run_query(warehouse, " -- ")
    with pytest.raises(QueryError, match="one statement at a time"):
        run_query(warehouse, "select 1; select 2")
    held = duckdb.connect(str(warehouse), read_only=True, config=settings(memory_cap()))
    try:  # another query's connection open in this process: the same database instance
        assert run_query(warehouse, "select count(*) as n from marts.numbers") == (
            ["n"], [(5000,)])
    finally:
        held.close()
