"""The RMT API client against a real HTTP server on loopback: paging, retries, failures, token."""

from __future__ import annotations

import gzip
import json
import logging
import pickle
import socket
import time
import traceback
from datetime import datetime

import pytest
from werkzeug import Request, Response

from ingest.rmt_api import AuthFailed, BadPage, FetchFailed, fetch_pages

PATH = "/api/v1/interventions"
TOKEN = "s3cret-T0ken-that-must-not-leak"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
SINCE = "2026-11-01T00:00:00Z"
JSON = "application/json"


def page_body(page: int, next_page: int | None, n_items: int = 2) -> bytes:
    """A page as the API might send it: odd spacing and non-ASCII text, to check bytes are kept.

    Pages before the last are of 5 interventions in all; a last page says how many came.
    """
    items = [{"id": f"RMT-{page:03d}{i}", "title": "Extensión de la protección social"}
             for i in range(n_items)]
    total = 5 if next_page is not None else (page - 1) * 2 + n_items
    doc = {"items": items, "page": page, "page_size": 2, "total": total,
           "next_page": next_page}
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode()


def json_response(body: bytes, status: int = 200, **headers) -> Response:
    return Response(body, status=status, content_type="application/json", headers=headers)


def counting(*responses):
    """A handler giving each response in turn (the last one repeats), and the request count."""
    seen = []

    def handle(request: Request) -> Response:
        seen.append(request)
        return responses[min(len(seen), len(responses)) - 1]()

    return handle, seen


def exception_text(exc: BaseException) -> str:
    """str, repr and formatted traceback of an exception and everything chained to it."""
    parts = []
    while exc is not None:
        parts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def test_fetches_every_page_byte_for_byte(httpserver, caplog):
    caplog.set_level(logging.INFO, logger="ingest.rmt_api")
    bodies = {1: page_body(1, 2), 2: page_body(2, 3), 3: page_body(3, None, n_items=1)}
    for n, body in bodies.items():
        httpserver.expect_request(
            PATH, query_string={"updated_since": SINCE, "page": str(n), "page_size": "2"},
            headers=AUTH).respond_with_data(body, content_type=JSON)

    pages = fetch_pages(httpserver.url_for("/"), TOKEN, SINCE, page_size=2, backoff=0.05)

    httpserver.check_assertions()
    assert [p.page for p in pages] == [1, 2, 3]
    assert [p.body for p in pages] == list(bodies.values())
    assert pages[1].url == httpserver.url_for(
        f"{PATH}?page_size=2&updated_since=2026-11-01T00%3A00%3A00Z&page=2")
    assert datetime.fromisoformat(pages[0].fetched_at).utcoffset().total_seconds() == 0
    assert [r.getMessage() for r in caplog.records if r.name == "ingest.rmt_api"] == [
        f"RMT API page 1: 2 items, {len(bodies[1])} bytes",
        f"RMT API page 2: 2 items, {len(bodies[2])} bytes",
        f"RMT API page 3: 1 items, {len(bodies[3])} bytes",
    ]


def test_no_updated_since_unless_given_and_page_size_capped(httpserver):
    httpserver.expect_request(PATH, query_string={"page": "1", "page_size": "500"},
                              headers=AUTH).respond_with_data(page_body(1, None),
                                                              content_type=JSON)

    pages = fetch_pages(httpserver.url_for(""), TOKEN, page_size=5000, backoff=0.05)

    httpserver.check_assertions()
    assert [p.page for p in pages] == [1]


def test_429_waits_for_retry_after(httpserver):
    handler, seen = counting(lambda: json_response(b"{}", 429, **{"Retry-After": "1"}),
                             lambda: json_response(page_body(1, None)))
    httpserver.expect_request(PATH).respond_with_handler(handler)

    start = time.monotonic()
    pages = fetch_pages(httpserver.url_for("/"), TOKEN, backoff=0.05)
    waited = time.monotonic() - start

    assert len(seen) == 2
    assert waited >= 0.95
    assert pages[0].body == page_body(1, None)


def test_500_then_success(httpserver, caplog):
    caplog.set_level(logging.INFO, logger="ingest.rmt_api")
    handler, seen = counting(lambda: json_response(b"oops", 500),
                             lambda: json_response(page_body(1, None)))
    httpserver.expect_request(PATH).respond_with_handler(handler)

    pages = fetch_pages(httpserver.url_for("/"), TOKEN, backoff=0.05)

    assert len(seen) == 2
    assert pages[0].body == page_body(1, None)
    assert caplog.messages[-1].endswith(" bytes (after 1 retries)")


def test_500_forever_fails_the_whole_fetch(httpserver):
    httpserver.expect_request(PATH, query_string={"page": "1", "page_size": "500"}) \
        .respond_with_data(page_body(1, 2), content_type=JSON)
    handler, seen = counting(lambda: json_response(b"down", 500))
    httpserver.expect_request(PATH, query_string={"page": "2", "page_size": "500"}) \
        .respond_with_handler(handler)

    with pytest.raises(FetchFailed) as failed:
        fetch_pages(httpserver.url_for("/"), TOKEN, retries=2, backoff=0.05)

    assert str(failed.value) == (
        f"RMT API: page 2 of {httpserver.url_for(PATH)} failed after 2 retries (HTTP 500)")
    assert (failed.value.code, failed.value.transient) == ("fetch_failed", True)
    assert len(seen) == 3
    assert [p.page for p in failed.value.pages] == [1]


def test_read_timeout_then_success(httpserver):
    def slow():
        time.sleep(0.6)
        return json_response(b"too late")

    handler, seen = counting(slow, lambda: json_response(page_body(1, None)))
    httpserver.expect_request(PATH).respond_with_handler(handler)

    pages = fetch_pages(httpserver.url_for("/"), TOKEN, timeout=0.4, backoff=0.05)

    assert len(seen) == 2
    assert pages[0].body == page_body(1, None)


def test_connection_refused_fails_after_retries():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(FetchFailed) as failed:
        fetch_pages(f"http://127.0.0.1:{port}", TOKEN, retries=1, backoff=0.05)

    message = str(failed.value)
    assert message.startswith(f"RMT API: page 1 of http://127.0.0.1:{port}{PATH} failed after "
                              "1 retries (NewConnectionError:")
    assert failed.value.pages == []
    assert failed.value.__context__ is None


@pytest.mark.parametrize(("cut_at", "detail"), [
    (-20, "(Expecting ',' delimiter: line "),
    (60, "(not UTF-8: unexpected end of data at byte 59)"),
])
def test_truncated_json_is_a_bad_page_kept_for_inspection(httpserver, cut_at, detail):
    good, cut = page_body(1, 2), page_body(2, 3)[:cut_at]
    httpserver.expect_request(PATH, query_string={"page": "1", "page_size": "500"}) \
        .respond_with_data(good, content_type=JSON)
    httpserver.expect_request(PATH, query_string={"page": "2", "page_size": "500"}) \
        .respond_with_data(cut, content_type=JSON)

    with pytest.raises(BadPage) as bad:
        fetch_pages(httpserver.url_for("/"), TOKEN, backoff=0.05)

    assert str(bad.value).startswith(
        f"RMT API: page 2 of {httpserver.url_for(PATH)}: body is not valid JSON {detail}")
    assert (bad.value.code, bad.value.transient) == ("not_json", False)
    assert [(p.page, p.body) for p in bad.value.pages] == [(1, good), (2, cut)]


@pytest.mark.parametrize(("body", "code", "problem"), [
    (b'[{"id": "RMT-000123"}]', "bad_envelope", "body is a JSON list, not a page object"),
    (b'{"data": [], "page": 1, "next_page": null}', "bad_envelope",
     "'items' is missing or not a list"),
    (b'{"items": [], "page": 2, "next_page": null}', "wrong_page", "'page' is 2, expected 1"),
    (b'{"items": [], "page": 1, "next_page": 1}', "pagination_loop",
     "'next_page' is 1, expected 2 or null: page 1 again, a pagination loop"),
    (b'{"items": [], "page": 1}', "bad_envelope",
     "'next_page' is 'missing', expected 2 or null"),
    (b'{"items": [], "page": 1, "next_page": null, "total": "0"}', "bad_envelope",
     "'total' is '0', expected the number of interventions"),
])
def test_body_without_the_envelope_is_a_bad_page(httpserver, body, code, problem):
    httpserver.expect_request(PATH).respond_with_data(body, content_type=JSON)

    with pytest.raises(BadPage) as bad:
        fetch_pages(httpserver.url_for("/"), TOKEN, backoff=0.05)

    assert str(bad.value) == f"RMT API: page 1 of {httpserver.url_for(PATH)}: {problem}"
    assert (bad.value.code, bad.value.transient) == (code, False)
    assert [p.body for p in bad.value.pages] == [body]
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_refused_token_fails_at_once_and_never_leaks(httpserver, caplog, status):
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request(PATH).respond_with_data(
        f"token {TOKEN} is not valid", status=status, headers={"Retry-After": "1"})

    with pytest.raises(AuthFailed) as refused:
        fetch_pages(httpserver.url_for("/"), TOKEN, backoff=0.05)

    assert len(httpserver.log) == 1
    assert str(refused.value).startswith(
        f"RMT API refused the token (HTTP {status}): check SPF_RMT_TOKEN or the Prefect Secret")
    assert TOKEN not in exception_text(refused.value)
    assert TOKEN not in caplog.text


def test_other_4xx_reports_status_and_scrubbed_excerpt(httpserver):
    httpserver.expect_request(PATH).respond_with_data(
        f'{{"detail": "unknown parameter", "auth": "{TOKEN}"}}', status=400)

    with pytest.raises(FetchFailed) as failed:
        fetch_pages(httpserver.url_for("/"), TOKEN, backoff=0.05)

    assert type(failed.value) is FetchFailed
    assert str(failed.value) == (f"RMT API: page 1 of {httpserver.url_for(PATH)} failed "
                                 '(HTTP 400): {"detail": "unknown parameter", "auth": "***"}')
    assert (failed.value.code, failed.value.transient) == ("unexpected_status", False)
    assert len(httpserver.log) == 1


def test_unusable_token_is_refused_before_any_request(httpserver):
    for token in ("", f"{TOKEN}\r\nX-Injected: 1"):
        with pytest.raises(AuthFailed, match="SPF_RMT_TOKEN") as refused:
            fetch_pages(httpserver.url_for("/"), token)
        assert TOKEN not in exception_text(refused.value)
    assert httpserver.log == []


@pytest.mark.parametrize(("answer", "code"), [
    (lambda: Response(b"", status=302, headers={
        "Location": f"http://127.0.0.1:9/login?token={TOKEN}"}), "redirected"),
    (lambda: Response(f"<html><p>Sign in again: {TOKEN}</p></html>".encode(),
                      content_type="text/html"), "not_json"),
    (lambda: Response(page_body(1, None), content_type=f"text/html; x={TOKEN}"),
     "wrong_content_type"),
    (lambda: json_response(b"{}", 429, **{"Retry-After": "3600"}), "wait_too_long"),
    (lambda: Response(gzip.compress(TOKEN.encode() * 3)[:-12], content_type=JSON,
                      headers={"Content-Encoding": "gzip"}), "bad_encoding"),
    (lambda: json_response(page_body(1, 1)), "pagination_loop"),
    (lambda: json_response(f'{{"error": "{TOKEN} expired"}}'.encode(), 404),
     "unexpected_status"),
], ids=["redirect", "html", "content-type", "wait", "gzip", "loop", "404"])
def test_no_failure_of_the_answer_leaks_the_token(httpserver, caplog, answer, code):
    """The failures of an answer outside the contract, each with the token echoed where a
    server could put it: not in the message, the exception chain or any log, and the
    exception survives pickling (Prefect may keep a task's exception) with its code."""
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request(PATH).respond_with_handler(lambda request: answer())

    with pytest.raises(FetchFailed) as failed:
        fetch_pages(httpserver.url_for("/"), TOKEN, retries=1, backoff=0.01)

    assert failed.value.code == code
    assert TOKEN not in exception_text(failed.value)
    assert TOKEN not in caplog.text
    assert failed.value.__context__ is None and failed.value.__cause__ is None
    again = pickle.loads(pickle.dumps(failed.value))
    assert (type(again), str(again), again.code, again.transient, again.pages) == (
        type(failed.value), str(failed.value), code, failed.value.transient,
        failed.value.pages)


def test_a_redirect_is_not_followed(httpserver):
    """The token goes to the configured URL only: a redirect, even to the same server, fails
    the fetch (`redirected`) after one request, and the target is never asked."""
    httpserver.expect_request(PATH).respond_with_response(
        Response(b"", status=301, headers={"Location": "/moved" + PATH}))
    httpserver.expect_request("/moved" + PATH).respond_with_data(page_body(1, None),
                                                                 content_type=JSON)

    with pytest.raises(FetchFailed) as failed:
        fetch_pages(httpserver.url_for("/"), TOKEN, backoff=0.01)

    assert str(failed.value) == (
        f"RMT API: page 1 of {httpserver.url_for(PATH)} was redirected (HTTP 301) to "
        f"{httpserver.url_for('/moved' + PATH)}; redirects are not followed, so the token goes "
        f"only to {httpserver.url_for('/')}: set the RMT API URL to where the API answers")
    assert (failed.value.code, failed.value.transient) == ("redirected", False)
    assert [request.path for request, _ in httpserver.log] == [PATH]
