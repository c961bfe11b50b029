"""Intervention versions: the raw rows of a fetch's pages, and which of them are new.

The raw layer keeps every version of every intervention (a later `updated_at` replaces
an earlier one only in the marts); a version is an (intervention id, updated_at) and
each row carries it, with its fetch and page sha256.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import TYPE_CHECKING

from ingest.problems import Problem
from ingest.rmt_landing import LandedPage

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a night with nothing new needs none of it

    from ingest.rmt_contract import Page

CHILD_TABLES = ("funding", "institutional_changes", "outcomes", "impact_snapshots", "outputs")
TABLES = ("interventions", *CHILD_TABLES)
VERSION_KEY = ["intervention_id", "updated_at"]


def flatten(parsed: list[tuple[LandedPage, Page, list[dict]]], fetch_id: str
            ) -> dict[str, pd.DataFrame]:
    """Raw rows of every intervention version in the pages, one frame per raw table."""
    import pandas as pd

    rows: dict[str, list[dict]] = {table: [] for table in TABLES}
    for landed, page, documents in parsed:
        for item, document in zip(page.items, documents, strict=True):
            canonical = json.dumps(document, sort_keys=True, ensure_ascii=False)
            key = {"intervention_id": item.id, "updated_at": item.updated_at.astimezone(UTC)}
            lineage = {**key, "fetch_id": fetch_id, "page_sha256": landed.file.sha256}
            rows["interventions"].append({
                **lineage, "version_sha256": hashlib.sha256(canonical.encode()).hexdigest(),
                "deleted": item.deleted, "title": item.title, "country_iso3": item.country_iso3,
                "level": item.level, "flagship": item.flagship,
                "thematic_areas": list(item.thematic_areas), "start_date": item.start_date,
                "end_date": item.end_date, "document": canonical})
            rows["funding"] += [{**lineage, "position": n, "partner": f.partner, "year": f.year,
                                 "amount_usd": f.amount_usd}
                                for n, f in enumerate(item.funding, start=1)]
            rows["institutional_changes"] += [{
                **lineage, "change_id": c.id, "step": c.step, "title": c.title,
                "status": c.status, "achieved_on": c.achieved_on, "branches": list(c.branches),
                "partners": list(c.partners)} for c in item.institutional_changes]
            rows["outcomes"] += [{
                **lineage, "outcome_id": o.id, "outcome_type": o.type, "branch": o.branch,
                "expected_persons": o.expected_persons, "expected_date": o.expected_date}
                for o in item.outcomes]
            rows["impact_snapshots"] += [{
                **lineage, "outcome_id": o.id, "as_of": s.as_of, "persons": s.persons,
                "women": s.women, "men": s.men} for o in item.outcomes for s in o.impact_history]
            rows["outputs"] += [{
                **lineage, "position": n, "output_type": o.type, "output_date": o.date,
                "count": o.count, "title": o.title} for n, o in enumerate(item.outputs, start=1)]
    return {table: pd.DataFrame.from_records(table_rows, columns=None if table_rows else
                                             [*VERSION_KEY, "fetch_id", "page_sha256"])
            for table, table_rows in rows.items()}


def new_versions(frames: dict[str, pd.DataFrame], clashes: list[tuple], loaded: set[tuple]
                 ) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Keep each version not loaded yet, once; a version seen with other content conflicts.

    A version may come twice (on two pages, or in an earlier fetch) only with the same
    content. `clashes` and `loaded` are what `state.rmt_seen_versions` found.
    """
    if clashes:
        return frames, [Problem("conflicting_version", (
            f"{iid} version {updated:%Y-%m-%dT%H:%M:%SZ} arrived with content different from "
            "the same version loaded before; a changed intervention needs a later updated_at"),
            item_id=iid) for iid, updated in clashes[:20]]
    versions = frames["interventions"]
    first = versions.drop_duplicates(VERSION_KEY)
    first = first[[(i, u) not in loaded for i, u in zip(first.intervention_id, first.updated_at,
                                                         strict=True)]]
    if len(first) == len(versions):
        return frames, []
    keep = first[[*VERSION_KEY, "page_sha256"]]
    return {table: frame.merge(keep, on=[*VERSION_KEY, "page_sha256"])
            for table, frame in frames.items()}, []
