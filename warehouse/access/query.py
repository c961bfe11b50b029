"""Read-only SQL on the published warehouse, for analysts and statisticians.

A query sees the published file and nothing else (`CONFINED`), and is bounded: one
statement, a time limit (`DEFAULT_TIMEOUT`), a memory cap (`memory_cap`) and a few threads,
no spilling to disk. `spf query` runs it in a child process (`stream_query`) whose data
memory the operating system caps, since DuckDB's own limit leaves out the Python values of
a result; its rows are streamed, a chunk at a time, and a table shows the first
`DEFAULT_MAX_ROWS` of them.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import duckdb

from ingest.terminal import printable
from warehouse.shared.tables import escaped_rows, text_table, write_json

FORMATS = ("table", "csv", "json")
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_ROWS = 1000
GiB = 1 << 30
MEMORY_CEILING = 2 * GiB
# DuckDB's share of the cap; the rest is for Python: the result's values and their text.
DUCKDB_SHARE = 0.75
MAX_THREADS = 4
# Seconds a query may overrun its time limit, once interrupted, before its process ends.
GRACE = 2.0
CHUNK = 10_000


class QueryError(RuntimeError):
    """A query could not run; the message is meant for the person who typed it."""


# A query sees the published warehouse and nothing else: no other file is read or written
# (no ATTACH, read_*, COPY ... TO, EXPORT, INSTALL), and the setting cannot be undone.
# Nor does a table name resolve to a Python object of the calling process.
CONFINED = {"enable_external_access": False, "python_enable_replacements": False,
            "lock_configuration": True}


def memory_cap() -> int:
    """Bytes a query may use: a quarter of the machine's memory (or of its cgroup's
    limit), at most 2 GiB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return MEMORY_CEILING
    with contextlib.suppress(OSError, ValueError):
        total = min(total, int(Path("/sys/fs/cgroup/memory.max").read_text()))
    return min(MEMORY_CEILING, total // 4)


def settings(memory: int) -> dict:
    """The configuration a query's connection opens with: confined, with DuckDB's memory
    limit, a few threads, and no temporary directory (a read-only connection would
    otherwise spill beside the published file)."""
    # CONFINED first: DuckDB 2.0 refuses a temp_directory given before external access is
    # disabled ("Modifying the temp_directory has been disabled"); the lock applies after
    # every setting given.
    return {**CONFINED, "memory_limit": f"{int(memory * DUCKDB_SHARE) >> 20}MiB",
            "threads": min(MAX_THREADS, os.cpu_count() or 1), "temp_directory": ""}


def run_query(warehouse: Path, sql: str, timeout: float = DEFAULT_TIMEOUT
              ) -> tuple[list[str], list[tuple]]:
    """Run one statement read-only on the published file, confined and bounded as
    `spf query` is (in this process: DuckDB's memory limit only); return columns and rows.

    For the SQL this package writes, whose results are small.
    """
    memory = memory_cap()
    con = _connect(warehouse, memory)
    deadline = _Deadline(timeout, con.interrupt)
    try:
        cursor = _execute(con, sql)
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall() if columns else []
    except duckdb.Error as error:
        raise _explained(error, deadline, timeout, memory) from None
    finally:
        deadline.close()
        con.close()


def stream_query(warehouse: Path, sql: str, fmt: str, out: BinaryIO, *,
                 timeout: float = DEFAULT_TIMEOUT, max_rows: int = DEFAULT_MAX_ROWS,
                 escape: bool = False, encoding: str = "utf-8") -> None:
    """Run one statement on the published file in a child process and write its result to
    `out` as it comes, in `fmt`.

    The child's data memory is capped (`memory_cap`), and it stops the query after
    `timeout` seconds (0: no limit), not counting time spent waiting for `out`'s reader;
    should it not stop, it is killed. A table shows `max_rows` rows (0: all) and how many
    there are; csv and json give every row. `escape`: escape control characters in csv
    too (for a terminal). Raises QueryError, after what was written, if the query fails.
    """
    if fmt not in FORMATS:
        raise QueryError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not warehouse.exists():
        raise QueryError(f"no published warehouse at {warehouse}; run `spf run` first")
    memory = memory_cap()
    request = {"warehouse": str(warehouse), "sql": sql, "format": fmt, "timeout": timeout,
               "max_rows": max_rows, "escape": escape, "encoding": encoding,
               "memory": memory}
    process = subprocess.Popen(
        [sys.executable, "-P", "-c", "from warehouse.access.query import child; child()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    said: list[bytes] = []
    listener = threading.Thread(target=lambda: said.append(process.stderr.read()),
                                daemon=True)
    listener.start()
    # A backstop: the child stops its query itself, and ends GRACE seconds later if that
    # does not work.
    deadline = _Deadline(timeout and timeout + 2 * GRACE, process.kill)
    try:
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(json.dumps(request).encode())
            process.stdin.close()
        while data := process.stdout.read1(1 << 16):
            with deadline.waiting():
                out.write(data)
                out.flush()
        code = process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        deadline.close()
        listener.join()
    if code == 0:
        return
    lines = b"".join(said).decode(errors="replace").strip().splitlines()
    with contextlib.suppress(IndexError, ValueError, KeyError, TypeError):
        raise QueryError(json.loads(lines[-1])["error"])
    if deadline.expired:
        raise QueryError(_timed_out(timeout))
    how = f"signal {-code}" if code < 0 else f"exit code {code}"
    raise QueryError(f"the query's process ended abnormally ({how}"
                     + (f": {lines[-1]}" if lines else "") + "); if it needed much memory, "
                     f"note that a query may use {_size(memory)}: narrow it")


def child() -> None:
    """The child process of `stream_query`: read the request on stdin, cap this process's
    memory, run the query, write its result on stdout; on failure, one JSON line
    {"error": message} on stderr and exit code 3."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which kills
    request = json.loads(sys.stdin.buffer.read())
    memory, timeout = request["memory"], request["timeout"]
    too_big = _too_big(memory)
    _cap_data_memory(memory)
    result = os.fdopen(os.dup(1), "wb")
    # What DuckDB prints by itself on stdout (its progress bar, which a locked connection
    # cannot turn off) must not land in the result.
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    try:
        con = _connect(Path(request["warehouse"]), memory)
        deadline = _Deadline(timeout, con.interrupt, lambda: _die(_timed_out(timeout)))
        out = _Output(result, request["encoding"], deadline)
        try:
            _write(con, request, out, deadline)
            out.flush()
        except duckdb.Error as error:
            raise _explained(error, deadline, timeout, memory) from None
        finally:
            deadline.close()
    except QueryError as error:
        _die(str(error))
    except MemoryError:
        _die(too_big)
    except BrokenPipeError:
        os._exit(1)
    os._exit(0)  # skips DuckDB's bindings' shutdown reports


def _die(message: str) -> None:
    os.write(2, (json.dumps({"error": message}) + "\n").encode())
    os._exit(3)


def _cap_data_memory(memory: int) -> None:
    """Cap this process's data memory (heap and private mappings, RLIMIT_DATA), where the
    operating system has such a limit."""
    try:
        import resource
    except ImportError:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _connect(warehouse: Path, memory: int) -> duckdb.DuckDBPyConnection:
    if not warehouse.exists():
        raise QueryError(f"no published warehouse at {warehouse}; run `spf run` first")
    try:
        return duckdb.connect(str(warehouse), read_only=True, config=settings(memory))
    except duckdb.Error as error:
        raise QueryError(f"cannot open {warehouse}: {error}") from None


def _execute(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyConnection:
    """Run `sql`, one statement as DuckDB's parser counts them."""
    statements = con.extract_statements(sql)
    if not statements:
        raise QueryError("no SQL to run: the query is empty or only comments")
    if len(statements) > 1:
        raise QueryError(f"refused: spf query runs one statement at a time; this query "
                         f"holds {len(statements)}: run them one by one")
    return con.execute(sql)


def _explained(error: duckdb.Error, deadline: _Deadline, timeout: float,
               memory: int) -> QueryError:
    """The QueryError for a DuckDB error, in the words of `spf query`."""
    if isinstance(error, duckdb.InterruptException) and deadline.expired:
        return QueryError(_timed_out(timeout))
    if isinstance(error, duckdb.OutOfMemoryException):
        return QueryError(_too_big(memory))
    if isinstance(error, duckdb.PermissionException):
        return QueryError("refused: spf query reads the published warehouse and nothing else "
                          f"({_first_line(error)})")
    if "configuration has been locked" in str(error):
        return QueryError("refused: spf query cannot change DuckDB's settings "
                          f"({_first_line(error)})")
    return QueryError(str(error).strip())


def _timed_out(timeout: float) -> str:
    return (f"the query ran longer than {timeout:g} s and was stopped; narrow it or give "
            "--timeout N")


def _too_big(memory: int) -> str:
    return (f"the query needed more than the {_size(memory)} of memory a query may use, and "
            "was stopped; narrow it (filter, aggregate, add LIMIT)")


def _size(memory: int) -> str:
    return f"{memory / GiB:.1f}".removesuffix(".0") + " GiB"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


class _Deadline:
    """Calls `stop` once `limit` seconds (0: never) have been spent outside `waiting()`,
    then `kill` (if given) should the work still go on `GRACE` seconds later."""

    def __init__(self, limit: float, stop: Callable[[], object],
                 kill: Callable[[], object] | None = None):
        self.limit, self.stop, self.kill = limit, stop, kill
        self.expired = False
        self._start = time.monotonic()
        self._waited = 0.0
        self._since: float | None = None
        self._done = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        if limit:
            self._watcher.start()

    def busy(self) -> float:
        """Seconds spent so far, time spent waiting left out."""
        now = time.monotonic()
        return now - self._start - self._waited - (now - self._since if self._since else 0)

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Time spent in this block does not count."""
        self._since = time.monotonic()
        try:
            yield
        finally:
            self._waited += time.monotonic() - self._since
            self._since = None

    def close(self) -> None:
        self._done.set()
        if self._watcher.is_alive():
            self._watcher.join()

    def _watch(self) -> None:
        while not self._done.wait(0.05):
            if not self.expired and self.busy() > self.limit:
                self.expired = True
                self.stop()
            elif self.expired and self.kill and self.busy() > self.limit + GRACE:
                self.kill()


class _Output:
    """Text written to a binary stream in large pieces; time blocked writing them does not
    count against the query's deadline."""

    def __init__(self, stream: BinaryIO, encoding: str, deadline: _Deadline):
        self.stream, self.encoding, self.deadline = stream, encoding, deadline
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > 1 << 16:
            self.flush()

    def flush(self) -> None:
        data = "".join(self.parts).encode(self.encoding, "backslashreplace")
        self.parts, self.size = [], 0
        with self.deadline.waiting():
            self.stream.write(data)
            self.stream.flush()


def _write(con: duckdb.DuckDBPyConnection, request: dict, out: _Output,
           deadline: _Deadline) -> None:
    """Run the request's statement and write its result to `out`, in its format."""
    cursor = _execute(con, request["sql"])
    columns = [d[0] for d in cursor.description or []]
    chunks = iter(lambda: cursor.fetchmany(CHUNK), []) if columns else iter(())
    if request["format"] == "csv":
        escape = printable if request["escape"] else str
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([escape(c) for c in columns])
        for chunk in chunks:
            writer.writerows(escaped_rows(chunk) if request["escape"] else chunk)
    elif request["format"] == "json":
        write_json(columns, chunks, out)
    else:
        limit = request["max_rows"]
        rows = (cursor.fetchmany(limit) if limit else cursor.fetchall()) if columns else []
        if not limit or len(rows) < limit:
            out.write(text_table(columns, rows))
            return
        try:
            total = len(rows) + sum(len(chunk) for chunk in chunks)
            note = (f"showing {len(rows):,} of {total:,} rows" if total > len(rows) else None)
        except duckdb.InterruptException:
            if not deadline.expired:
                raise
            note = (f"showing the first {len(rows):,} rows; counting the others was stopped "
                    f"after {request['timeout']:g} s")
        out.write(text_table(columns, rows, note and f"({note}; use --format csv for all, "
                                                 "or add LIMIT)"))
