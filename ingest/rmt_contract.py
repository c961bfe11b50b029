"""The project-report contract (../shared/specs/project-reports.md) as pydantic models.

A page body is validated in one pass from its JSON bytes, strictly: counts must be
JSON integers, dates ISO strings, timestamps carry their time zone. Every violation
comes back as a `Problem` naming the page file, the item (with its id) and the field
path, so whoever maintains the Results Monitoring Tool can find it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from ingest.codes import BRANCHES, OUTCOME_TYPES, OUTPUT_TYPES
from ingest.problems import Problem
from ingest.reference import COUNTRY_CODES

MAX_PAGE_SIZE = 500  # the contract's bound on `page_size`, which the API client asks for

Branch = Literal[BRANCHES]  # type: ignore[valid-type]
Count = Annotated[int, Field(ge=0)]
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    # Fields the contract does not name are ignored here; the raw layer keeps each document whole.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Funding(_Strict):
    partner: Text
    year: Annotated[int, Field(ge=1990, le=2100)]
    amount_usd: Annotated[float, Field(ge=0)]


class InstitutionalChange(_Strict):
    id: Text
    step: Literal[1, 2, 3]
    title: str | None = None
    status: Literal["achieved", "in_progress"]
    achieved_on: dt.date | None = None
    branches: list[Branch] = []
    partners: list[Text] = []


class Snapshot(_Strict):
    as_of: dt.date
    persons: Count
    women: Count | None = None
    men: Count | None = None

    @model_validator(mode="after")
    def _split_adds_up(self) -> Snapshot:
        if self.women is not None and self.men is not None and \
                self.women + self.men != self.persons:
            raise ValueError(f"women ({self.women}) + men ({self.men}) do not add up to "
                             f"persons ({self.persons})")
        return self


class Outcome(_Strict):
    id: Text
    type: Literal[OUTCOME_TYPES]  # type: ignore[valid-type]
    branch: Branch | None = None
    expected_persons: Count | None = None
    expected_date: dt.date | None = None
    impact_history: list[Snapshot] = []


class Output(_Strict):
    type: Literal[OUTPUT_TYPES]  # type: ignore[valid-type]
    date: dt.date | None = None
    count: Count | None = None
    title: str | None = None


class Intervention(_Strict):
    """One version of an intervention; a tombstone (`deleted: true`) needs only id and time."""

    id: Text
    updated_at: AwareDatetime
    deleted: bool = False
    title: str | None = None
    country_iso3: str | None = None
    level: Literal["country", "regional", "global"] | None = None
    flagship: bool = False
    thematic_areas: list[str] = []
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    funding: list[Funding] = []
    institutional_changes: list[InstitutionalChange] = []
    outcomes: list[Outcome] = []
    outputs: list[Output] = []

    @model_validator(mode="after")
    def _coherent(self) -> Intervention:
        if self.deleted:
            return self
        if not self.title:
            raise ValueError("title is required")
        if self.level is None:
            raise ValueError("level is required (country, regional or global)")
        if self.level == "country" and self.country_iso3 not in COUNTRY_CODES:
            raise ValueError(f"country_iso3 {self.country_iso3!r} is not an ISO 3166-1 "
                             "alpha-3 country code")
        if self.level != "country" and self.country_iso3 is not None:
            raise ValueError(f"country_iso3 must be null for a {self.level} intervention")
        for kind, ids in (("institutional change", [c.id for c in self.institutional_changes]),
                          ("outcome", [o.id for o in self.outcomes])):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                raise ValueError(f"{kind} id {repeated[0]} appears more than once")
        return self


class Page(_Strict):
    items: list[Intervention]
    page: Annotated[int, Field(ge=1)]
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] | None = None
    total: Count | None = None
    next_page: int | None

    @model_validator(mode="after")
    def _next_follows(self) -> Page:
        if self.next_page is not None and self.next_page != self.page + 1:
            raise ValueError(f"next_page {self.next_page} does not follow page {self.page}")
        return self


_PAGE = TypeAdapter(Page)
MAX_PROBLEMS = 20


def parse_page(body: bytes, name: str) -> tuple[Page, list[dict]] | list[Problem]:
    """Validate one page body; return the page and its raw items, or every problem found.

    The raw items (plain JSON objects) are what the raw layer keeps of each version.
    """
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return [Problem("not_json", f"the body is not valid JSON ({error})", page=name)]
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        return [Problem("bad_envelope", "the body is not a page: an object with 'items', "
                        "'page' and 'next_page' is expected", page=name)]
    try:
        return _PAGE.validate_json(body), document["items"]
    except ValidationError as error:
        return [_problem(e, document, name) for e in error.errors()[:MAX_PROBLEMS]]


def _problem(error: dict, document: dict, name: str) -> Problem:
    loc = list(error["loc"])
    item = item_id = None
    if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
        item = loc[1]
        found = document["items"][item]
        item_id = found.get("id") if isinstance(found, dict) else None
        loc = loc[2:]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    value = error.get("input")
    shown = "" if isinstance(value, dict | list) else f"{value!r}: "
    message = error["msg"].removeprefix("Value error, ")
    return Problem("contract_violation", f"{shown}{message}",
                   None if isinstance(value, dict | list) else value, page=name, item=item,
                   item_id=item_id or None, path=path or None)
