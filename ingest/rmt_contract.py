"""The project-report contract (../shared/specs/project-reports.md) as pydantic models.

A page body is validated in one pass from its JSON bytes, strictly: counts must be
JSON integers, dates ISO strings, timestamps carry their time zone, numbers finite and
within the contract's ranges. Every violation comes back as a `Problem` naming the page
file, the item (with its id) and the field path, so whoever maintains the Results
Monitoring Tool can find it.

Before any JSON parser sees a body, `json_bounds` checks, without recursion, that it nests
no deeper than MAX_DEPTH and holds no number a parser would choke on or turn into
infinity (Python's own parser recurses once per level, and refuses integers of more than
4,300 digits with a ValueError): both the API client and the export route read page
bodies through `load_json`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from ingest.codes import BRANCHES, OUTCOME_TYPES, OUTPUT_TYPES, THEMATIC_AREAS
from ingest.problems import Problem
from ingest.reference import COUNTRY_CODES
from ingest.rmt_landing import MAX_PAGES

MAX_PAGE_SIZE = 500  # the contract's bound on `page_size`, which the API client asks for
MAX_TOTAL = MAX_PAGES * MAX_PAGE_SIZE  # interventions of one fetch
MAX_DEPTH = 64  # arrays and objects within each other; a page of the contract needs 7
MAX_DIGITS = 20  # of a number's integer part; no count or amount of the contract needs more
MAX_EXPONENT = 20  # of a number written with one (1.2e6)
MAX_PERSONS = 10_000_000_000  # more people than live on Earth
MAX_AMOUNT_USD = 1e12  # a trillion US dollars, several years of all development aid

Branch = Literal[BRANCHES]  # type: ignore[valid-type]
ThematicArea = Literal[THEMATIC_AREAS]  # type: ignore[valid-type]
Count = Annotated[int, Field(ge=0, le=MAX_PERSONS)]
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    # Fields the contract does not name are ignored here; the raw layer keeps each document whole.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, allow_inf_nan=False)


class Funding(_Strict):
    partner: Text
    year: Annotated[int, Field(ge=1990, le=2100)]
    amount_usd: Annotated[float, Field(ge=0, le=MAX_AMOUNT_USD, allow_inf_nan=False)]


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
    thematic_areas: list[ThematicArea] = []
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
    page: Annotated[int, Field(ge=1, le=MAX_PAGES)]
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] | None = None
    total: Annotated[int, Field(ge=0, le=MAX_TOTAL)] | None = None
    next_page: Annotated[int, Field(ge=2, le=MAX_PAGES)] | None

    @model_validator(mode="after")
    def _next_follows(self) -> Page:
        if self.next_page is not None and self.next_page != self.page + 1:
            raise ValueError(f"next_page {self.next_page} does not follow page {self.page}")
        return self


_PAGE = TypeAdapter(Page)
MAX_PROBLEMS = 20

_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_DIGITS_ONLY = bytes(ord("0") if chr(b).isdigit() else ord(" ") for b in range(256))
_LONG_RUN = b"0" * (MAX_DIGITS + 1)
_BIG_EXPONENT = re.compile(rb"[eE]\+?0*(?:2[1-9]|[3-9][0-9]|[1-9][0-9]{2,})(?![0-9])")
_NUMBER_START = re.compile(rb"[-+.eE0-9]{0,30}\Z")
_NUMBER_REST = re.compile(rb"[-+.eE0-9]*")
_KEY_BEFORE = re.compile(rb'""\s*:\s*\Z')
_NESTING = np.zeros(256, np.int8)
_NESTING[[ord("["), ord("{")]], _NESTING[[ord("]"), ord("}")]] = 1, -1
_BLOCK = 1 << 20


class Unreadable(ValueError):
    """A body no JSON parser is given: `code` and `text` say why (one line)."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code, self.text = code, text


def _too_deep(bare: bytes) -> bool:
    """Whether arrays and objects nest deeper than MAX_DEPTH in `bare` (a body without its
    strings), counted a block at a time, whatever the depth."""
    marks, depth = np.frombuffer(bare, np.uint8), 0
    for start in range(0, len(marks), _BLOCK):
        levels = np.cumsum(_NESTING[marks[start:start + _BLOCK]], dtype=np.int64) + depth
        if levels.size and levels.max() > MAX_DEPTH:
            return True
        depth = int(levels[-1]) if levels.size else depth
    return False


def _number_at(body: bytes, bare: bytes, at: int) -> tuple[str, bytes]:
    """Where the number around `at` (in `bare`) is (the field it is the value of, if any),
    and the number."""
    start = _NUMBER_START.search(bare, 0, at).start()
    number = _NUMBER_REST.match(bare, at).group()
    number = bare[start:at] + number
    before = _KEY_BEFORE.search(bare, max(0, start - 64), start)
    if not before:
        return "a value", number
    strings = bare.count(b'""', 0, before.start() + 2)
    key = next(itertools.islice(_STRING.finditer(body), strings - 1, None)).group()
    try:
        name = json.loads(key)
    except ValueError:
        name = key[1:-1].decode("utf-8", "replace")
    return repr(name[:60]), number


def json_bounds(body: bytes) -> Unreadable | None:
    """Why `body` must not be parsed (nested too deep, a number too large), or None.

    Read as bytes, strings left out, without recursion and in time linear in the size
    (some 40 ms a megabyte).
    """
    bare = _STRING.sub(b'""', body)
    if _too_deep(bare):
        return Unreadable("json_too_deep", f"the JSON nests arrays and objects more than "
                          f"{MAX_DEPTH} deep (a page of the contract needs 7): not parsed")
    long = bare.translate(_DIGITS_ONLY).find(_LONG_RUN)
    big = _BIG_EXPONENT.search(bare) if long < 0 else None
    if long < 0 and big is None:
        return None
    where, number = _number_at(body, bare, long if long >= 0 else big.start())
    shown = (number[:12] + b"..." + number[-4:] if len(number) > 20 else number).decode()
    if long >= 0:
        digits = sum(number.count(d) for d in b"0123456789")
        return Unreadable("number_too_large", f"{where} is {shown}, a number of {digits:,} "
                          f"digits; no number of the contract has more than {MAX_DIGITS}: "
                          "not parsed")
    return Unreadable("number_too_large", f"{where} is {shown}, a number with an exponent "
                      f"above {MAX_EXPONENT}; the contract's numbers are far smaller: not parsed")


def _not_a_number(constant: str) -> None:
    raise Unreadable("not_json", f"{constant} is not a JSON number (RFC 8259)")


def load_json(body: bytes):
    """The JSON document of `body`; Unreadable if it is not bounded (`json_bounds`) or
    holds NaN or Infinity. Other errors are json's (UnicodeDecodeError, JSONDecodeError)."""
    unreadable = json_bounds(body)
    if unreadable is not None:
        raise unreadable
    return json.loads(body, parse_constant=_not_a_number)


def parse_page(body: bytes, name: str) -> tuple[Page, list[dict]] | list[Problem]:
    """Validate one page body; return the page and its raw items, or every problem found.

    The raw items (plain JSON objects) are what the raw layer keeps of each version.
    """
    try:
        document = load_json(body)
    except Unreadable as error:
        return [Problem(error.code, error.text, page=name)]
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
