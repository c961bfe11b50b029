"""The RMT API as real servers and proxies misbehave: each case through `ingest_rmt`.

The rule: an API that answers with something other than the contract is the API failing,
not bad data. Such a fetch fails cleanly: nothing loaded, the high-water mark where it was,
every page body received archived byte for byte, one line in `raw.rmt_fetches` saying what
the API did (with the page, and the field where there is one), and the run fails once the
rest is published (`fail_if_a_source_failed`). Where the contract allows an answer, the
fetch loads. Each test also says whether Prefect would retry the fetch task
(`flows.tasks.is_transient`): only when trying again minutes later could help.

Two servers play the API, both real and on 127.0.0.1: `FakeRmtApi` (werkzeug, through
pytest-httpserver) for whatever an HTTP library can be made to send, and `RawApi` below, a
socket server, for what none sends willingly (a body shorter than its Content-Length, a
chunked body without its last chunk, a trickle, no answer at all). Each test starts from
the same state, which has loaded one intervention from each server (the mark is MARK).
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
from conftest import FakeRmtApi, clone, intervention, page_body
from prefect.states import Failed
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flows.tasks import is_transient, resolve_token
from ingest import rmt_api
from ingest.paths import Paths, resolve
from ingest.rmt_api import FetchedPage, FetchFailed
from ingest.state import rmt_high_water_mark
from warehouse.run import pipeline
from warehouse.shared.errors import RunFailed
from warehouse.sources.registry import Inputs
from warehouse.sources.rmt import ingest_rmt

PATH = FakeRmtApi.PATH
TOKEN = FakeRmtApi.TOKEN
MARK = "2017-01-01T00:00:00Z"  # what both servers loaded before each test
JSON = "application/json"
# Small retry timings, as in test_rmt_ingest.py: every test here runs in well under 2 s.
QUICK = {"page_size": 2, "retries": 2, "backoff": 0.01, "timeout": 2.0}


# --- the socket-level API -----------------------------------------------------------------

def http(body: bytes = b"", status: str = "200 OK", content_type: str | None = JSON,
         length: int | None = None, **headers: str) -> bytes:
    """The bytes of a whole response; `length` overrides the Content-Length header."""
    head = [f"HTTP/1.1 {status}", "Connection: close"]
    if content_type:
        head.append(f"Content-Type: {content_type}")
    head.append(f"Content-Length: {len(body) if length is None else length}")
    head += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def chunked_head(status: str = "200 OK") -> bytes:
    return (f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: {JSON}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class RawApi:
    """The RMT API written byte by byte on a socket, one thread per connection.

    Like `FakeRmtApi`: pages of `interventions` changed since `updated_since` (inclusive),
    the token checked, and `script` replies served one per request before the real ones
    (None: the real one). A reply is a list of bytes to send and numbers (seconds to pause);
    the connection is closed after it, whatever it said.
    """

    def __init__(self, page_size: int = 2):
        self.page_size = page_size
        self.interventions: list[dict] = []
        self.script: list = []
        self.requests: list[dict] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def reset(self) -> None:
        self.interventions, self.script, self.requests = [], [], []

    def body(self, page: int, since: str | None = MARK) -> bytes:
        return page_body(self.interventions, page, since, self.page_size)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
        self._socket.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    data = connection.recv(65536)
                    if not data:
                        return
                    request += data
                for part in self._reply(request):
                    if isinstance(part, bytes):
                        connection.sendall(part)
                    else:
                        time.sleep(part)
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client gave up first

    def _reply(self, request: bytes) -> list:
        line, *header_lines = request.split(b"\r\n\r\n")[0].decode().split("\r\n")
        headers = dict(h.split(": ", 1) for h in header_lines)
        args = {k: v[0] for k, v in parse_qs(urlsplit(line.split()[1]).query).items()}
        self.requests.append({**args, "headers": headers})
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return [http(b'{"error": "unauthorized"}', "401 Unauthorized")]
        if self.script:
            reply = self.script.pop(0)
            if reply is not None:
                return reply
        return [http(self.body(int(args["page"]), args.get("updated_since")))]


# --- fixtures: the servers, and a state that loaded once from each ------------------------

@pytest.fixture(scope="module")
def raw_server():
    server = RawApi()
    yield server
    server.stop()


@pytest.fixture
def raw(raw_server, monkeypatch):
    monkeypatch.setenv("SPF_RMT_TOKEN", TOKEN)
    raw_server.reset()
    return raw_server


@pytest.fixture
def api(rmt_api):
    return rmt_api


@pytest.fixture(scope="module")
def preloaded(tmp_path_factory, make_httpserver, raw_server) -> Path:
    """A home whose state loaded RMT-000090 from the werkzeug API and RMT-000091 from the
    socket one, both updated at MARK (pages handed over directly: setup, not under test)."""
    home = tmp_path_factory.mktemp("preloaded") / "wh"
    paths = resolve(home / "spf.duckdb")
    origins = (make_httpserver.url_for("/").rstrip("/"), raw_server.url)
    for number, origin in zip((90, 91), origins, strict=True):
        def handed_over(url: str, since: str | None, number: int = number) -> list:
            return [FetchedPage(1, f"{url}{PATH}?page=1",
                                page_body([intervention(number, MARK)], 1), "2017-01-02")]

        summary = ingest_rmt(paths, f"r0-{number}",
                             Inputs({"rmt_url": origin}, fetch_pages=handed_over))
        assert summary["counts"] == {"loaded": 1}
    return home


# --- running a fetch and checking what became of it ---------------------------------------

def state(paths: Paths, sql: str) -> list[tuple]:
    con = duckdb.connect(str(paths.state_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def versions(paths: Paths) -> list[tuple[str, str]]:
    return [(i, u.strftime("%Y-%m-%dT%H:%M:%SZ")) for i, u in state(
        paths, "select intervention_id, updated_at from raw.rmt_interventions order by all")]


BEFORE = [("RMT-000090", MARK), ("RMT-000091", MARK)]


def archived(paths: Paths, body: bytes) -> Path:
    sha = hashlib.sha256(body).hexdigest()
    return paths.archive / "rmt" / sha[:2] / f"{sha}.json"


@dataclass
class Result:
    origin: str
    summary: dict
    raised: FetchFailed | None
    seconds: float


class Runner:
    """Fetches through `ingest_rmt` into a copy of the preloaded state, and checks."""

    def __init__(self, paths: Paths, caplog):
        self.paths = paths
        self.caplog = caplog

    def fetch(self, origin: str, **options) -> Result:
        raised = []

        def fetch_pages(base_url: str, updated_since: str | None) -> list:
            try:
                return rmt_api.fetch_pages(base_url, resolve_token(), updated_since,
                                           **{**QUICK, **options})
            except FetchFailed as failed:
                raised.append(failed)
                raise

        start = time.monotonic()
        summary = ingest_rmt(self.paths, "r1", Inputs({"rmt_url": origin}, fetch_pages=fetch_pages))
        return Result(origin, summary, raised[0] if raised else None, time.monotonic() - start)

    def mark(self, origin: str) -> str | None:
        con = duckdb.connect(str(self.paths.state_db), read_only=True)
        try:
            return rmt_high_water_mark(con, origin)
        finally:
            con.close()

    def failed(self, result: Result, code: str, page: int, says: tuple[str, ...] = (),
               bodies: tuple[bytes, ...] = (), transient: bool = False) -> str:
        """The fetch failed with `code`, cleanly; its one-line message, which names the page
        and says `says`. `bodies` are the pages received, all archived byte for byte."""
        summary = result.summary
        assert summary["counts"] == {"failed": 1}
        [(status, reason, message, pages, problems)] = state(self.paths, """
            select status, reason_code, reason_message, pages, problems from raw.rmt_fetches
            where run_id = 'r1'""")
        assert (status, reason) == ("failed", code)
        assert message == f"{result.origin}: {summary['error']}"  # the API's failure alone
        assert len(json.loads(problems)) == 1 and "\n" not in message
        assert f"page {page} of {result.origin}{PATH}" in message
        for text in says:
            assert text in message
        with pytest.raises(RunFailed, match="project reports not loaded: RMT API"):
            pipeline.fail_if_a_source_failed({"rmt": summary})
        assert versions(self.paths) == BEFORE  # nothing loaded
        assert self.mark(result.origin) == MARK  # the mark unchanged
        assert pages == len(bodies)
        for body in bodies:
            assert archived(self.paths, body).read_bytes() == body
        assert is_transient(None, None, Failed(data=result.raised)) is transient
        everything = (json.dumps(summary) + self.caplog.text + str(result.raised)
                      + str(state(self.paths, "from raw.rmt_fetches")))
        assert TOKEN not in everything
        print(f"\n[{code}] {message}")  # pytest -s shows what an operator reads
        return message

    def loaded(self, result: Result, new: list[tuple[str, str]]) -> None:
        assert result.summary["counts"] == {"loaded": 1}, result.summary.get("rejected")
        assert versions(self.paths) == sorted(BEFORE + new)
        assert self.mark(result.origin) == max(u for _, u in new)


@pytest.fixture
def run(preloaded, tmp_path, caplog) -> Runner:
    caplog.set_level(logging.DEBUG)
    return Runner(resolve(clone(preloaded, tmp_path / "wh") / "spf.duckdb"), caplog)


def page(items: list[dict], number: int, next_page: int | None, total: int | None = None,
         **changes) -> bytes:
    """A page body with the given items and envelope."""
    doc = {"items": items, "page": number, "page_size": 2,
           "total": len(items) if total is None else total, "next_page": next_page, **changes}
    return json.dumps(doc).encode()


def reply(body: bytes, status: int = 200, content_type: str | None = JSON, **headers
          ) -> Response:
    response = Response(body, status=status,
                        headers={name.replace("_", "-"): value for name, value in headers.items()})
    if content_type:
        response.headers["Content-Type"] = content_type
    else:
        del response.headers["Content-Type"]
    return response


FIVE = [intervention(n, f"2017-10-2{n}T09:00:00Z") for n in range(1, 6)]
NEW = [(f"RMT-00000{n}", f"2017-10-2{n}T09:00:00Z") for n in range(1, 6)]


# --- pagination, totals and versions ------------------------------------------------------

@pytest.mark.parametrize("next_page", [2, 1], ids=["repeats", "goes-back"])
def test_a_next_page_that_repeats_or_goes_back_is_a_pagination_loop(run, api, next_page):
    """Page 2 names page 2 again, or page 1: followed, the fetch would never end (or load
    the same pages in a circle). The API is broken and another try gets the same answer:
    `pagination_loop`, not retried by Prefect. Nothing is asked for after page 2."""
    api.interventions = FIVE
    looping = page(FIVE[2:4], 2, next_page, total=5)
    api.script = [None, reply(looping)]

    result = run.fetch(api.url)

    run.failed(result, "pagination_loop", 2, ("'next_page' is", "a pagination loop"),
               (api.body(1, MARK), looping))
    assert [r["page"] for r in api.requests] == ["1", "2"]


def test_a_next_page_that_skips_pages_fails_the_fetch(run, api):
    """Page 1 names page 4 as the next: following it would load the fetch without pages 2
    and 3 and move the mark past what they hold, for good. `pagination_gap`, not retried."""
    api.interventions = FIVE
    skipping = page(FIVE[:2], 1, 4, total=5)
    api.script = [reply(skipping)]

    result = run.fetch(api.url)

    run.failed(result, "pagination_gap", 1,
               ("'next_page' is 4, expected 2 or null: pages 2 to 3 would be skipped",),
               (skipping,))


def test_a_total_that_disagrees_with_the_items_received_fails_the_fetch(run, api):
    """Every page says 6 interventions, three pages hold 5: one was skipped (paging by offset
    while the data changed, most likely), and loading would move the mark past it for good.
    `total_mismatch`; transient, because the next try may find the data still."""
    api.interventions = FIVE
    bodies = [page(FIVE[:2], 1, 2, 6), page(FIVE[2:4], 2, 3, 6), page(FIVE[4:], 3, None, 6)]
    api.script = [reply(b) for b in bodies]

    result = run.fetch(api.url)

    run.failed(result, "total_mismatch", 3, ("'total' is 6 but the 3 pages held 5 "
                                            "interventions",), tuple(bodies), transient=True)


def test_a_total_that_changes_between_pages_fails_the_fetch(run, api):
    """Page 1 says 5, page 2 says 6: an intervention changed while the pages were read, so
    the pages are no snapshot (one may be skipped, one seen twice). `total_mismatch`,
    transient: the same fetch a little later reads a still API."""
    api.interventions = FIVE
    changed = page(FIVE[2:4], 2, 3, 6)
    api.script = [None, reply(changed)]

    result = run.fetch(api.url)

    run.failed(result, "total_mismatch", 2, ("'total' is 6, but page 1 said 5: the "
                                            "interventions changed during the fetch",),
               (api.body(1, MARK), changed), transient=True)


def test_the_same_version_twice_with_other_content_fails_the_fetch(run, api):
    """RMT-000002 comes on page 1 and again on page 2 with the same updated_at and another
    title. Before, this was a rejected `conflicting_version` (bad data, run green); but no
    project report is at fault: within one answer the API gave two contents for one version
    (changed without a new updated_at, or changed while it was paged). The fetch fails with
    `conflicting_version`, naming both places; transient, a later try may read it whole."""
    a, b, c = (intervention(n, "2017-10-23T09:14:00Z") for n in (1, 2, 3))
    bodies = [page([a, b], 1, 2, 3), page([{**b, "title": "Changed in passing"}, c], 2, None, 3)]
    api.script = [reply(x) for x in bodies]

    result = run.fetch(api.url)

    run.failed(result, "conflicting_version", 2, (
        "items[0] (RMT-000002) has the same 'updated_at' (2017-10-23T09:14:00Z) as items[1] "
        "of page 1 but other content",), tuple(bodies), transient=True)


def test_the_same_version_twice_with_the_same_content_loads_once(run, api):
    """RMT-000002 comes twice, byte for byte the same version (a page boundary moved under
    the API's paging): allowed, it is loaded once. `total` counts interventions, and the
    three distinct ones it promised all came, so nothing was skipped."""
    a, b, c = (intervention(n, "2017-10-23T09:14:00Z") for n in (1, 2, 3))
    api.script = [reply(page([a, b], 1, 2, 3)), reply(page([b, c], 2, None, 3))]

    result = run.fetch(api.url)

    run.loaded(result, [(f"RMT-00000{n}", "2017-10-23T09:14:00Z") for n in (1, 2, 3)])
    assert result.summary["new_versions"] == 3


def test_an_empty_page_that_names_a_next_page_fails_the_fetch(run, api):
    """Page 2 is empty yet names page 3: a pager that could go on for ever, and the items
    promised by `total` are not there. `empty_page`, not retried."""
    api.interventions = FIVE
    empty = page([], 2, 3, 5)
    api.script = [None, reply(empty)]

    result = run.fetch(api.url)

    run.failed(result, "empty_page", 2, ("'items' is empty but 'next_page' is 3",),
               (api.body(1, MARK), empty))


def test_a_page_other_than_the_one_asked_for_fails_the_fetch(run, api):
    """Asked for page 2, the API sends page 3 (a cache keyed without the query string, say).
    Loading it would skip page 2. `wrong_page`, not retried."""
    api.interventions = FIVE
    wrong = api.body(3, MARK)
    api.script = [None, reply(wrong)]

    result = run.fetch(api.url)

    run.failed(result, "wrong_page", 2, ("'page' is 3, expected 2",), (api.body(1, MARK), wrong))


@pytest.mark.parametrize(("body", "says"), [
    (json.dumps([intervention(1)]).encode(), "body is a JSON list, not a page object"),
    (json.dumps({"items": {"RMT-000001": intervention(1)}, "page": 1, "page_size": 2,
                 "total": 1, "next_page": None}).encode(), "'items' is missing or not a list"),
], ids=["json-array", "items-not-a-list"])
def test_json_that_is_not_a_page_fails_the_fetch(run, api, body, says):
    """A JSON array instead of the page object, or `items` an object keyed by id: the body
    parses but is no page of the contract, whichever intervention it holds. `bad_envelope`,
    not retried."""
    api.script = [reply(body)]

    result = run.fetch(api.url)

    run.failed(result, "bad_envelope", 1, (says,), (body,))


# --- bodies that are not JSON, or not what was asked for -----------------------------------

def test_a_proxy_login_page_with_200_fails_the_fetch(run, api):
    """A proxy's sign-in page, HTML with status 200 (and the token echoed in a hidden field):
    not the API at all. `not_json`, with the start of the page (token scrubbed) so whoever
    reads it sees a login page; not retried (the proxy will still want a login)."""
    login = (b"<!DOCTYPE html>\n<html><head><title>Sign in - Corporate web gateway</title>"
             b"</head><body><form><input type=hidden name=t value=\"" + TOKEN.encode()
             + b"\"></form></body></html>")
    api.script = [reply(login, content_type="text/html; charset=utf-8")]

    result = run.fetch(api.url)

    message = run.failed(result, "not_json", 1, (
        "the body is HTML, not JSON (Content-Type 'text/html; charset=utf-8'), as from a proxy "
        "or a login page: <!DOCTYPE html> <html><head><title>Sign in - Corporate web gateway",),
        (login,))
    assert 'value="***"' in message


def test_a_valid_page_labelled_text_html_fails_the_fetch(run, api):
    """A body that is a valid page, but labelled text/html. Decision: the contract is JSON,
    asked for with `Accept: application/json`; an answer labelled otherwise is not the
    API's answer as contracted (it is how a proxy's or CDN's own page is told apart), so the
    fetch fails with `wrong_content_type` rather than guess. Not retried: the label will be
    the same tomorrow, and the RMT's maintainers must fix it. (application/*+json is JSON.)"""
    api.interventions = FIVE[:1]
    body = api.body(1, MARK)
    api.script = [reply(body, content_type="text/html; charset=utf-8")]

    result = run.fetch(api.url)

    run.failed(result, "wrong_content_type", 1, (
        "the body is JSON but its Content-Type is 'text/html; charset=utf-8', not "
        "application/json",), (body,))


def test_an_empty_200_body_fails_the_fetch(run, api):
    """200 with no body at all: no page, so no way to know there is nothing new (that is a
    page with no items). `not_json`, not retried."""
    api.interventions = FIVE
    api.script = [None, reply(b"")]

    result = run.fetch(api.url)

    run.failed(result, "not_json", 2, ("the body is empty, not a page",),
               (api.body(1, MARK), b""))


@pytest.mark.parametrize(("encoded", "says"), [
    (lambda body: (z := gzip.compress(body))[:20] + bytes(b ^ 0x55 for b in z[20:40]) + z[40:],
     "the body is not valid gzip (Content-Encoding: gzip;"),
    (lambda body: gzip.compress(body)[:-30], "the gzip stream ends before its end"),
], ids=["corrupt", "cut"])
def test_a_corrupt_gzip_body_fails_the_fetch_and_keeps_the_bytes(run, api, encoded, says):
    """Content-Encoding gzip with bytes that do not inflate (a proxy mangling the stream), or
    stop before the gzip trailer inside a complete HTTP answer. `bad_encoding`, not retried;
    the bytes are archived as they came, for inspection."""
    api.interventions = FIVE
    sent = encoded(api.body(2, MARK))
    api.script = [None, reply(sent, Content_Encoding="gzip")]

    result = run.fetch(api.url)

    run.failed(result, "bad_encoding", 2, (says,), (api.body(1, MARK), sent))


def test_a_gzip_encoded_page_loads_and_is_archived_decoded(run, api):
    """gzip is asked for (Accept-Encoding: gzip); a gzip page is the contract's JSON once
    decoded, and that JSON is what is archived, like any other page."""
    api.interventions = FIVE[:2]
    body = api.body(1, MARK)
    api.script = [reply(gzip.compress(body), Content_Encoding="gzip")]

    result = run.fetch(api.url)

    run.loaded(result, NEW[:2])
    assert archived(run.paths, body).read_bytes() == body
    assert api.requests[0]["page"] == "1"
    assert api.server.log[0][0].headers["Accept-Encoding"] == "gzip"


# --- sizes, time and broken connections ---------------------------------------------------

@pytest.mark.parametrize("how", ["content-length", "chunked", "gzip-bomb"])
def test_a_page_over_the_size_limit_fails_without_reading_it_all(run, api, raw, how):
    """A page larger than `max_page_bytes` (50 MB unless configured; 20 kB here): declared
    by Content-Length (nothing of it is read), sent chunked without a length (reading stops
    at the limit), or gzip that inflates past it (inflating stops there). Never more than
    the limit in memory. `page_too_large`, not retried. A gzip body is kept as it came."""
    limit = 20_000
    huge = page([intervention(1, title="x" * 100_000)], 1, None, 1)
    origin, kept = api.url, ()
    if how == "content-length":
        api.script = [reply(huge)]
    elif how == "gzip-bomb":
        kept = (gzip.compress(huge),)
        api.script = [reply(kept[0], Content_Encoding="gzip")]
    else:
        origin = raw.url
        raw.script = [[chunked_head(), *(chunk(huge[n:n + 4096])
                                         for n in range(0, len(huge), 4096)), b"0\r\n\r\n"]]

    result = run.fetch(origin, max_page_bytes=limit)

    run.failed(result, "page_too_large", 1, (f"than the {limit} ",), kept)


def test_a_body_cut_short_fails_the_fetch_after_retries(run, raw):
    """Content-Length says more than is sent, then the connection closes: a network or
    server failure, not a page. Asked for again (2 retries, small backoff), then the fetch
    fails: `fetch_failed`, transient (Prefect tries again later). A partial body is no page
    received: it is not archived."""
    raw.interventions = FIVE
    good = raw.body(2)
    cut = [http(good, length=len(good) + 500)]
    raw.script = [None, cut, cut, cut]

    result = run.fetch(raw.url)

    run.failed(result, "fetch_failed", 2, (
        f"sent a body cut short: the connection closed after {len(good)} of {len(good) + 500} "
        "bytes (Content-Length) (after 2 retries)",), (raw.body(1),), transient=True)
    assert [r["page"] for r in raw.requests] == ["1", "2", "2", "2"]


def test_a_body_cut_short_once_is_asked_for_again_and_loads(run, raw):
    """The same cut once, then the whole body: the page is asked for again and the fetch
    loads; the contract's "retry with backoff" covers a broken body as a broken connection."""
    raw.interventions = FIVE
    good = raw.body(2)
    raw.script = [None, [http(good[:100], length=len(good))]]

    result = run.fetch(raw.url)

    run.loaded(result, NEW)
    assert [r["page"] for r in raw.requests] == ["1", "2", "2", "3"]


def test_a_chunked_body_cut_short_fails_the_fetch_after_retries(run, raw):
    """Chunked transfer encoding that stops before the last (zero) chunk, then closes: the
    body is incomplete whatever JSON it may look like. Retried, then `fetch_failed`."""
    raw.interventions = FIVE
    cut = [chunked_head(), chunk(raw.body(1)[:60])]
    raw.script = [cut, cut, cut]

    result = run.fetch(raw.url)

    run.failed(result, "fetch_failed", 1, ("sent a body cut short: the connection closed "
                                           "after 60 bytes, before the last chunk",),
               transient=True)


def test_a_read_timeout_is_retried_then_fails_the_fetch(run, raw):
    """The server accepts, then says nothing for longer than `timeout` (0.2 s here): urllib3
    retries it (2 retries), then the fetch fails, `fetch_failed`, transient."""
    raw.interventions = FIVE
    slow = [0.6, http(raw.body(1))]
    raw.script = [slow, slow, slow]

    result = run.fetch(raw.url, timeout=0.2)

    run.failed(result, "fetch_failed", 1, ("failed after 2 retries (ReadTimeoutError:",
                                           "Read timed out. (read timeout=0.2)"),
               transient=True)
    assert len(raw.requests) == 3 and result.seconds < 1.5


def test_a_body_that_trickles_past_the_time_limit_fails_the_fetch(run, raw):
    """A byte every 50 ms: each read is quick, so no read time-out ever fires, and a slow
    or hostile server could hold the nightly for hours. `page_time_limit` (600 s unless
    configured; 0.3 s here) bounds a whole body: retried, then `fetch_failed`, transient."""
    raw.interventions = FIVE
    body = raw.body(1)
    trickle = [http(b"", length=len(body))] + [p for b in body[:40] for p in (bytes([b]), 0.05)]
    raw.script = [trickle, trickle]

    result = run.fetch(raw.url, retries=1, page_time_limit=0.3)

    run.failed(result, "fetch_failed", 1, ("was still sending the body after 0.3 s",
                                           "(after 1 retries)"), transient=True)
    assert result.seconds < 2


def test_a_connection_closed_without_an_answer_fails_after_retries(run, raw):
    """The server accepts the connection and closes it without a word (a crashed worker
    behind a load balancer): retried by urllib3, then `fetch_failed`, transient."""
    raw.interventions = FIVE
    raw.script = [[], [], []]

    result = run.fetch(raw.url)

    run.failed(result, "fetch_failed", 1, ("failed after 2 retries (ProtocolError:",
                                           "Remote end closed connection without response"),
               transient=True)


# --- statuses, Retry-After and redirects --------------------------------------------------

def test_a_404_on_page_2_fails_the_fetch(run, api):
    """Page 1 promised a page 2 which is not there: the fetch is incomplete. 4xx means the
    same request will get the same answer: `unexpected_status`, not retried."""
    api.interventions = FIVE
    api.script = [None, reply(b'{"detail": "Not Found"}', 404)]

    result = run.fetch(api.url)

    run.failed(result, "unexpected_status", 2, ('failed (HTTP 404): {"detail": "Not Found"}',),
               (api.body(1, MARK),))
    assert len(api.requests) == 2


def test_a_401_midway_fails_the_fetch_as_a_refused_token(run, api):
    """The token is refused on page 2 (it expired during the fetch): `auth_failed`, as on
    page 1, with the page; page 1 is archived, nothing loaded; not retried."""
    api.interventions = FIVE
    api.script = [None, reply(b'{"error": "token expired"}', 401)]

    result = run.fetch(api.url)

    run.failed(result, "auth_failed", 2, ("RMT API refused the token (HTTP 401): check "
                                          "SPF_RMT_TOKEN",), (api.body(1, MARK),))


def test_a_204_no_content_fails_the_fetch(run, api):
    """204 where a page is due: "nothing" is a page with no items in this contract, so a 204
    is not an answer the pipeline can trust to mean nothing changed. `unexpected_status`."""
    api.script = [reply(b"", 204, content_type=None)]

    result = run.fetch(api.url)

    run.failed(result, "unexpected_status", 1, ("failed (HTTP 204)",))


def test_a_503_with_retry_after_then_success_loads(run, api):
    """A 503 asking for a 1 s wait, then the page: the wait is honoured and the fetch loads."""
    api.interventions = FIVE
    api.script = [None, reply(b"busy", 503, Retry_After="1")]

    result = run.fetch(api.url)

    run.loaded(result, NEW)
    assert [r["page"] for r in api.requests] == ["1", "2", "2", "3"]
    assert result.seconds >= 0.95


def test_a_retry_after_given_as_an_http_date_is_honoured(run, api):
    """Retry-After may be an HTTP date (RFC 9110): a 429 until 2 s from now, then the page.
    The wait is the time until that date (between 1 and 2 s, dates having whole seconds)."""
    api.interventions = FIVE[:2]
    until = email.utils.formatdate(time.time() + 2, usegmt=True)
    api.script = [reply(b"slow down", 429, Retry_After=until)]

    result = run.fetch(api.url)

    run.loaded(result, NEW[:2])
    assert len(api.requests) == 2 and result.seconds >= 0.9


def test_a_retry_after_that_is_neither_seconds_nor_a_date_falls_back_to_backoff(run, api):
    """`Retry-After: soon` cannot be obeyed. Before, urllib3 raised on it and the fetch
    failed at the first 429; it is now taken as absent, the backoff applies, and it loads."""
    api.interventions = FIVE[:2]
    api.script = [reply(b"slow down", 429, Retry_After="soon")]

    result = run.fetch(api.url)

    run.loaded(result, NEW[:2])
    assert len(api.requests) == 2


@pytest.mark.parametrize("wait", ["3600", "date"], ids=["seconds", "http-date"])
def test_a_retry_after_of_an_hour_fails_at_once(run, api, wait):
    """`Retry-After: 3600` (or a date an hour ahead). Before: urllib3 capped the wait at
    RETRY_AFTER_MAX and slept 300 s before each of 5 retries (25 minutes), then the fetch
    failed as transient and Prefect ran it twice more: 75 minutes of a nightly asleep for
    nothing. Now a wait beyond `max_wait` (300 s) fails at once, with how long the API asked
    for: `wait_too_long`, not retried by Prefect either; the next nightly tries again."""
    api.interventions = FIVE
    value = "3600" if wait == "3600" else email.utils.formatdate(time.time() + 3600, usegmt=True)
    api.script = [None, reply(b"come back later", 429, Retry_After=value)]

    result = run.fetch(api.url)

    run.failed(result, "wait_too_long", 2, ("answered HTTP 429 asking to wait 3600 s"
                                            if wait == "3600" else "answered HTTP 429 asking "
                                            "to wait 3", f"(Retry-After: {value}), more than "
                                            "the 300 s a run waits: not retried"),
               (api.body(1, MARK),))
    assert len(api.requests) == 2 and result.seconds < 1


@pytest.fixture
def other_host():
    """A second real server on 127.0.0.1, another port: where a redirect points."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/login").respond_with_data(page_body(FIVE, 1), content_type=JSON)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.mark.parametrize("where", ["other-host", "same-host", "loop"])
def test_a_redirect_fails_the_fetch_and_the_token_goes_nowhere(run, api, other_host, where):
    """A 302 to another host (a captive portal; an API moved), to another path of the same
    server, or to itself (a redirect loop). Decision: redirects are not followed at all, so
    the token is sent to the configured URL and nowhere else, and no page comes from a host
    nobody configured; before, requests followed, stripped the token, and the other host's
    401 read as "RMT API refused the token". `redirected`, naming the target; not retried:
    the URL must be corrected. The other host receives no request, so no Authorization."""
    target = {"other-host": other_host.url_for("/login"), "same-host": api.url + "/v2" + PATH,
              "loop": api.url + PATH + "?page=1"}[where]
    api.script = [reply(b"", 302, content_type=None, Location=target)]

    result = run.fetch(api.url)

    run.failed(result, "redirected", 1, (f"was redirected (HTTP 302) to {target}; redirects "
                                         "are not followed, so the token goes only to",))
    assert len(api.requests) == 1
    assert other_host.log == []


def test_requests_itself_would_strip_the_token_on_a_redirect_to_another_port(api, other_host):
    """What following would have done, checked rather than assumed: requests drops the
    Authorization header when a redirect changes host or port. The client does not rely on it
    (it does not follow), but no code path of the library hands the token to the other host."""
    import requests

    api.script = [reply(b"", 302, content_type=None, Location=other_host.url_for("/login"))]
    response = requests.get(api.url + PATH, headers={"Authorization": f"Bearer {TOKEN}"},
                            timeout=5)

    assert response.status_code == 200 and len(other_host.log) == 1
    sent = other_host.log[0][0]
    assert isinstance(sent, Request) and "Authorization" not in sent.headers


def test_every_other_5xx_is_retried_like_500(run, api):
    """The contract makes every 5xx transient, not only 500, 502, 503 and 504: a CDN's 520
    ("origin returned an unknown error") is retried, and the fetch loads."""
    api.interventions = FIVE[:2]
    api.script = [reply(b"origin error", 520)]

    result = run.fetch(api.url)

    run.loaded(result, NEW[:2])
    assert len(api.requests) == 2
