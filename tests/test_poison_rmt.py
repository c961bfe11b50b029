"""Poison pages, leaky servers and slow ones (issue 22): each a failure or rejection of its own.

A page nested 200,000 deep or with a number of 5,001 digits stopped the run (RecursionError,
ValueError) before its page was even archived; a 401-digit amount loaded as infinity; a
135 MB export page took 14 GB of memory; a server sending a byte every few seconds held the
run for an hour; a token echoed JSON-escaped or URL-encoded, or a password in the API's URL,
ended in the published tables, the logs and the terminal. Now each fetch fails (the API
answered outside its contract) or is rejected (an export broke it) with its own reason and
a one-line message, its bounded page bodies archived, no secret in any spelling recorded,
logged or raised, and the rest of the run goes on.

All real: HTTP servers on 127.0.0.1 (pytest-httpserver, and the socket server of
test_rmt_misbehaviour.py for what no HTTP library sends), export folders in tmp_path, the
DuckDB state through `ingest_rmt`. Slow servers are cut off by small deadlines given
as parameters, so that each test takes seconds.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import re
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import duckdb
import pytest
from conftest import FakeRmtApi, intervention, page_body, write_export
from prefect.states import Failed
from test_rmt_misbehaviour import RawApi, http
from werkzeug import Request, Response

from flows.tasks import is_transient
from ingest import rmt_api
from ingest.paths import Paths, resolve
from ingest.rmt_api import FetchFailed
from ingest.rmt_landing import MAX_PAGE_BYTES, MAX_PAGES
from warehouse.run import pipeline
from warehouse.shared.errors import RunFailed
from warehouse.sources.registry import Inputs
from warehouse.sources.rmt import ingest_rmt

PATH = FakeRmtApi.PATH
TOKEN = FakeRmtApi.TOKEN
JSON = "application/json"
QUICK = {"page_size": 2, "retries": 2, "backoff": 0.01, "timeout": 2.0}
THREE = [intervention(n, f"2017-10-2{n}T09:00:00Z") for n in range(1, 4)]


# --- the state, and what a fetch left in it ------------------------------------------------

@pytest.fixture
def paths(tmp_path) -> Paths:
    return resolve(tmp_path / "wh" / "spf.duckdb")


@pytest.fixture(autouse=True)
def every_log(caplog):
    caplog.set_level(logging.DEBUG)  # urllib3 logs every URL it asks for at DEBUG


def rows(paths: Paths, sql: str) -> list[tuple]:
    con = duckdb.connect(str(paths.state_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def fetches(paths: Paths) -> dict[str, tuple]:
    """(status, reason_code, reason_message) of each fetch, by origin."""
    return {origin: rest for origin, *rest in rows(
        paths, "select origin, status, reason_code, reason_message from raw.rmt_fetches")}


def recorded(paths: Paths) -> str:
    """Every value of every text column of raw.rmt_fetches and raw.rmt_pages, as stored."""
    con = duckdb.connect(str(paths.state_db), read_only=True)
    try:
        columns = con.execute("""
            select table_name, column_name from information_schema.columns
            where table_schema = 'raw' and table_name in ('rmt_fetches', 'rmt_pages')
              and data_type in ('VARCHAR', 'JSON')""").fetchall()
        assert len(columns) >= 10
        return "\n".join(value for table, column in columns for (value,) in con.execute(
            f'select "{column}"::varchar from raw.{table}').fetchall() if value)
    finally:
        con.close()


def versions(paths: Paths) -> list[str]:
    return [i for (i,) in rows(paths, "select intervention_id from raw.rmt_interventions "
                                      "order by all")]


def archived(paths: Paths, body: bytes) -> Path:
    sha = hashlib.sha256(body).hexdigest()
    return paths.archive / "rmt" / sha[:2] / f"{sha}.json"


@dataclass
class Fetched:
    summary: dict
    raised: FetchFailed | None
    seconds: float


def fetch(paths: Paths, origin: str, token: str = TOKEN, run_id: str = "r1", **options
          ) -> Fetched:
    """One fetch from the API at `origin` through `ingest_rmt`, as a run does it."""
    raised = []

    def fetch_pages(base_url: str, updated_since: str | None) -> list:
        try:
            return rmt_api.fetch_pages(base_url, token, updated_since, **{**QUICK, **options})
        except FetchFailed as failed:
            raised.append(failed)
            raise

    start = time.monotonic()
    summary = ingest_rmt(paths, run_id, Inputs({"rmt_url": origin}, fetch_pages=fetch_pages))
    return Fetched(summary, raised[0] if raised else None, time.monotonic() - start)


def failed(paths: Paths, origin: str, result: Fetched, code: str, says: str,
           bodies: tuple[bytes, ...] = ()) -> str:
    """The fetch failed with `code` and one line saying `says`; nothing loaded; the pages
    received are archived byte for byte; Prefect does not retry it; the run fails at its end.
    Returns the message, as `raw.rmt_fetches` keeps it."""
    [(status, reason, message)] = fetches(paths).values()
    assert (status, reason) == ("failed", code), message
    assert result.summary["counts"] == {"failed": 1}
    assert message == f"{origin}: {result.summary['error']}" and "\n" not in message
    assert says in message
    assert versions(paths) == []
    assert rows(paths, "select count(*) from raw.rmt_pages") == [(len(bodies),)]
    for body in bodies:
        assert archived(paths, body).read_bytes() == body
    assert not is_transient(None, None, Failed(data=result.raised))
    with pytest.raises(RunFailed, match="project reports not loaded: RMT API"):
        pipeline.fail_if_a_source_failed({"rmt": result.summary})
    print(f"\n[{code}] {message}")
    return message


# --- 1. JSON that no parser should be given ------------------------------------------------

def good_page(items: list[dict], number: int, next_page: int | None, total: int = 3) -> bytes:
    return json.dumps({"items": items, "page": number, "page_size": 2, "total": total,
                       "next_page": next_page}).encode()


LAST = good_page(THREE[2:], 2, None)
POISON = {  # a last page (page 2 of 3 interventions) made poisonous, and what is said of it
    "nested-200000-deep": (
        LAST.replace(b'"items": [', b'"items": [' + b"[" * 200_000 + b"]" * 200_000 + b", "),
        "json_too_deep", "the JSON nests arrays and objects more than 64 deep (a page of the "
        "contract needs 7): not parsed"),
    "total-of-5001-digits": (
        LAST.replace(b'"total": 3', b'"total": 3' + b"0" * 5000),
        "number_too_large", "'total' is 300000000000...0000, a number of 5,001 digits; no "
        "number of the contract has more than 20: not parsed"),
    "amount-of-401-digits": (
        LAST.replace(b'"amount_usd": 1200000', b'"amount_usd": 1' + b"0" * 400),
        "number_too_large", "'amount_usd' is 100000000000...0000, a number of 401 digits"),
    "exponent-of-400": (
        LAST.replace(b'"amount_usd": 1200000', b'"amount_usd": 1.2e400'),
        "number_too_large", "'amount_usd' is 1.2e400, a number with an exponent above 20"),
    "nan": (
        LAST.replace(b'"amount_usd": 1200000', b'"amount_usd": NaN'),
        "not_json", "NaN is not a JSON number (RFC 8259)"),
}


def test_the_poison_pages_are_what_they_claim():
    """Checked rather than assumed: Python's own parser fails on each as the issue says,
    and only the poison differs from a good page."""
    deep, total, amount, exponent, nan = (body for body, _, _ in POISON.values())
    with pytest.raises(RecursionError):
        json.loads(deep)
    with pytest.raises(ValueError, match="Exceeds the limit"):
        json.loads(total)
    assert json.loads(amount)["items"][0]["funding"][0]["amount_usd"] == 10 ** 400
    assert json.loads(exponent)["items"][0]["funding"][0]["amount_usd"] == float("inf")
    assert json.loads(LAST)["items"][0]["id"] == "RMT-000003"
    assert json.loads(nan)["items"][0]["funding"][0]["amount_usd"] != 0


@pytest.mark.parametrize("poison", POISON, ids=list(POISON))
def test_a_poison_page_from_the_api_fails_the_fetch_and_is_archived(paths, rmt_api, poison):
    """Page 2 of the API's answer is poison: the fetch fails with the poison's own reason
    (the API answered outside its contract), not retried, both pages archived, nothing
    loaded."""
    body, code, says = POISON[poison]
    first = good_page(THREE[:2], 1, 2)
    rmt_api.script = [Response(first, content_type=JSON), Response(body, content_type=JSON)]

    result = fetch(paths, rmt_api.url)

    message = failed(paths, rmt_api.url, result, code, says, (first, body))
    assert message.startswith(f"{rmt_api.url}: RMT API: page 2 of {rmt_api.url}{PATH}: ")


def test_after_a_poison_page_the_mended_api_loads_everything(paths, rmt_api):
    """The run after a poison page: the mark did not move, so the mended API's pages are all
    asked for again, and load."""
    rmt_api.script = [None, Response(POISON["nested-200000-deep"][0], content_type=JSON)]
    rmt_api.interventions = THREE
    assert fetch(paths, rmt_api.url).summary["counts"] == {"failed": 1}

    again = fetch(paths, rmt_api.url, run_id="r2")

    assert again.summary["counts"] == {"loaded": 1}
    assert versions(paths) == ["RMT-000001", "RMT-000002", "RMT-000003"]
    assert [r.get("updated_since") for r in rmt_api.requests] == [None] * 4


def test_poison_and_out_of_range_pages_reject_their_exports_and_the_good_one_loads(paths,
                                                                                   tmp_path):
    """One export folder per poison, plus numbers the contract's ranges refuse though any
    parser reads them, beside a good export: each bad folder is rejected with its own
    reason, its pages archived and recorded; the good one loads, and no amount is infinite."""
    landing = tmp_path / "rmt"
    exports = {name: (body, code, says) for name, (body, code, says) in POISON.items()}
    exports["amount-over-a-trillion"] = (
        LAST.replace(b'"amount_usd": 1200000', b'"amount_usd": 1.5e15'), "contract_violation",
        "items[0] (RMT-000003) funding[0].amount_usd: 1500000000000000.0: Input should be "
        "less than or equal to 1000000000000")
    exports["persons-over-ten-billion"] = (
        LAST.replace(b'"persons": 910000', b'"persons": 20000000000'), "contract_violation",
        "outcomes[0].impact_history[1].persons: 20000000000: Input should be less than or "
        "equal to 10000000000")
    exports["page-beyond-10000"] = (
        LAST.replace(b'"page": 2', b'"page": 10001'), "contract_violation",
        "page: 10001: Input should be less than or equal to 10000")
    for name, (body, _, _) in exports.items():
        (landing / name).mkdir(parents=True)
        (landing / name / "page-0001.json").write_bytes(good_page(THREE[:2], 1, 2))
        (landing / name / "page-0002.json").write_bytes(body)
    write_export(landing / "zz-good", [intervention(n) for n in (7, 8, 9)])

    summary = ingest_rmt(paths, "r1", Inputs({"rmt_dir": landing}))

    assert summary["counts"] == {"rejected": len(exports), "loaded": 1}
    decided = fetches(paths)
    for name, (body, code, says) in exports.items():
        status, reason, message = decided[name]
        assert (status, reason) == ("rejected", code), message
        assert message.startswith(f"{name}/page-0002.json") and says in message, message
        assert archived(paths, body).read_bytes() == body
        print(f"\n[{code}] {message}")
    assert tuple(decided["zz-good"][:2]) == ("loaded", None)
    assert versions(paths) == ["RMT-000007", "RMT-000008", "RMT-000009"]
    assert rows(paths, "select count(*) from raw.rmt_pages") == [(2 * len(exports) + 2,)]
    assert rows(paths, "select count(*) from raw.rmt_funding where not isfinite(amount_usd) "
                       "or amount_usd > 1e12") == [(0,)]


# --- 3. secrets in every spelling ----------------------------------------------------------

SECRET = "s3cr3t/T0k+en.Q~x_9=="  # an RFC 6750 bearer token, with the characters that escape
USER, PASSWORD = "spf-reader", "p@ss w/rd+1"


def spellings(secret: str) -> dict[str, str]:
    """A secret as servers echo it."""
    quoted = quote(secret, safe="")
    escaped = json.dumps(secret)[1:-1]
    return {
        "raw": secret,
        "json": escaped,
        "json-slash": escaped.replace("/", "\\/"),
        "json-unicode": "".join(f"\\u{ord(c):04x}" for c in secret),
        "json-unicode-upper": "".join(f"\\u{ord(c):04X}" for c in secret),
        "json-some-unicode": "".join(f"\\u{ord(c):04x}" if not c.isalnum() else c
                                     for c in secret),
        "url": quoted,
        "url-lower": re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quoted),
        "url-plus": quote_plus(secret),
        "html": html.escape(secret),
        "html-hex": html.escape(secret).replace("/", "&#x2F;"),
        "html-decimal": "".join(f"&#{ord(c)};" for c in secret),
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64url": base64.urlsafe_b64encode(secret.encode()).decode(),
        "base64-of-bearer": base64.b64encode(f"Bearer {secret}".encode()).decode(),
    }


FORMS = spellings(SECRET)
CREDENTIALS = {**{f"user-{k}": v for k, v in spellings(USER).items()},
               **{f"password-{k}": v for k, v in spellings(PASSWORD).items()},
               **{f"basic-{k}": v for k, v in spellings(f"{USER}:{PASSWORD}").items()}}


def leaked(text: str, forms: dict[str, str]) -> list[str]:
    return [name for name, form in forms.items() if form in text]


@pytest.mark.parametrize("form", FORMS, ids=list(FORMS))
def test_a_token_echoed_in_an_error_body_is_masked_in_every_spelling(httpserver, caplog, form):
    """A 404 whose body echoes the token in one spelling: the message quotes the body with
    the token masked, and no spelling of it is in the exception or the logs."""
    echo = json.dumps({"error": "token " + FORMS[form] + " has no access here"},
                      ensure_ascii=False).replace("\\\\", "\\")
    httpserver.expect_request(PATH).respond_with_data(echo, status=404, content_type=JSON)

    with pytest.raises(FetchFailed) as failure:
        rmt_api.fetch_pages(httpserver.url_for("/"), SECRET, **QUICK)

    assert failure.value.code == "unexpected_status"
    assert re.search(r'failed \(HTTP 404\): \{"error": "token \S*\*\*\*\S* has no access '
                     r'here"\}$', str(failure.value)), str(failure.value)
    assert leaked(str(failure.value) + repr(failure.value) + caplog.text, FORMS) == []


ECHOES = {  # where the token is echoed, and what the message shows of it
    "location": (Response(b"", 302, {"Location": f"/login?next={FORMS['url-lower']}"}),
                 "/login?next=***;"),
    "location-user-info": (Response(b"", 302, {
        "Location": f"http://{FORMS['url']}@sso.example.org/login"}),
        "to http://sso.example.org/login;"),
    "content-type": (Response(page_body(THREE, 1), 200,
                              {"Content-Type": f"text/plain; t={FORMS['json-slash']}"}),
                     "its Content-Type is 'text/plain; t=***'"),
    "html-body": (Response(f"<html><form><input value=\"{FORMS['html-hex']}\">"
                           f"<!-- {FORMS['json-unicode']} --></form></html>", 200,
                           content_type="text/html"),
                  '<html><form><input value="***"><!-- *** --></form></html>'),
}


@pytest.mark.parametrize("where", ECHOES)
def test_a_token_echoed_in_headers_or_a_login_page_is_masked(httpserver, caplog, where):
    """The token, URL-encoded, JSON-escaped or HTML-escaped, in a redirect's Location (its
    query, or its user-info), a Content-Type or a proxy's login page: the message quotes
    each, the token masked (a URL's user-info left out)."""
    reply, shows = ECHOES[where]
    httpserver.expect_request(PATH).respond_with_response(reply)

    with pytest.raises(FetchFailed) as failure:
        rmt_api.fetch_pages(httpserver.url_for("/"), SECRET, **{**QUICK, "retries": 0})

    assert shows in str(failure.value), str(failure.value)
    assert leaked(str(failure.value) + repr(failure.value) + caplog.text, FORMS) == []


class BasicApi:
    """The RMT API behind a user name and password in its URL (`http://user:pass@host`),
    which requests sends as Basic authorization; `echo` makes it answer 404 with the
    credentials it received, and the password in several spellings."""

    def __init__(self, server) -> None:
        self.server, self.echo, self.requests = server, False, []
        server.expect_request(PATH).respond_with_handler(self._handle)
        self.public = server.url_for("/").rstrip("/")
        self.url = self.public.replace("://", f"://{USER}:{quote(PASSWORD, safe='')}@")

    def _handle(self, request: Request) -> Response:
        self.requests.append(request.args.to_dict())
        sent = request.headers.get("Authorization", "")
        if sent != "Basic " + CREDENTIALS["basic-base64"]:
            return Response(b'{"error": "unauthorized"}', status=401)
        if self.echo:
            return Response(json.dumps({"e": f"{sent} {USER} {CREDENTIALS['password-url']} "
                                             f"{CREDENTIALS['password-json-unicode']}"}),
                            status=404, content_type=JSON)
        return Response(page_body(THREE, int(request.args["page"]),
                                  request.args.get("updated_since")), content_type=JSON)


def test_the_user_info_of_the_api_url_is_never_recorded_shown_or_logged(paths, httpserver,
                                                                        caplog):
    """`--rmt-url http://user:pass@host`: the fetch loads and is recorded under the URL
    without its user-info (origin, page URLs), the next fetch finds its high-water mark
    there; when the API echoes the credentials (the Basic header, the password URL-encoded
    and \\u-escaped), the message masks them; no spelling of the token, user name, password
    or `user:pass` is in the state, the summary, the exception or the logs."""
    api = BasicApi(httpserver)

    loaded = fetch(paths, api.url, token=SECRET)
    assert loaded.summary["counts"] == {"loaded": 1}, loaded.summary
    assert [origin for (origin,) in rows(paths, "select origin from raw.rmt_fetches")] == \
        [api.public]
    assert {url.split("?")[0] for (url,) in rows(paths, "select url from raw.rmt_pages")} == \
        {api.public + PATH}

    api.echo = True
    echoed = fetch(paths, api.url, token=SECRET, run_id="r2")
    assert api.requests[-1]["updated_since"] == "2017-10-23T09:00:00Z"  # the mark was found
    [(status, reason, message)] = rows(paths, "select status, reason_code, reason_message "
                                              "from raw.rmt_fetches where run_id = 'r2'")
    assert (status, reason) == ("failed", "unexpected_status")
    assert message == (f"{api.public}: RMT API: page 1 of {api.public}{PATH} failed (HTTP "
                       '404): {"e": "Basic *** *** *** ***"}')
    everything = (recorded(paths) + json.dumps(loaded.summary) + json.dumps(echoed.summary)
                  + str(echoed.raised) + repr(echoed.raised) + caplog.text)
    assert leaked(everything, {**FORMS, **CREDENTIALS}) == []
    assert "@" + api.public.split("://")[1] not in everything


# --- 4a. pages too large to read, folders of too many pages --------------------------------

def test_export_pages_and_folders_too_large_to_read_are_rejected_unread(paths, tmp_path):
    """A 135 MB page file (sparse: it costs no disk), and a folder of 10,001 page files (hard
    links of one: real directory entries, made quickly): their sizes and count are seen
    before anything is read, so the run's memory stays far below the page's size. Each
    export is rejected with its reason, the big page recorded by name and size but not
    archived, nothing of the 10,001 recorded; the next run does not decide them again, and
    loads the good export added beside them."""
    landing = tmp_path / "rmt"
    write_export(landing / "big", THREE)
    with (landing / "big" / "page-0002.json").open("r+b") as grown:
        grown.truncate(135 * 1024 * 1024)
    (landing / "flood").mkdir()
    one = tmp_path / "page.json"
    one.write_bytes(good_page([], 1, None, 0))
    for number in range(1, MAX_PAGES + 2):
        (landing / "flood" / f"page-{number:05d}.json").hardlink_to(one)

    tracemalloc.start()
    try:
        first = ingest_rmt(paths, "r1", Inputs({"rmt_dir": landing}))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < MAX_PAGE_BYTES, f"{peak:,} bytes allocated at the peak"
    assert first["counts"] == {"rejected": 2}
    decided = fetches(paths)
    assert tuple(decided["big"]) == ("rejected", "page_too_large", (
        "big/page-0002.json: the file is 141,557,760 bytes, more than the 52,428,800 (50 MiB) "
        "a page may have: it was neither read nor archived; export pages of at most 500 "
        "interventions"))
    assert tuple(decided["flood"]) == ("rejected", "too_many_pages", (
        "flood: the export folder holds 10001 page files, more than the 10000 one fetch may "
        "have: none was read; split it into folders of at most 10000 pages (of up to 500 "
        "interventions each)"))
    assert rows(paths, "select original_name, size_bytes, archive_path from raw.rmt_pages "
                       "order by all") == [("big/page-0001.json", len(page_body(THREE, 1)),
                                            rows(paths, "select archive_path from raw.rmt_pages "
                                                        "where page is null and archive_path "
                                                        "is not null")[0][0]),
                                           ("big/page-0002.json", 141_557_760, None)]
    assert [f.name for f in (paths.archive / "rmt").rglob("*.json")
            if not f.name.endswith(".meta.json")] == \
        [f"{hashlib.sha256(page_body(THREE, 1)).hexdigest()}.json"]

    write_export(landing / "good", [intervention(n) for n in (7, 8)])
    second = ingest_rmt(paths, "r2", Inputs({"rmt_dir": landing}))

    assert second["counts"] == {"loaded": 1}
    assert versions(paths) == ["RMT-000007", "RMT-000008"]
    for name in ("big", "flood"):
        print(f"\n[{decided[name][1]}] {decided[name][2]}")


# --- 4b. servers too slow to wait for ------------------------------------------------------

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


def trickle(body: bytes, pause: float, count: int | None = None) -> list:
    """The body announced whole, then sent a byte at a time, `pause` s apart."""
    return [http(b"", length=len(body))] + [
        part for byte in body[:count] for part in (bytes([byte]), pause)]


def test_a_trickling_body_is_cut_off_and_its_retries_share_the_page_deadline(paths, raw,
                                                                           caplog):
    """A byte every 0.1 s (the issue's byte every 5 s, faster): the rate check cuts each try
    off once 0.3 s have passed below 1,000 bytes/s, and the tries of the page share one
    deadline (0.8 s here, 120 s unless configured): with 10 retries allowed, three or four
    are made, not eleven. `page_too_slow`, not retried by Prefect."""
    raw.interventions = THREE[:2]
    raw.script = [trickle(raw.body(1, None), 0.1)] * 11

    result = fetch(paths, raw.url, retries=10, page_deadline=0.8, min_rate=1000,
                   rate_grace=0.3)

    failed(paths, raw.url, result, "page_too_slow", "was still sending the body after 0.8 s, "
           "all tries of the page together")
    assert 2 <= len(raw.requests) <= 4 and result.seconds < 2.5, (raw.requests, result)
    assert re.search(r"WARNING .* RMT API page 1 of \S+ sent the body at \d+ bytes/s \(\d+ "
                     r"bytes in 0\.\d s\), slower than the 1000 bytes/s a page must average "
                     r"after 0.3 s; trying again in 0.01 s", caplog.text), caplog.text


def test_a_trickle_cut_off_without_retries_says_how_slow_it_was(raw):
    """No retry left: the trickle's own message, with the rate it came at."""
    raw.interventions = THREE[:2]
    raw.script = [trickle(raw.body(1, None), 0.1)]

    with pytest.raises(FetchFailed) as failure:
        rmt_api.fetch_pages(raw.url, TOKEN, retries=0, min_rate=1000, rate_grace=0.3)

    assert failure.value.code == "page_too_slow" and not failure.value.transient
    assert re.fullmatch(rf"RMT API: page 1 of {raw.url}{PATH} sent the body at \d+ bytes/s "
                        r"\(\d+ bytes in 0\.\d s\), slower than the 1000 bytes/s a page must "
                        r"average after 0.3 s \(after 0 retries\)", str(failure.value)), \
        str(failure.value)


@pytest.mark.parametrize("given", ["parameter", "environment"])
def test_bodies_too_slow_for_each_try_do_not_multiply_the_page_deadline(raw, monkeypatch,
                                                                        given):
    """Each try may take 0.3 s (`page_time_limit`) and is retried when slower; the page's
    deadline (0.7 s, as a parameter or $SPF_RMT_PAGE_DEADLINE) bounds them all: three tries
    at most where eleven were allowed, then `page_too_slow`."""
    raw.interventions = THREE[:2]
    raw.script = [trickle(raw.body(1, None), 0.05)] * 11
    options = {"page_deadline": 0.7} if given == "parameter" else {}
    if given == "environment":
        monkeypatch.setenv("SPF_RMT_PAGE_DEADLINE", "0.7")

    start = time.monotonic()
    with pytest.raises(FetchFailed) as failure:
        rmt_api.fetch_pages(raw.url, TOKEN, retries=10, backoff=0.01, page_time_limit=0.3,
                            min_rate=0, **options)

    assert failure.value.code == "page_too_slow", str(failure.value)
    assert "after 0.7 s, all tries of the page together" in str(failure.value)
    assert "(SPF_RMT_PAGE_DEADLINE): not retried; the next run will try again" in \
        str(failure.value)
    assert len(raw.requests) <= 3 and time.monotonic() - start < 1.5


def test_a_server_trickling_its_headers_is_cut_off_at_the_fetch_deadline(paths, raw):
    """Headers a line every 0.05 s, for ever: no read time-out fires, no body is read, so
    only the fetch's deadline (1 s here, 600 s unless configured) can end it: the
    connection is shut, and the fetch fails as `fetch_too_slow`, within about a second."""
    raw.script = [[b"HTTP/1.1 200 OK\r\n"] + [part for n in range(90)
                                               for part in (b"X-Wait: %d\r\n" % n, 0.05)]]

    result = fetch(paths, raw.url, fetch_deadline=1)

    failed(paths, raw.url, result, "fetch_too_slow", f"page 1 of {raw.url}{PATH} was cut off: "
           "the fetch took longer than its deadline of 1 s (SPF_RMT_FETCH_DEADLINE), 0 pages "
           "received before: not retried; the next run will try again")
    assert result.seconds < 2.5


def test_slow_pages_that_add_up_past_the_fetch_deadline_fail_the_fetch(paths, raw):
    """Page 1 takes 0.4 s, page 2 would take 0.9 s, each well within its own deadline; the
    fetch may take 0.8 s: page 2 is cut off, page 1 is archived, nothing loads."""
    raw.interventions = THREE
    raw.script = [[http(b"", length=len(body))] + [part for n in range(0, len(body), size)
                                                   for part in (0.08, body[n:n + size])]
                  for body, size in ((raw.body(1, None), 500), (raw.body(2, None), 100))]

    result = fetch(paths, raw.url, fetch_deadline=0.8)

    failed(paths, raw.url, result, "fetch_too_slow", "page 2 of", (raw.body(1, None),))
    assert "1 page received before" in result.raised.args[0]
    assert result.seconds < 2.5


def test_a_retry_after_that_would_end_past_the_fetch_deadline_fails_at_once(httpserver):
    """A 503 asking to wait 3 s, within the 300 s a run waits, but the fetch has 1.5 s:
    waiting is pointless, so it stops at once (`fetch_too_slow`)."""
    httpserver.expect_request(PATH).respond_with_data("busy", 503, {"Retry-After": "3"})

    start = time.monotonic()
    with pytest.raises(FetchFailed) as failure:
        rmt_api.fetch_pages(httpserver.url_for("/"), TOKEN, fetch_deadline=1.5)

    assert failure.value.code == "fetch_too_slow" and time.monotonic() - start < 0.5
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("value", ["soon", "0", "-5", "inf"])
def test_a_deadline_setting_that_is_not_a_number_of_seconds_fails_clearly(httpserver,
                                                                         monkeypatch, value):
    monkeypatch.setenv("SPF_RMT_FETCH_DEADLINE", value)

    with pytest.raises(FetchFailed) as failure:
        rmt_api.fetch_pages(httpserver.url_for("/"), TOKEN)

    assert failure.value.code == "bad_setting" and not failure.value.transient
    assert str(failure.value) == (f"RMT API: SPF_RMT_FETCH_DEADLINE is {value!r}, not a "
                                  "number of seconds above 0: set it to one (e.g. 600) or "
                                  "unset it")
    assert httpserver.log == []
