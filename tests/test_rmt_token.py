"""The RMT API token: from the environment, else from a Prefect Secret block (flows/tasks.py)."""

from __future__ import annotations

import pytest

from flows import tasks
from flows.tasks import resolve_token
from ingest.rmt_api import AuthFailed

TOKEN = "s3cret-T0ken-that-must-not-leak"


def test_token_from_environment_wins(monkeypatch):
    monkeypatch.setenv("SPF_RMT_TOKEN", f" {TOKEN}\n")
    monkeypatch.setattr(tasks, "read_secret_block", pytest.fail)

    assert resolve_token() == TOKEN


def test_token_from_the_default_secret_block(monkeypatch):
    monkeypatch.delenv("SPF_RMT_TOKEN", raising=False)
    monkeypatch.delenv("SPF_RMT_TOKEN_BLOCK", raising=False)
    monkeypatch.setattr(tasks, "read_secret_block",
                        {"spf-rmt-token": TOKEN}.__getitem__)

    assert resolve_token() == TOKEN


def test_no_token_anywhere_says_how_to_set_one(httpserver, monkeypatch):
    """The real Prefect client, pointed at a fake Prefect API that knows no such block."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.delenv("SPF_RMT_TOKEN", raising=False)
    monkeypatch.setenv("SPF_RMT_TOKEN_BLOCK", "no-such-block")
    httpserver.expect_request("/api/block_types/slug/secret/block_documents/name/no-such-block") \
        .respond_with_json({"detail": "Block document not found"}, status=404)

    with temporary_settings({PREFECT_API_URL: httpserver.url_for("/api")}):
        with pytest.raises(AuthFailed) as missing:
            resolve_token()

    message = str(missing.value)
    assert "SPF_RMT_TOKEN is not set" in message
    assert "'no-such-block'" in message
    assert "Unable to find block document" in message
    assert "\n" not in message
