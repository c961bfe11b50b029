"""HTTP client for the Results Monitoring Tool API: every page of interventions, all or nothing.

Page bodies are kept byte for byte so the caller can land them as snapshots. What the
contract says of the answer is checked here: the status, the body's type, size and
encoding, the page envelope, and how the pages fit together (page numbers, `next_page`,
`total`, one content per version); the interventions inside are validated by the caller.

An answer other than the contract is the API failing, not bad data: `FetchFailed`, whose
`code` is the reason recorded for the fetch and whose `transient` says whether trying again
later could help. Transient failures are retried here first: urllib3's `Retry` for statuses,
connections and time-outs before the headers, this module for a body cut short or too slow.
Every message and log line goes through one `Scrubber` (ingest/redaction.py): the bearer
token, and the user-info of `base_url`, never reach them in any spelling, and no URL shown
or recorded carries user-info. The token goes only to `base_url`: redirects are not followed.

Time is bounded three ways: `timeout` for each wait on the server; a page deadline for all
tries of one page's body, with a body trickling slower than a minimum rate cut off early;
and a fetch deadline for the whole fetch, which also cuts a connection that trickles its
headers (each byte would reset the read time-out).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import socket
import threading
import time
import weakref
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.client import IncompleteRead as HttpIncompleteRead
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    IncompleteRead,
    InvalidHeader,
    MaxRetryError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util import Retry

from ingest.redaction import Scrubber, public_url
from ingest.rmt_contract import MAX_PAGE_SIZE, MAX_TOTAL, Unreadable, load_json
from ingest.rmt_landing import MAX_PAGE_BYTES, MAX_PAGES, FetchedPage, FetchFailed

log = logging.getLogger(__name__)

ENDPOINT = "/api/v1/interventions"
TOKEN_ENV = "SPF_RMT_TOKEN"
BLOCK_ENV = "SPF_RMT_TOKEN_BLOCK"
DEFAULT_BLOCK = "spf-rmt-token"
# 429 and every 5xx are transient (the contract); they are retried with backoff.
RETRY_STATUSES = frozenset({429, *range(500, 600)})
# Exponential backoff stops growing here. A server's Retry-After is obeyed up to
# RETRY_AFTER_MAX seconds; a longer one fails the fetch at once (`wait_too_long`) rather
# than hold the nightly for hours (urllib3 would wait up to 6 hours per attempt).
BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 300
PAGE_TIME_LIMIT = 600.0  # seconds for a page body to arrive once its headers have (each try)
PAGE_DEADLINE = 120.0  # seconds for the body of one page, all its tries together
FETCH_DEADLINE = 600.0  # seconds for a whole fetch, every page, wait and retry included
PAGE_DEADLINE_ENV = "SPF_RMT_PAGE_DEADLINE"
FETCH_DEADLINE_ENV = "SPF_RMT_FETCH_DEADLINE"
MIN_RATE = 1024.0  # bytes a second a body must average, once it has taken RATE_GRACE seconds
RATE_GRACE = 30.0
EXCERPT_CHARS = 200
_CHUNK = 64 * 1024


class AuthFailed(FetchFailed):
    """The API refused the token (401/403), or no token is configured."""

    code = "auth_failed"
    transient = False


class BadPage(FetchFailed):
    """A 200 whose body is not a page of the contract, or does not fit the pages before it."""

    code = "bad_envelope"
    transient = False


class _Failure(Exception):
    """Why a page could not be had, without the token; fetch_pages turns it into FetchFailed.

    `again`: worth asking for the same page again at once (a body cut short or too slow).
    """

    def __init__(self, code: str, text: str, transient: bool = False,
                 kind: type[FetchFailed] = FetchFailed, again: bool = False) -> None:
        super().__init__(text)
        self.code, self.text, self.transient, self.kind, self.again = \
            code, text, transient, kind, again
        self.received: FetchedPage | None = None  # a body that came but could not be read


def _bad(code: str, text: str, transient: bool = False) -> _Failure:
    return _Failure(code, text, transient, BadPage)


def block_name() -> str:
    """The Prefect Secret block that holds the token when the environment does not."""
    return os.environ.get(BLOCK_ENV) or DEFAULT_BLOCK


def token_help() -> str:
    """Where a token may come from, for messages."""
    return (f"set {TOKEN_ENV}, or store the token in the Prefect Secret block "
            f"{block_name()!r} (block name from {BLOCK_ENV})")


def token_from_environment() -> str | None:
    """The bearer token of $SPF_RMT_TOKEN, if set (the flows also look in a Secret block)."""
    return os.environ.get(TOKEN_ENV, "").strip() or None


class _Retry(Retry):
    """urllib3's `Retry`, except that it gives up at once, rather than sleep, when a server
    asks to wait more than `max_wait` seconds, and takes a Retry-After it cannot read (neither
    seconds nor an HTTP date) as absent: the backoff applies."""

    max_wait: float = RETRY_AFTER_MAX
    clock: _Clock | None = None

    def new(self, **kw) -> _Retry:
        retry = super().new(**kw)
        retry.max_wait, retry.clock = self.max_wait, self.clock
        return retry

    def sleep(self, response=None) -> None:
        """Wait as urllib3 would, unless the wait would end past the fetch's deadline:
        then give up at once (the fetch fails as `fetch_too_slow`)."""
        wait = self.get_retry_after(response) if response is not None and \
            self.respect_retry_after_header else None
        wait = wait or self.get_backoff_time()
        if self.clock is not None and wait >= self.clock.left():
            self.clock.stopped = True
            raise MaxRetryError(None, "", ResponseError("the fetch's deadline would pass"))
        if wait > 0:
            time.sleep(wait)

    def get_retry_after(self, response) -> float | None:
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            return None

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None) -> _Retry:
        if response is not None and (self.get_retry_after(response) or 0) > self.max_wait:
            # With raise_on_status off, urllib3 hands this response back: fetch_pages says why.
            raise MaxRetryError(_pool, url, ResponseError("Retry-After too long"))
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _retry_policy(retries: int, backoff: float, max_wait: float, clock: _Clock | None = None
                  ) -> _Retry:
    """GET-only retries of connection errors, read timeouts and transient statuses.

    `other=0`: TLS and proxy errors are configuration problems, not worth retrying.
    `redirect=0`: redirects are not followed (requests is told so too); the token stays home.
    `raise_on_status=False`: the last response comes back, so its status can be reported.
    `retry_after_max` is left high: `max_wait` decides, and fails instead of capping.
    """
    retry = _Retry(
        total=retries,
        other=0,
        redirect=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff,
        backoff_max=BACKOFF_MAX,
        respect_retry_after_header=True,
        retry_after_max=10**9,
        raise_on_status=False,
    )
    retry.max_wait, retry.clock = max_wait, clock
    return retry


class _Clock:
    """The deadlines of one fetch: for the whole of it, and for the bodies of its current
    page (time spent receiving them, all tries together)."""

    def __init__(self, fetch_deadline: float, page_deadline: float) -> None:
        self.fetch_deadline, self.page_deadline = fetch_deadline, page_deadline
        self.ends = time.monotonic() + fetch_deadline
        self.page_spent = 0.0
        self.stopped = False  # a wait was refused: it would have ended past the deadline

    def left(self) -> float:
        return self.ends - time.monotonic()


class _Watch:
    """The connections of one fetch, shut when its deadline passes: a server sending its
    headers a byte at a time is never timed out otherwise, each byte resetting the read
    time-out."""

    def __init__(self) -> None:
        self.connections: weakref.WeakSet = weakref.WeakSet()
        self.cut = False
        self._lock = threading.Lock()

    def add(self, connection) -> None:
        with self._lock:
            self.connections.add(connection)
        if self.cut:
            self._shut(connection)

    def stop(self) -> None:
        self.cut = True
        with self._lock:
            connections = list(self.connections)
        for connection in connections:
            self._shut(connection)

    @staticmethod
    def _shut(connection) -> None:
        sock = getattr(connection, "sock", None)
        try:
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


def _watched(watch: _Watch) -> dict[str, type]:
    """urllib3's connection pools for http and https, their connections added to `watch`."""
    def connection(base: type) -> type:
        class Watched(base):
            def connect(self) -> None:
                super().connect()
                watch.add(self)
        return Watched

    return {"http": type("WatchedPool", (HTTPConnectionPool,),
                         {"ConnectionCls": connection(HTTPConnection)}),
            "https": type("WatchedPool", (HTTPSConnectionPool,),
                          {"ConnectionCls": connection(HTTPSConnection)})}


class _Adapter(HTTPAdapter):
    """requests' transport, every connection it opens (direct or by an HTTP proxy) watched."""

    def __init__(self, watch: _Watch, **kwargs) -> None:
        self.watch = watch
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _watched(self.watch)

    def proxy_manager_for(self, proxy: str, **kwargs):
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _watched(self.watch)
        return manager


def _excerpt(body: bytes, scrub: Scrubber, cut_off: bool = False) -> str:
    """The start of a body for a message, scrubbed; `cut_off`: more of it followed."""
    window = body[:EXCERPT_CHARS * 4 + scrub.reach]
    text = scrub.cut(window.decode("utf-8", errors="replace"),
                     cut_off or len(body) > len(window))
    return text[:EXCERPT_CHARS] + ("..." if len(text) > EXCERPT_CHARS else "")


def _request_error(exc: requests.RequestException, retries: int) -> str:
    """What went wrong in a request that produced no response, in a few words."""
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, MaxRetryError):
        reason = inner.reason
        detail = f"{type(reason).__name__}: {reason}"
        if isinstance(reason, (ConnectTimeoutError, ReadTimeoutError, ProtocolError)):
            return f"failed after {retries} retries ({detail})"
        return f"failed ({detail})"
    return f"failed ({type(exc).__name__}: {exc})"


def _page_overran(clock: _Clock, detail: str) -> _Failure:
    """The bodies of a page took longer than the page's deadline, all tries together."""
    return _Failure("page_too_slow", (
        f"was still sending the body after {clock.page_deadline:g} s, all tries of the page "
        f"together ({detail}), more than a page may take ({PAGE_DEADLINE_ENV}): not "
        "retried; the next run will try again"))


@dataclass(frozen=True)
class _Pace:
    """How long one try of a body may take (`time_limit`), wait for each read (`timeout`),
    and how slowly it may trickle (`min_rate` bytes/s, once `grace` seconds have passed)."""

    time_limit: float
    timeout: float
    min_rate: float
    grace: float


def _read_body(raw, limit: int, pace: _Pace, clock: _Clock) -> bytes:
    """The body as received (still encoded), read as it arrives: never more than `limit`
    bytes in memory, never longer than `pace` and `clock` allow; _Failure saying what went
    wrong."""
    declared = raw.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise _bad("page_too_large", f"the body is {int(declared)} bytes (Content-Length), more "
                   f"than the {limit} a page may have; nothing of it was read")
    start = time.monotonic()
    try_ends = start + pace.time_limit
    page_ends = start + clock.page_deadline - clock.page_spent
    body = bytearray()
    problem = None
    try:
        while True:
            chunk = raw.read1(_CHUNK, decode_content=False)
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > limit:
                raise _bad("page_too_large", f"the body is more than the {limit} bytes a page "
                           "may have; reading stopped there")
            now = time.monotonic()
            if now > clock.ends:  # fetch_pages says how far the fetch got
                raise _Failure("fetch_too_slow", "", True)
            if now > page_ends:
                raise _page_overran(clock, f"{len(body)} bytes in")
            if now > try_ends:
                raise _Failure("fetch_failed", f"was still sending the body after "
                               f"{pace.time_limit:g} s, {len(body)} bytes in", True, again=True)
            if now - start > pace.grace and len(body) < pace.min_rate * (now - start):
                raise _Failure("page_too_slow", (
                    f"sent the body at {len(body) / (now - start):.0f} bytes/s ({len(body)} "
                    f"bytes in {now - start:.1f} s), slower than the {pace.min_rate:g} bytes/s "
                    f"a page must average after {pace.grace:g} s"), again=True)
    except ReadTimeoutError:
        problem = (f"stopped sending the body: nothing for {pace.timeout:g} s after "
                   f"{len(body)} bytes")
    except ProtocolError as exc:
        inner = exc.args[1] if len(exc.args) > 1 else None
        if isinstance(inner, IncompleteRead | HttpIncompleteRead) and declared.isdigit():
            problem = (f"sent a body cut short: the connection closed after {len(body)} of "
                       f"{declared} bytes (Content-Length)")
        elif isinstance(inner, IncompleteRead | HttpIncompleteRead):
            problem = (f"sent a body cut short: the connection closed after {len(body)} bytes, "
                       "before the last chunk")
        else:
            problem = f"broke the connection after {len(body)} bytes of the body ({exc})"
    except (HTTPError, OSError) as exc:
        problem = (f"broke the connection after {len(body)} bytes of the body "
                   f"({type(exc).__name__}: {exc})")
    finally:
        clock.page_spent += time.monotonic() - start
    raise _Failure("fetch_failed", problem, True, again=True)


def _decode(body: bytes, encoding: str, limit: int) -> bytes:
    """The body without its Content-Encoding (only gzip is asked for), at most `limit` bytes."""
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip"):
        raise _bad("bad_encoding", f"the body is encoded {encoding!r} (Content-Encoding), "
                   "which was not asked for (Accept-Encoding: gzip)")
    decoded, rest = bytearray(), body
    try:
        while rest:  # one gzip member after another
            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
            decoded += inflate.decompress(rest, limit + 1 - len(decoded))
            if len(decoded) > limit:
                raise _bad("page_too_large", f"the body decompresses to more than the {limit} "
                           f"bytes a page may have ({len(body)} bytes gzip-encoded)")
            if not inflate.eof:
                raise zlib.error("the gzip stream ends before its end")
            rest = inflate.unused_data
    except zlib.error as exc:
        raise _bad("bad_encoding", f"the body is not valid gzip (Content-Encoding: gzip; "
                   f"{len(body)} bytes): {exc}") from None
    return bytes(decoded)


def _is_json_type(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


class _Pages:
    """What the pages of one fetch said so far, to check each new one against them."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.items = 0
        self.ids: set[str] = set()
        self.versions: dict[tuple[str, str], tuple[str, int, int]] = {}

    def check(self, body: bytes, page: int, content_type: str, scrub: Scrubber
              ) -> tuple[int, int | None]:
        """Item count and next page number of a page that fits; _Failure saying why not."""
        doc = _parse_json(body, content_type, scrub)
        if not _is_json_type(content_type):
            label = (f"its Content-Type is {scrub(content_type)[:EXCERPT_CHARS]!r}"
                     if content_type.strip() else "it has no Content-Type")
            raise _bad("wrong_content_type", f"the body is JSON but {label}, not "
                       "application/json")
        if not isinstance(doc, dict):
            raise _bad("bad_envelope", f"body is a JSON {type(doc).__name__}, not a page object")
        items = doc.get("items")
        if not isinstance(items, list):
            raise _bad("bad_envelope", "'items' is missing or not a list")
        got = doc.get("page")
        if isinstance(got, bool) or got != page:
            raise _bad("wrong_page", f"'page' is {got!r}, expected {page}")
        next_page = self._next_page(doc, page, items)
        self._add_items(items, page)
        self._check_total(doc, page, next_page)
        return len(items), next_page

    @staticmethod
    def _next_page(doc: dict, page: int, items: list) -> int | None:
        next_page = doc.get("next_page", "missing")
        expected = f"expected {page + 1} or null"
        if next_page is None:
            return None
        if isinstance(next_page, bool) or not isinstance(next_page, int):
            raise _bad("bad_envelope", f"'next_page' is {next_page!r}, {expected}")
        if next_page <= page:
            raise _bad("pagination_loop", f"'next_page' is {next_page}, {expected}: page "
                       f"{next_page} again, a pagination loop")
        if next_page > page + 1:
            raise _bad("pagination_gap", f"'next_page' is {next_page}, {expected}: "
                       + (f"page {page + 1} would be skipped" if next_page == page + 2 else
                          f"pages {page + 1} to {next_page - 1} would be skipped"))
        if not items:
            raise _bad("empty_page", f"'items' is empty but 'next_page' is {next_page}: an "
                       "empty page before the last, the API would page on without end")
        if next_page > MAX_PAGES:
            raise _bad("pagination_loop", f"'next_page' is {next_page}: more pages than the "
                       f"{MAX_PAGES} a fetch may have")
        return next_page

    def _add_items(self, items: list, page: int) -> None:
        """One content per version (id, updated_at) in the fetch; the same twice is fine."""
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or \
                    not isinstance(item.get("updated_at"), str):
                continue  # the contract check names it
            key = (item["id"], _instant(item["updated_at"]))
            content = hashlib.sha256(json.dumps(item, sort_keys=True, ensure_ascii=False)
                                     .encode()).hexdigest()
            seen = self.versions.setdefault(key, (content, page, index))
            if seen[0] != content:
                raise _bad("conflicting_version", (
                    f"items[{index}] ({item['id']}) has the same 'updated_at' "
                    f"({item['updated_at']}) as items[{seen[2]}] of page {seen[1]} but other "
                    "content: the API changed the intervention without a new updated_at"),
                    transient=True)
        self.items += len(items)
        self.ids.update(i["id"] for i in items if isinstance(i, dict)
                        and isinstance(i.get("id"), str))

    def _check_total(self, doc: dict, page: int, next_page: int | None) -> None:
        """`total` (when given) the same on every page, and the number of interventions."""
        if "total" not in doc or doc["total"] is None:
            return
        total = doc["total"]
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise _bad("bad_envelope", f"'total' is {total!r}, expected the number of "
                       "interventions")
        if total > MAX_TOTAL:
            raise _bad("bad_envelope", f"'total' is {total}, more than the {MAX_TOTAL} "
                       f"interventions a fetch may have ({MAX_PAGES} pages of {MAX_PAGE_SIZE})")
        if self.total is None:
            self.total = total
        elif total != self.total:
            raise _bad("total_mismatch", f"'total' is {total}, but page 1 said {self.total}: "
                       "the interventions changed during the fetch", transient=True)
        held = (f"the {page} pages held" if page > 1 else "the page held") + \
            f" {len(self.ids)} intervention{'s' if len(self.ids) != 1 else ''}" + \
            (f" ({self.items} items, some repeated)" if self.items != len(self.ids) else "")
        if next_page is None and len(self.ids) != total:
            raise _bad("total_mismatch", f"'total' is {total} but {held}", transient=True)
        if next_page is not None and len(self.ids) >= total:
            raise _bad("total_mismatch", f"'total' is {total} but {held} and 'next_page' is "
                       f"{next_page}", transient=True)


def _parse_json(body: bytes, content_type: str, scrub: Scrubber):
    """The body's JSON, read only once it is known to be bounded (`load_json`)."""
    if not body.strip():
        raise _bad("not_json", "the body is empty, not a page")
    media = content_type.split(";")[0].strip().lower()
    if body.lstrip()[:1] == b"<":  # never JSON, and no page's bounds: say what it is
        error = None
    else:
        try:
            return load_json(body)
        except Unreadable as unreadable:
            raise _bad(unreadable.code, unreadable.text) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            error = exc
    if error is None or "html" in media:
        raise _bad("not_json", f"the body is HTML, not JSON (Content-Type "
                   f"{scrub(content_type)[:EXCERPT_CHARS]!r}), as from a proxy or a "
                   f"login page: {_excerpt(body, scrub)}")
    if isinstance(error, UnicodeDecodeError):
        raise _bad("not_json", f"body is not valid JSON (not UTF-8: {error.reason} at byte "
                   f"{error.start})")
    raise _bad("not_json", f"body is not valid JSON ({error.msg}: line {error.lineno} "
               f"column {error.colno})")


def _instant(stamp: str) -> str:
    """An updated_at as a UTC instant, so that two spellings of one time are one version."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.astimezone(UTC).isoformat() if moment.tzinfo else stamp


@dataclass(frozen=True)
class _Answer:
    url: str
    content_type: str
    body: bytes
    retried: int  # by urllib3 (statuses, connections, time-outs) and here (bodies)


def _get(http: requests.Session, endpoint: str, page: int, params: dict, headers: dict,
         scrub: Scrubber, shown_url: str, *, retries: int, policy: _Retry,
         max_page_bytes: int, pace: _Pace, clock: _Clock) -> _Answer:
    """One page as a 200 with its body whole; _Failure saying why not."""
    try:
        response = http.get(endpoint, params=params, headers=headers, timeout=pace.timeout,
                            stream=True, allow_redirects=False)
    except requests.RequestException as exc:
        failure = scrub(_request_error(exc, retries))
    else:
        failure = None
    if failure is not None:  # outside the handler: requests exceptions hold the headers
        raise _Failure("fetch_failed", failure, True)
    try:
        status, raw = response.status_code, response.raw
        retried = getattr(raw, "retries", None)
        history = len(retried.history) if retried is not None else 0
        if status in (401, 403):
            raise _Failure("auth_failed", f"refused the token (HTTP {status})", kind=AuthFailed)
        location = response.headers.get("Location")
        if 300 <= status < 400 and location:
            target = scrub(urljoin(response.url, location))[:EXCERPT_CHARS]
            raise _Failure("redirected", f"was redirected (HTTP {status}) to {target}; "
                           f"redirects are not followed, so the token goes only to "
                           f"{shown_url}: set the RMT API URL to where the API answers")
        if status in RETRY_STATUSES:
            wait = policy.get_retry_after(raw)
            if wait is not None and wait > policy.max_wait:
                header = scrub(response.headers.get("Retry-After", ""))[:60]
                raise _Failure("wait_too_long", (
                    f"answered HTTP {status} asking to wait {wait:.0f} s (Retry-After: "
                    f"{header}), more than the {policy.max_wait:g} s a run waits: not "
                    "retried; the next run will try again"))
            raise _Failure("fetch_failed", f"failed after {history} retries (HTTP {status})",
                           True)
        if status != 200:
            excerpt = _error_excerpt(raw, scrub)
            raise _Failure("unexpected_status", f"failed (HTTP {status})"
                           + (f": {excerpt}" if excerpt else ""))
        received = _read_body(raw, max_page_bytes, pace, clock)
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        url = public_url(response.url)
        try:
            body = _decode(received, encoding, max_page_bytes)
        except _Failure as bad:  # the body as it came, kept for inspection
            bad.received = FetchedPage(page, url, received, _now())
            raise
        return _Answer(url, response.headers.get("Content-Type", ""), body, history)
    finally:
        response.close()


def _error_excerpt(raw, scrub: Scrubber) -> str:
    """The start of an error body, for the message; never more than a few kilobytes read."""
    wanted = EXCERPT_CHARS * 4 + scrub.reach
    try:
        start = raw.read(wanted, decode_content=True) or b""
    except (HTTPError, OSError):
        return ""
    return _excerpt(start, scrub, cut_off=len(start) >= wanted)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _seconds(given: float | None, variable: str, default: float) -> float:
    """A deadline: as given, else from the environment, else the default; FetchFailed
    (`bad_setting`) when it is not a positive number of seconds."""
    value: object = given if given is not None else os.environ.get(variable, "").strip() or default
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except ValueError:
        seconds = math.nan
    if not seconds > 0 or math.isinf(seconds):
        raise FetchFailed(f"RMT API: {variable} is {str(value)[:40]!r}, not a number of seconds "
                          f"above 0: set it to one (e.g. {default:g}) or unset it",
                          code="bad_setting", transient=False)
    return seconds


def fetch_pages(base_url: str, token: str, updated_since: str | None = None, *,
                page_size: int = 500, timeout: float = 30.0, retries: int = 5,
                backoff: float = 1.0, session: requests.Session | None = None,
                max_wait: float = RETRY_AFTER_MAX, max_page_bytes: int = MAX_PAGE_BYTES,
                page_time_limit: float = PAGE_TIME_LIMIT, page_deadline: float | None = None,
                fetch_deadline: float | None = None, min_rate: float = MIN_RATE,
                rate_grace: float = RATE_GRACE) -> list[FetchedPage]:
    """Every page of GET {base_url}/api/v1/interventions?updated_since=..&page=n&page_size=k,
    following next_page until it is null; all or nothing: raises FetchFailed if any page fails
    for good, or if the pages do not fit together.

    `timeout` bounds each wait for the server (connect, headers, each read of the body);
    `page_time_limit` each try of a body, and `max_page_bytes` its size; a Retry-After above
    `max_wait` seconds fails at once. `page_deadline` (default $SPF_RMT_PAGE_DEADLINE, else
    PAGE_DEADLINE) bounds the time spent receiving one page's body, all tries together, and
    a body slower than `min_rate` bytes/s after `rate_grace` s is cut off as a trickle;
    `fetch_deadline` (default $SPF_RMT_FETCH_DEADLINE, else FETCH_DEADLINE) the whole fetch.
    A given `session` is used for its transport settings; the retrying adapter is mounted on
    it for `base_url`. The user-info of `base_url` is used for the request only: it is
    scrubbed, like the token, from every message, and absent from every URL returned.
    """
    if not token or not token.isascii() or not token.isprintable() or " " in token:
        raise AuthFailed(f"RMT API token is empty or has spaces or control characters; "
                         f"{token_help()}")
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    clock = _Clock(_seconds(fetch_deadline, FETCH_DEADLINE_ENV, FETCH_DEADLINE),
                   _seconds(page_deadline, PAGE_DEADLINE_ENV, PAGE_DEADLINE))
    scrub = Scrubber([token], url=base_url)
    endpoint = base_url.rstrip("/") + ENDPOINT
    shown = public_url(endpoint)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
               "Accept-Encoding": "gzip"}
    params: dict[str, str | int] = {"page_size": min(page_size, MAX_PAGE_SIZE)}
    if updated_since is not None:
        params["updated_since"] = updated_since

    own_session = session is None
    http = session if session is not None else requests.Session()
    policy = _retry_policy(retries, backoff, max_wait, clock)
    watch = _Watch()
    http.mount(base_url.rstrip("/") + "/", _Adapter(watch, max_retries=policy))
    timer = threading.Timer(clock.fetch_deadline, watch.stop)
    timer.daemon = True
    timer.start()
    pages: list[FetchedPage] = []
    seen = _Pages()
    page: int | None = 1

    def overran() -> _Failure:
        """The fetch's deadline passed, or a wait would have ended past it."""
        return _Failure("fetch_too_slow", (
            f"was cut off: the fetch took longer than its deadline of "
            f"{clock.fetch_deadline:g} s ({FETCH_DEADLINE_ENV}), {len(pages)} "
            f"page{'s' if len(pages) != 1 else ''} received before: not retried; the next "
            "run will try again"))

    try:
        while page is not None:
            where = f"page {page} of {shown}"
            answer, failure = None, None
            clock.page_spent = 0.0
            pace = _Pace(page_time_limit, timeout, min_rate, rate_grace)
            for attempt in range(retries + 1):  # urllib3 retries statuses; bodies are retried here
                if clock.left() <= 0:
                    failure = overran()
                    break
                try:
                    answer = _get(http, endpoint, page, {**params, "page": page}, headers, scrub,
                                  public_url(base_url), retries=retries, policy=policy,
                                  max_page_bytes=max_page_bytes, clock=clock,
                                  pace=replace(pace, timeout=min(timeout, clock.left())))
                except _Failure as failed:
                    failure = failed
                else:
                    answer, failure = replace(answer, retried=answer.retried + attempt), None
                    if watch.cut:  # an answer cut short by the deadline may look complete
                        failure = overran()
                    break
                if failure.code == "fetch_too_slow" or (failure.transient and (
                        watch.cut or clock.stopped or clock.left() <= 0)):
                    failure = overran()
                    break
                if not failure.again or attempt == retries:
                    break
                if clock.page_spent >= clock.page_deadline:
                    failure = _page_overran(clock, f"{attempt + 1} tries")
                    break
                delay = min(backoff * 2 ** attempt, BACKOFF_MAX)
                if delay >= clock.left():
                    failure = overran()
                    break
                log.warning("%s", scrub(f"RMT API {where} {failure.text}; trying again in "
                                        f"{delay:.2f} s"))
                time.sleep(delay)
            if failure is not None:  # raised outside the handler: no exception chain
                raise _failed(failure, where, pages, retries, scrub)

            pages.append(FetchedPage(page=page, url=answer.url, body=answer.body,
                                     fetched_at=_now()))
            try:
                count, next_page = seen.check(answer.body, page, answer.content_type, scrub)
            except _Failure as failed:
                failure = failed
            if failure is not None:
                raise _failed(failure, where, pages, retries, scrub)
            log.info("RMT API page %d: %d items, %d bytes%s", page, count, len(answer.body),
                     f" (after {answer.retried} retries)" if answer.retried else "")
            page = next_page
    finally:
        timer.cancel()
        if own_session:
            http.close()
    return pages


def _failed(failure: _Failure, where: str, pages: list[FetchedPage], retries: int,
            scrub: Scrubber) -> FetchFailed:
    """The FetchFailed for a _Failure (raised by the caller outside any handler)."""
    if failure.received is not None:
        pages = [*pages, failure.received]
    text = failure.text + (f" (after {retries} retries)" if failure.again else "")
    if failure.kind is AuthFailed:
        message = (f"RMT API {text}: check {TOKEN_ENV} or the Prefect Secret block "
                   f"{block_name()!r} ({where})")
    elif failure.kind is BadPage:
        message = f"RMT API: {where}: {text}"
    else:
        message = f"RMT API: {where} {text}"
    return failure.kind(scrub(message), pages, failure.code, failure.transient)
