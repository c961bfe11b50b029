"""A warm runner: one long-lived process per home that has imported dbt, Great Expectations,
pandas and the pipeline once, and runs the nightly and backfill runs it is handed.

A cold `spf run` spends seconds importing before any work (Great Expectations about 4 s,
dbt about 3 s) and parsing the dbt project; a night that brings one revised workbook then
costs several times its work. `spf worker` pays that once: it keeps the imports, dbt's
parsed manifest (warehouse/run/build.py `_parsed`, parsed again when the project
changes) and the Great Expectations context with its suites (expectations/gates.py
`gates_for`). `spf run`, `spf backfill` and the flows hand a run to the worker of their
home when one is listening, and run it themselves (cold, saying so) when none is.

Why not a Prefect task worker: the runs must work with no Prefect server at all, and a
task worker would add a server round trip to every step; a private socket between two
processes of the same user is all a hand-over needs. The socket is in Linux's abstract
namespace (no file to clean up after a crash, no 108-byte path limit), named after the
home, and a client proves it may use it with the key in the home's private state
(`multiprocessing.connection`'s HMAC challenge): only the home's owner can read the key.
The worker runs one run at a time; the writer lock still keeps runs of other processes
out, and a run cut off by a dying worker is finished by the next one (journal.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import time
import traceback
from collections.abc import Callable, Iterator
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path

from ingest.paths import PRIVATE_DIR, PRIVATE_FILE, Paths, resolve

log = logging.getLogger("spf.worker")
KINDS = ("nightly", "backfill")
# The environment a run reads (tokens, settle time, deadlines, kept publications): the
# client's, for the length of its run, so that a hand-over behaves as the cold run would.
ENVIRONMENT_PREFIXES = ("SPF_",)


class WorkerGone(RuntimeError):
    """The worker stopped before it said how the run ended."""


def address(paths: Paths) -> str:
    """The worker's socket for this home, in the abstract namespace."""
    digest = hashlib.sha256(str(paths.home).encode()).hexdigest()[:24]
    return f"\0spf-worker-{digest}"


def key_file(paths: Paths) -> Path:
    return paths.state_db.parent / "worker.key"


def _new_key(paths: Paths) -> bytes:
    """A fresh key for this worker's life, readable by the home's owner only."""
    where = key_file(paths)
    where.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = where.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    os.replace(tmp, where)
    return key


def connect(paths: Paths) -> Connection | None:
    """A connection to the worker of this home, or None when none is listening."""
    try:
        key = key_file(paths).read_bytes()
    except OSError:
        return None
    try:
        return Client(address(paths), family="AF_UNIX", authkey=key)
    except (OSError, EOFError, AuthenticationError) as error:  # none listening, or a
        # worker started with another key
        log.debug("no warm worker for %s: %s", paths.home, error)
        return None


def run(kind: str, parameters: dict, cold: Callable[[], dict], log: logging.Logger,
        environment: Callable[[], dict[str, str]] | None = None) -> dict:
    """The run `kind`: handed to the warm worker of its home when one listens, else `cold()`
    here; either way the log says which. `environment`: variables the worker needs that
    this process holds elsewhere (a token read from a Prefect Secret block)."""
    paths = resolve(parameters.get("warehouse"))
    connection = connect(paths)
    if connection is None:
        log.info("no warm worker for %s: running here, cold (`spf worker` keeps one)",
                 paths.home)
        return cold()
    log.info("handed to the warm worker of %s", paths.home)
    return hand_over(connection, kind, parameters, log.log,
                     environment() if environment else {})


def hand_over(connection: Connection, kind: str, parameters: dict,
              echo: Callable[[int, str], None], extra: dict[str, str] | None = None) -> dict:
    """Run `kind` in the worker with `parameters`; its log records go to `echo` (level,
    message) as they come.

    Returns the run's summary; a failed run raises `HandedOverFailure`, a worker that dies
    `WorkerGone`."""
    environment = {k: v for k, v in os.environ.items() if k.startswith(ENVIRONMENT_PREFIXES)}
    environment.update(extra or {})
    with connection:
        connection.send({"kind": kind, "parameters": parameters, "environment": environment})
        while True:
            try:
                what, payload = connection.recv()
            except (EOFError, OSError):
                raise WorkerGone("the warm worker stopped during the run (see its log); the "
                                 "next run finishes what it left") from None
            if what == "log":
                echo(*payload)
            elif what == "done":
                return payload
            else:
                raise HandedOverFailure(**payload)


class HandedOverFailure(Exception):
    """A run that failed in the worker: its message, whether the failure was expected (one
    line) or a bug (with the worker's traceback)."""

    def __init__(self, message: str, expected: bool, traceback: str = ""):
        super().__init__(message)
        self.expected = expected
        self.traceback = traceback


def warm_up() -> None:
    """Import what every run needs, once (the seconds a cold run spends before any work)."""
    import dbt.cli.main  # noqa: F401
    import great_expectations  # noqa: F401
    import matplotlib.ticker  # noqa: F401  (the axis ticks of the programme's pages)

    from warehouse.run import pipeline  # noqa: F401


class _Forward(logging.Handler):
    """A run's log lines, sent to the client that handed it over (if it still listens)."""

    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.connection.send(("log", (record.levelno, self.format(record))))
        except (OSError, ValueError):  # the client went away; the run goes on
            pass


@contextlib.contextmanager
def _environment(given: dict[str, str]) -> Iterator[None]:
    ours = {k: v for k, v in os.environ.items() if k.startswith(ENVIRONMENT_PREFIXES)}
    for name in ours:
        os.environ.pop(name)
    os.environ.update(given)
    try:
        yield
    finally:
        for name in given:
            os.environ.pop(name, None)
        os.environ.update(ours)


def run_request(request: dict, connection: Connection) -> None:
    """Run one handed-over run and send how it ended."""
    from warehouse.run import pipeline
    from warehouse.sources.rmt import fetch_with_environment_token

    kind = request.get("kind")
    if kind not in KINDS:
        connection.send(("failed", {"message": f"unknown run {kind!r}", "expected": True}))
        return
    forward = _Forward(connection)
    run_log = logging.getLogger("spf")
    run_log.addHandler(forward)
    run_log.setLevel(logging.INFO)
    started = time.perf_counter()
    try:
        with _environment(request.get("environment") or {}):
            how = pipeline.Orchestration(fetch_pages=fetch_with_environment_token, log=run_log)
            summary = getattr(pipeline, kind)(how=how, **request.get("parameters", {}))
    except Exception as error:
        expected = isinstance(error, pipeline.EXPECTED_FAILURES)
        outcome = ("failed", {"message": str(error), "expected": expected,
                              "traceback": "" if expected else traceback.format_exc()})
    else:
        outcome = ("done", summary)
    finally:
        run_log.removeHandler(forward)
    log.info("%s run ended in %.1f s: %s", kind, time.perf_counter() - started, outcome[0])
    try:
        connection.send(outcome)
    except (OSError, ValueError):
        log.warning("the client of the %s run went away before it ended", kind)


def serve(paths: Paths, *, once: int | None = None,
          ready: Callable[[], None] | None = None) -> None:
    """Listen for runs of this home until stopped (`once`: after that many runs, for tests).

    One run at a time: a second client waits for the first run to end."""
    warm_up()
    key = _new_key(paths)
    served = 0
    with Listener(address(paths), family="AF_UNIX", authkey=key) as listener:
        log.info("warm worker for %s ready (pid %d)", paths.home, os.getpid())
        if ready:
            ready()
        while once is None or served < once:
            try:
                connection = listener.accept()
            except Exception as error:  # a client with a wrong key, or one that went away
                log.warning("refused a connection: %s", error)
                continue
            with connection:
                try:
                    request = connection.recv()
                except (EOFError, OSError):
                    continue
                run_request(request, connection)
            served += 1
