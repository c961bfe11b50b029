"""HTTP client for the Results Monitoring Tool API: every page of interventions, all or nothing.

Page bodies are kept byte for byte so the caller can land them as snapshots. What the
contract says of the answer is checked here: the status, the body's type, size and
encoding, the page envelope, and how the pages fit together (page numbers, `next_page`,
`total`, one content per version); the interventions inside are validated by the caller.

An answer other than the contract is the API failing, not bad data: `FetchFailed`, whose
`code` is the reason recorded for the fetch and whose `transient` says whether trying again
later could help. Transient failures are retried here first: urllib3's `Retry` for statuses,
connections and time-outs before the headers, this module for a body cut short or too slow.
The bearer token never reaches a message or a log, and goes only to `base_url`: redirects are
not followed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.client import IncompleteRead as HttpIncompleteRead
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
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

from ingest.rmt_contract import MAX_PAGE_SIZE

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
MAX_PAGE_BYTES = 50 * 1024 * 1024  # a page body, as received and once decompressed
PAGE_TIME_LIMIT = 600.0  # seconds for a page body to arrive once its headers have
MAX_PAGES = 10_000  # a fetch that needs more is paging without end (500 items a page)
EXCERPT_CHARS = 200
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchedPage:
    """One page body as received, with where and when it came from."""

    page: int
    url: str
    body: bytes
    fetched_at: str


class FetchFailed(RuntimeError):
    """The fetch failed for good; the message is one line an operator can act on, never the token.

    `pages` holds every body received before the failure (including a bad body), so the caller
    can archive them for inspection. `code` is the reason recorded for the fetch; `transient`
    says whether the same fetch a little later could succeed (Prefect retries only those).
    """

    code = "fetch_failed"
    transient = True

    def __init__(self, message: str, pages: list[FetchedPage] | None = None,
                 code: str | None = None, transient: bool | None = None) -> None:
        super().__init__(message)
        self.pages: list[FetchedPage] = list(pages or [])
        if code is not None:
            self.code = code
        if transient is not None:
            self.transient = transient

    def __reduce__(self):
        return type(self), (self.args[0], self.pages, self.code, self.transient)


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

    def new(self, **kw) -> _Retry:
        retry = super().new(**kw)
        retry.max_wait = self.max_wait
        return retry

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


def _retry_policy(retries: int, backoff: float, max_wait: float) -> _Retry:
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
    retry.max_wait = max_wait
    return retry


def _scrub(text: str, token: str) -> str:
    """One line with no trace of the token (a server may echo it in an error body)."""
    return " ".join(text.replace(token, "***").split())


def _excerpt(body: bytes, token: str) -> str:
    text = _scrub(body[:EXCERPT_CHARS * 4].decode("utf-8", errors="replace"), token)
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


def _read_body(raw, limit: int, time_limit: float, timeout: float) -> bytes:
    """The body as received (still encoded), read as it arrives: never more than `limit`
    bytes in memory, never longer than `time_limit` seconds; _Failure saying what went wrong."""
    declared = raw.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise _bad("page_too_large", f"the body is {int(declared)} bytes (Content-Length), more "
                   f"than the {limit} a page may have; nothing of it was read")
    deadline = time.monotonic() + time_limit
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
            if time.monotonic() > deadline:
                raise _Failure("fetch_failed", f"was still sending the body after "
                               f"{time_limit:g} s, {len(body)} bytes in", True, again=True)
    except ReadTimeoutError:
        problem = f"stopped sending the body: nothing for {timeout:g} s after {len(body)} bytes"
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

    def check(self, body: bytes, page: int, content_type: str, token: str
              ) -> tuple[int, int | None]:
        """Item count and next page number of a page that fits; _Failure saying why not."""
        doc = _parse_json(body, content_type, token)
        if not _is_json_type(content_type):
            label = (f"its Content-Type is {_scrub(content_type, token)[:EXCERPT_CHARS]!r}"
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


def _parse_json(body: bytes, content_type: str, token: str):
    if not body.strip():
        raise _bad("not_json", "the body is empty, not a page")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        error = exc
    media = content_type.split(";")[0].strip().lower()
    if "html" in media or body.lstrip()[:1] == b"<":
        raise _bad("not_json", f"the body is HTML, not JSON (Content-Type "
                   f"{_scrub(content_type, token)[:EXCERPT_CHARS]!r}), as from a proxy or a "
                   f"login page: {_excerpt(body, token)}")
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
         token: str, base_url: str, *, timeout: float, retries: int, policy: _Retry,
         max_page_bytes: int, page_time_limit: float) -> _Answer:
    """One page as a 200 with its body whole; _Failure saying why not."""
    try:
        response = http.get(endpoint, params=params, headers=headers, timeout=timeout,
                            stream=True, allow_redirects=False)
    except requests.RequestException as exc:
        failure = _scrub(_request_error(exc, retries), token)
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
            target = _scrub(urljoin(response.url, location), token)[:EXCERPT_CHARS]
            raise _Failure("redirected", f"was redirected (HTTP {status}) to {target}; "
                           f"redirects are not followed, so the token goes only to "
                           f"{base_url}: set the RMT API URL to where the API answers")
        if status in RETRY_STATUSES:
            wait = policy.get_retry_after(raw)
            if wait is not None and wait > policy.max_wait:
                header = _scrub(response.headers.get("Retry-After", ""), token)[:60]
                raise _Failure("wait_too_long", (
                    f"answered HTTP {status} asking to wait {wait:.0f} s (Retry-After: "
                    f"{header}), more than the {policy.max_wait:g} s a run waits: not "
                    "retried; the next run will try again"))
            raise _Failure("fetch_failed", f"failed after {history} retries (HTTP {status})",
                           True)
        if status != 200:
            excerpt = _error_excerpt(raw, token)
            raise _Failure("unexpected_status", f"failed (HTTP {status})"
                           + (f": {excerpt}" if excerpt else ""))
        received = _read_body(raw, max_page_bytes, page_time_limit, timeout)
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        try:
            body = _decode(received, encoding, max_page_bytes)
        except _Failure as bad:  # the body as it came, kept for inspection
            bad.received = FetchedPage(page, response.url, received, _now())
            raise
        return _Answer(response.url, response.headers.get("Content-Type", ""), body, history)
    finally:
        response.close()


def _error_excerpt(raw, token: str) -> str:
    """The start of an error body, for the message; never more than a few kilobytes read."""
    try:
        return _excerpt(raw.read(EXCERPT_CHARS * 4, decode_content=True) or b"", token)
    except (HTTPError, OSError):
        return ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def fetch_pages(base_url: str, token: str, updated_since: str | None = None, *,
                page_size: int = 500, timeout: float = 30.0, retries: int = 5,
                backoff: float = 1.0, session: requests.Session | None = None,
                max_wait: float = RETRY_AFTER_MAX, max_page_bytes: int = MAX_PAGE_BYTES,
                page_time_limit: float = PAGE_TIME_LIMIT) -> list[FetchedPage]:
    """Every page of GET {base_url}/api/v1/interventions?updated_since=..&page=n&page_size=k,
    following next_page until it is null; all or nothing: raises FetchFailed if any page fails
    for good, or if the pages do not fit together.

    `timeout` bounds each wait for the server (connect, headers, each read of the body);
    `page_time_limit` a whole body, and `max_page_bytes` its size; a Retry-After above
    `max_wait` seconds fails at once. A given `session` is used for its transport settings;
    the retrying adapter is mounted on it for `base_url`.
    """
    if not token or not token.isascii() or not token.isprintable() or " " in token:
        raise AuthFailed(f"RMT API token is empty or has spaces or control characters; "
                         f"{token_help()}")
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    endpoint = base_url.rstrip("/") + ENDPOINT
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
               "Accept-Encoding": "gzip"}
    params: dict[str, str | int] = {"page_size": min(page_size, MAX_PAGE_SIZE)}
    if updated_since is not None:
        params["updated_since"] = updated_since

    own_session = session is None
    http = session if session is not None else requests.Session()
    policy = _retry_policy(retries, backoff, max_wait)
    http.mount(base_url.rstrip("/") + "/", HTTPAdapter(max_retries=policy))
    pages: list[FetchedPage] = []
    seen = _Pages()
    page: int | None = 1
    try:
        while page is not None:
            where = f"page {page} of {endpoint}"
            answer, failure = None, None
            for attempt in range(retries + 1):  # urllib3 retries statuses; bodies are retried here
                try:
                    answer = _get(http, endpoint, page, {**params, "page": page}, headers, token,
                                  base_url, timeout=timeout, retries=retries, policy=policy,
                                  max_page_bytes=max_page_bytes, page_time_limit=page_time_limit)
                except _Failure as failed:
                    failure = failed
                else:
                    answer, failure = replace(answer, retried=answer.retried + attempt), None
                    break
                if not failure.again or attempt == retries:
                    break
                delay = min(backoff * 2 ** attempt, BACKOFF_MAX)
                log.warning("RMT API %s %s; trying again in %.2f s", where, failure.text, delay)
                time.sleep(delay)
            if failure is not None:  # raised outside the handler: no exception chain
                raise _failed(failure, where, pages, retries)

            pages.append(FetchedPage(page=page, url=answer.url, body=answer.body,
                                     fetched_at=_now()))
            try:
                count, next_page = seen.check(answer.body, page, answer.content_type, token)
            except _Failure as failed:
                failure = failed
            if failure is not None:
                raise _failed(failure, where, pages, retries)
            log.info("RMT API page %d: %d items, %d bytes%s", page, count, len(answer.body),
                     f" (after {answer.retried} retries)" if answer.retried else "")
            page = next_page
    finally:
        if own_session:
            http.close()
    return pages


def _failed(failure: _Failure, where: str, pages: list[FetchedPage], retries: int
            ) -> FetchFailed:
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
    return failure.kind(message, pages, failure.code, failure.transient)
