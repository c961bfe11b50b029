"""HTTP client for the Results Monitoring Tool API: every page of interventions, all or nothing.

Page bodies are kept byte for byte so the caller can land them as snapshots. Only the page
envelope is checked here; the interventions inside are validated by the caller. Transient
failures are retried by urllib3's `Retry`; the bearer token never reaches a message or a log.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, ProtocolError, ReadTimeoutError
from urllib3.util import Retry

from ingest.rmt_contract import MAX_PAGE_SIZE

log = logging.getLogger(__name__)

ENDPOINT = "/api/v1/interventions"
TOKEN_ENV = "SPF_RMT_TOKEN"
BLOCK_ENV = "SPF_RMT_TOKEN_BLOCK"
DEFAULT_BLOCK = "spf-rmt-token"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Exponential backoff stops growing here; a server's Retry-After is obeyed up to the second cap
# (urllib3 would otherwise wait up to 6 hours per attempt).
BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 300
EXCERPT_CHARS = 200


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
    can archive them for inspection.
    """

    def __init__(self, message: str, pages: list[FetchedPage] | None = None) -> None:
        super().__init__(message)
        self.pages: list[FetchedPage] = list(pages or [])

    def __reduce__(self):
        return type(self), (self.args[0], self.pages)


class AuthFailed(FetchFailed):
    """The API refused the token (401/403), or no token is configured."""


class BadPage(FetchFailed):
    """A 200 body that is not JSON or has no valid page envelope."""


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


def _retry_policy(retries: int, backoff: float) -> Retry:
    """GET-only retries of connection errors, read timeouts and transient statuses.

    `other=0`: TLS and proxy errors are configuration problems, not worth retrying.
    `raise_on_status=False`: the last response comes back, so its status can be reported.
    """
    return Retry(
        total=retries,
        other=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff,
        backoff_max=BACKOFF_MAX,
        respect_retry_after_header=True,
        retry_after_max=RETRY_AFTER_MAX,
        raise_on_status=False,
    )


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


def _check_envelope(body: bytes, page: int) -> tuple[int, int | None]:
    """Item count and next page number of a valid page body; ValueError saying what is wrong."""
    try:
        doc = json.loads(body)
    except UnicodeDecodeError as exc:
        raise ValueError(f"body is not valid JSON (not UTF-8: {exc.reason} at byte "
                         f"{exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"body is not valid JSON ({exc.msg}: line {exc.lineno} "
                         f"column {exc.colno})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"body is a JSON {type(doc).__name__}, not a page object")
    items = doc.get("items")
    if not isinstance(items, list):
        raise ValueError("'items' is missing or not a list")
    got = doc.get("page")
    if isinstance(got, bool) or got != page:
        raise ValueError(f"'page' is {got!r}, expected {page}")
    next_page = doc.get("next_page", "missing")
    if next_page is None:
        return len(items), None
    # The next page must be the one after this: an earlier one would loop, a later one skip data.
    if isinstance(next_page, bool) or next_page != page + 1:
        raise ValueError(f"'next_page' is {next_page!r}, expected {page + 1} or null")
    return len(items), next_page


def fetch_pages(base_url: str, token: str, updated_since: str | None = None, *,
                page_size: int = 500, timeout: float = 30.0, retries: int = 5,
                backoff: float = 1.0, session: requests.Session | None = None
                ) -> list[FetchedPage]:
    """Every page of GET {base_url}/api/v1/interventions?updated_since=..&page=n&page_size=k,
    following next_page until it is null; all or nothing: raises FetchFailed if any page fails
    for good.

    A given `session` is used for its transport settings; the retrying adapter is mounted on it
    for `base_url`.
    """
    if not token or not token.isascii() or not token.isprintable() or " " in token:
        raise AuthFailed(f"RMT API token is empty or has spaces or control characters; "
                         f"{token_help()}")
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    endpoint = base_url.rstrip("/") + ENDPOINT
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    params: dict[str, str | int] = {"page_size": min(page_size, MAX_PAGE_SIZE)}
    if updated_since is not None:
        params["updated_since"] = updated_since

    own_session = session is None
    http = session if session is not None else requests.Session()
    adapter = HTTPAdapter(max_retries=_retry_policy(retries, backoff))
    http.mount(base_url.rstrip("/") + "/", adapter)
    pages: list[FetchedPage] = []
    page: int | None = 1
    try:
        while page is not None:
            where = f"page {page} of {endpoint}"
            try:
                response = http.get(endpoint, params={**params, "page": page}, headers=headers,
                                    timeout=timeout)
                body = response.content
                failure = None
            except requests.RequestException as exc:
                failure = _scrub(_request_error(exc, retries), token)
            # Raised outside the handler: requests exceptions hold the request and its headers.
            if failure is not None:
                raise FetchFailed(f"RMT API: {where} {failure}", pages) from None

            status = response.status_code
            retried = getattr(response.raw, "retries", None)
            history = retried.history if retried is not None else ()
            if status in (401, 403):
                raise AuthFailed(f"RMT API refused the token (HTTP {status}): check {TOKEN_ENV} "
                                 f"or the Prefect Secret block {block_name()!r} ({where})", pages)
            if status in RETRY_STATUSES:
                raise FetchFailed(f"RMT API: {where} failed after {len(history)} retries "
                                  f"(HTTP {status})", pages)
            if status != 200:
                excerpt = _excerpt(body, token)
                raise FetchFailed(f"RMT API: {where} failed (HTTP {status})"
                                  + (f": {excerpt}" if excerpt else ""), pages)

            fetched = FetchedPage(page=page, url=response.url, body=body,
                                  fetched_at=datetime.now(UTC).isoformat(timespec="seconds"))
            pages.append(fetched)
            try:
                count, next_page = _check_envelope(body, page)
            except ValueError as exc:
                raise BadPage(f"RMT API: {where}: {exc}", pages) from None
            log.info("RMT API page %d: %d items, %d bytes%s", page, count, len(body),
                     f" (after {len(history)} retries)" if history else "")
            page = next_page
    finally:
        if own_session:
            http.close()
    return pages
