"""Generate the bundled project-report sample: `python -m ingest.samples.generate_rmt [--out DIR]`.

Writes two exports of the Results Monitoring Tool (RMT) API, each a folder of page bodies
exactly as `GET /api/v1/interventions` returns them (see shared/specs/project-reports.md):

* `2021-01-15/` a full export (no `updated_since`): phase 1 (2016-2020) and whatever
  existed by then;
* `2025-06-30/` an incremental export (`updated_since=2021-01-15T00:00:00Z`): phase-2
  work, later versions of interventions of the first export and a tombstone.

The seed-based records are data, in rmt_records.yaml beside this file, each with the seed
passage it comes from (shared/seeds/000_* = ILO Flagship annual report 2017, 002_* = 2019
progress report, 003_* = phase-2 programme document) and its later versions. They are built
so that the marts reproduce, to the letter, what the seeds report:

* the 2016-2017 country-by-step table of seed 000 (and the 2016-2019 "Programme results"
  table of seed 002, which agrees with it on 2016-2017);
* Table 1 of seed 003: over 2016-01-01..2020-12-31, step 1 in 10, step 2 in 13 and
  step 3 in 16 of the 21 phase-1 focus countries;
* Table 2 of seed 003: legal coverage 11.6 million, effective coverage 10.9 million,
  more comprehensive and adequate protection 2.6 million, from 10 reporting countries.

This module numbers and checks those records and adds INVENTED filler projects (phase 1,
2008-2015 and phase 2) drawn from a seeded random generator, with realistic orders of
magnitude. A fixed seed and fixed timestamps make every run write the same bytes; nothing
depends on today's date.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
from collections.abc import Iterable
from pathlib import Path

import yaml

from ingest.codes import BRANCHES, OUTCOME_TYPES, OUTPUT_TYPES, THEMATIC_AREAS
from ingest.reference import PHASE1_FOCUS, PHASE2_FOCUS

SEED = 20160104
RECORDS_FILE = Path(__file__).resolve().parent / "rmt_records.yaml"
DEFAULT_OUT = Path(__file__).resolve().parent / "rmt"
PAGE_SIZE = 50

FULL_EXPORT = "2021-01-15"  # folder name; no updated_since
INCREMENTAL_EXPORT = "2025-06-30"
SINCE = "2021-01-15T00:00:00Z"  # updated_since of the incremental export
EXPORTS = {FULL_EXPORT: (None, "2021-01-15T00:00:00Z"),
           INCREMENTAL_EXPORT: (SINCE, "2025-06-30T00:00:00Z")}

# Countries outside both focus lists that the RMT also documents ("56 additional countries",
# seed 003); invented filler only.
OTHER_COUNTRIES = ("MNG", "THA", "LBR", "VUT", "BOL", "GTM", "GEO", "MDA", "BGD", "LKA")

NAMES = {
    "AGO": "Angola", "ALB": "Albania", "BDI": "Burundi", "BFA": "Burkina Faso",
    "BGD": "Bangladesh", "BOL": "Bolivia", "BRB": "Barbados", "CIV": "Côte d'Ivoire",
    "CMR": "Cameroon", "COD": "Democratic Republic of the Congo", "CPV": "Cabo Verde",
    "ECU": "Ecuador", "EGY": "Egypt", "ETH": "Ethiopia", "GEO": "Georgia", "GHA": "Ghana",
    "GTM": "Guatemala", "HND": "Honduras", "IDN": "Indonesia", "IND": "India", "IRQ": "Iraq",
    "JOR": "Jordan", "KEN": "Kenya", "KGZ": "Kyrgyzstan", "KHM": "Cambodia", "LAO": "Lao PDR",
    "LBN": "Lebanon", "LBR": "Liberia", "LKA": "Sri Lanka", "MAR": "Morocco",
    "MDA": "Republic of Moldova", "MDG": "Madagascar", "MMR": "Myanmar", "MNG": "Mongolia",
    "MOZ": "Mozambique", "MWI": "Malawi", "NER": "Niger", "NGA": "Nigeria", "NPL": "Nepal",
    "PAK": "Pakistan", "PHL": "Philippines", "PRY": "Paraguay",
    "PSE": "Occupied Palestinian Territory", "RWA": "Rwanda", "SDN": "Sudan",
    "SEN": "Senegal", "SLE": "Sierra Leone", "SLV": "El Salvador", "SUR": "Suriname",
    "SWZ": "Eswatini", "TGO": "Togo", "THA": "Thailand", "TJK": "Tajikistan",
    "TLS": "Timor-Leste", "TZA": "United Republic of Tanzania", "UGA": "Uganda",
    "UKR": "Ukraine", "UZB": "Uzbekistan", "VNM": "Viet Nam", "VUT": "Vanuatu",
    "WSM": "Samoa", "ZAF": "South Africa", "ZMB": "Zambia",
}


# Ids the spec's own example uses (shared/specs/project-reports.md); kept for that record.
RESERVED = {"RMT-000123", "IC-000456", "OC-000789"}


# --------------------------------------------------------------------------- building blocks


class Ids:
    """Sequential ids per prefix, skipping the reserved ones."""

    def __init__(self) -> None:
        self.next = {"RMT": 1, "IC": 1, "OC": 1}

    def __call__(self, prefix: str) -> str:
        while True:
            value = f"{prefix}-{self.next[prefix]:06d}"
            self.next[prefix] += 1
            if value not in RESERVED:
                return value


def C(step: int, title: str, on: str | None, branches: Iterable[str] = (),
      partners: Iterable[str] = (), *, id: str | None = None) -> dict:
    """An institutional change; `on=None` means in progress."""
    return {"id": id, "step": step, "title": title,
            "status": "achieved" if on else "in_progress", "achieved_on": on,
            "branches": list(branches), "partners": list(partners)}


def S(as_of: str, persons: int, women: int | None = None, men: int | None = None) -> dict:
    """An impact snapshot (cumulative: people reached as of that date)."""
    if women is not None and men is not None and women + men != persons:
        raise ValueError(f"snapshot {as_of}: women + men is not {persons}")
    return {"as_of": as_of, "persons": persons, "women": women, "men": men}


def OC(type_: str, branch: str, expected: int, expected_date: str, history: list[dict],
       *, id: str | None = None) -> dict:
    """An outcome."""
    return {"id": id, "type": type_, "branch": branch, "expected_persons": expected,
            "expected_date": expected_date, "impact_history": history}


def P(type_: str, date: str, count: int, title: str) -> dict:
    """An output (ILO contribution)."""
    return {"type": type_, "date": date, "count": count, "title": title}


def F(partner: str, amounts: dict[int, int]) -> list[dict]:
    """Funding of one partner, by year."""
    return [{"partner": partner, "year": y, "amount_usd": a} for y, a in sorted(amounts.items())]


def iv(ids: Ids, title: str, iso3: str | None, start: str, updated: str, *,
       end: str | None = None, flagship: bool = True, themes: Iterable[str] = (),
       funding: Iterable[list[dict]] = (), changes: Iterable[dict] = (),
       outcomes: Iterable[dict] = (), outputs: Iterable[dict] = (), level: str = "country",
       id: str | None = None) -> dict:
    """One intervention document, with the contract's key order and fresh ids."""
    if (level == "country") != (iso3 is not None):
        raise ValueError(f"level {level!r} with country_iso3 {iso3!r}")
    themes = [_code(t, THEMATIC_AREAS, "thematic area") for t in themes]
    changes = [dict(c, id=c["id"] or ids("IC")) for c in changes]
    outcomes = [dict(o, id=o["id"] or ids("OC")) for o in outcomes]
    doc = {
        "id": id or ids("RMT"), "title": title, "country_iso3": iso3, "level": level,
        "flagship": flagship, "thematic_areas": themes, "start_date": start,
        "end_date": end, "updated_at": updated, "deleted": False,
        "funding": [row for rows in funding for row in rows],
        "institutional_changes": changes, "outcomes": outcomes, "outputs": list(outputs),
    }
    _check_dates(doc)
    return doc


def _check_dates(doc: dict) -> None:
    """Nothing in a document may be dated after the moment it was last updated."""
    day = doc["updated_at"][:10]
    dates = [c["achieved_on"] for c in doc["institutional_changes"] if c["achieved_on"]]
    dates += [s["as_of"] for o in doc["outcomes"] for s in o["impact_history"]]
    dates += [p["date"] for p in doc["outputs"]]
    late = [d for d in dates if d > day]
    if late:
        raise ValueError(f"{doc['id']}: dated after its updated_at {doc['updated_at']}: {late}")


# ------------------------------------------------------------------ the seed-based records


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with dates and timestamps kept as text (the contract's format)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

RECORD_FIELDS = {"id", "title", "source", "country_iso3", "level", "flagship", "thematic_areas",
                 "start_date", "end_date", "updated_at", "funding", "institutional_changes",
                 "outcomes", "outputs", "later_versions"}
EDITS = {"updated_at", "source", "achieve", "add_snapshots", "add_outcomes", "add_funding",
         "add_outputs", "end_date", "deleted"}


def load_records(path: Path = RECORDS_FILE) -> dict:
    """The records file: `phase1_filler_order` and `records` (its header explains them)."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)


def _fields(part: dict, allowed: set[str], what: str) -> dict:
    """`part` itself, once known to have no field outside `allowed` (a typo is an error)."""
    if unknown := set(part) - allowed:
        raise ValueError(f"{what}: unknown field(s) {sorted(unknown)}")
    return part


def _code(value: str, codes: tuple[str, ...], what: str) -> str:
    """`value`, once known to be one of the code list `codes` (ingest.codes)."""
    if value not in codes:
        raise ValueError(f"{what} {value!r} is not in {codes}")
    return value


def _change(c: dict) -> dict:
    """An institutional change of the records file."""
    _fields(c, {"step", "title", "achieved_on", "branches", "partners", "id", "source"}, "change")
    branches = [_code(b, BRANCHES, "branch") for b in c.get("branches", ())]
    return C(c["step"], c["title"], c.get("achieved_on"), branches, c.get("partners", ()),
             id=c.get("id"))


def _history(rows: list[list]) -> list[dict]:
    """Impact snapshots from rows [as_of, persons] or [as_of, persons, women, men]."""
    return [S(*row) for row in rows]


def _outcome(o: dict) -> dict:
    """An outcome of the records file."""
    _fields(o, {"type", "branch", "expected_persons", "expected_date", "impact_history", "id",
                "source"}, "outcome")
    type_ = _code(o["type"], OUTCOME_TYPES, "outcome type")
    branch = _code(o["branch"], BRANCHES, "branch")
    return OC(type_, branch, o["expected_persons"], o["expected_date"],
              _history(o["impact_history"]), id=o.get("id"))


def _output(p: dict) -> dict:
    """An output of the records file."""
    _fields(p, {"type", "date", "count", "title", "source"}, "output")
    return P(_code(p["type"], OUTPUT_TYPES, "output type"), p["date"], p["count"], p["title"])


def _funding_rows(amounts: dict[str, dict[int, int]]) -> list[dict]:
    """Funding rows from {partner: {year: amount}}, partners in file order."""
    return [row for partner, years in amounts.items() for row in F(partner, years)]


def _one(found: list[dict], expected: str) -> dict:
    """The single change or outcome an edit is about; none or several is an error."""
    if len(found) != 1:
        raise ValueError(f"{expected}, found {len(found)}")
    return found[0]


def later_version(doc: dict, edits: dict, ids: Ids) -> dict:
    """The version after `doc`: same id, a later `updated_at` and `edits` applied to a copy."""
    what = f"{doc['id']}, later version of {edits.get('updated_at')}"
    _fields(edits, EDITS, what)
    if not edits["updated_at"] > doc["updated_at"]:
        raise ValueError(f"{what}: not later than {doc['updated_at']}")
    new = copy.deepcopy(doc)
    new["updated_at"] = edits["updated_at"]
    for prefix, day in edits.get("achieve", {}).items():
        changes = [c for c in new["institutional_changes"] if c["title"].startswith(prefix)]
        change = _one(changes, f"{what}: achieve: expected one change titled {prefix!r}...")
        change.update(status="achieved", achieved_on=day)
    for s in edits.get("add_snapshots", ()):
        key = (_fields(s, {"type", "branch", "impact_history"}, what)["type"], s["branch"])
        outcomes = [o for o in new["outcomes"] if (o["type"], o["branch"]) == key]
        outcome = _one(outcomes, f"{what}: add_snapshots: expected one outcome {key}")
        outcome["impact_history"] += _history(s["impact_history"])
    new["outcomes"] += [dict(o, id=o["id"] or ids("OC"))
                        for o in map(_outcome, edits.get("add_outcomes", ()))]
    new["funding"] += _funding_rows(edits.get("add_funding", {}))
    new["outputs"] += map(_output, edits.get("add_outputs", ()))
    new["end_date"] = edits.get("end_date", new["end_date"])
    new["deleted"] = edits.get("deleted", new["deleted"])
    _check_dates(new)
    return new


def _versions(r: dict, ids: Ids) -> list[dict]:
    """One record of the records file as its list of versions, oldest first."""
    _fields(r, RECORD_FIELDS, "record")
    doc = iv(ids, r["title"], r.get("country_iso3"), r["start_date"], r["updated_at"],
             end=r.get("end_date"), flagship=r.get("flagship", True),
             themes=r.get("thematic_areas", ()), funding=[_funding_rows(r.get("funding", {}))],
             changes=map(_change, r.get("institutional_changes", ())),
             outcomes=map(_outcome, r.get("outcomes", ())),
             outputs=map(_output, r.get("outputs", ())), level=r.get("level", "country"),
             id=r.get("id"))
    versions = [doc]
    for edits in r.get("later_versions", ()):
        versions.append(later_version(versions[-1], edits, ids))
    return versions


def file_records(records: list[dict], ids: Ids) -> list[list[dict]]:
    """The records of the records file, each as its versions; an error names the record."""
    out = []
    for n, r in enumerate(records, 1):
        try:
            out.append(_versions(r, ids))
        except (KeyError, TypeError, ValueError) as error:
            reason = f"missing field {error}" if isinstance(error, KeyError) else error
            raise ValueError(f"{RECORDS_FILE.name}, record {n} ({r.get('title')!r}): "
                             f"{reason}") from error
    return out


# ------------------------------------------------------------------- invented filler records

STEP_TITLES = {
    1: ("National social protection policy adopted",
        "Social protection strategy and implementation plan adopted",
        "National strategy for the extension of social security to the informal economy adopted",
        "Roadmap towards universal health coverage adopted",
        "National employment and social protection policy adopted"),
    2: ("Law extending social insurance to self-employed workers adopted",
        "Unemployment insurance scheme established by law",
        "Universal child benefit introduced by decree",
        "Social pension for older persons established by law",
        "Maternity benefit reform adopted (social insurance financing)",
        "Disability benefit reform adopted",
        "Employment injury insurance law adopted",
        "National health insurance law amended to cover informal economy workers"),
    3: ("Management information system of the social security institution operational",
        "Actuarial valuation adopted by the board of the social security fund",
        "Single window services opened in pilot districts",
        "Social registry interoperable with the civil registry",
        "Online contribution payment for self-employed workers launched",
        "Investment policy of the pension fund revised",
        "Tripartite board of the social security institution established"),
}
STEP_BRANCHES = {
    1: (("SA", "HEALTH", "OLD"), ("SA", "CHILD"), ("OLD", "HEALTH", "INJ"), ("HEALTH",),
        ("UNE", "SA")),
    2: (("OLD", "SICK", "MATERN", "INJ"), ("UNE",), ("CHILD",), ("OLD",), ("MATERN",),
        ("DIS",), ("INJ",), ("HEALTH",)),
    3: (("OLD", "INJ"), ("OLD", "SURV", "DIS"), ("SA",), ("SA", "CHILD"), ("OLD", "HEALTH"),
        ("OLD",), ("OLD", "INJ", "SICK")),
}
PROJECT_TITLES = (
    "Extension of social protection to workers in the informal economy",
    "Building a social protection floor",
    "Social health protection towards universal health coverage",
    "Strengthening the governance and financing of social security",
    "Social protection for migrant workers and their families",
    "Disability-inclusive social protection",
    "Unemployment protection and employment services",
    "Social protection response to crises and shocks",
)
PROJECT_THEMES = (
    ("informal_economy", "financing"), ("rights_based_systems", "social_dialogue"),
    ("social_health_protection",), ("actuarial_governance", "financing"),
    ("migrants_refugees",), ("disability_inclusion",), ("unemployment_protection",),
    ("emerging_challenges", "just_transition"),
)
PARTNERS_PHASE1 = ("Irish Aid", "Japan", "Korea", "Luxembourg", "Finland", "EU-SPS", "AFD", "RBSA")
PARTNERS_OLDER = ("Irish Aid", "Japan", "Korea", "Luxembourg", "Finland", "EU", "RBSA", "Germany")
PARTNERS_PHASE2 = ("EU", "Germany (BMZ)", "Luxembourg", "Irish Aid", "Japan", "Korea", "Finland",
                   "France", "Belgium", "Netherlands", "UN Joint SDG Fund", "UNIQLO", "Portugal",
                   "Norway", "Sweden")
OUTPUT_TITLES = {
    "knowledge_product": ("Actuarial valuation report", "Costing and fiscal space study",
                          "Legal review against Convention No. 102", "Feasibility study",
                          "Assessment-based national dialogue report"),
    "persons_trained": ("Training of social security staff", "National social protection course",
                        "Training of workers' and employers' organizations",
                        "Course on social protection statistics"),
    "ratification": ("Ratification of Convention No. 102",
                     "Ratification of Convention No. 183 (maternity protection)",
                     "Ratification of Convention No. 121 (employment injury)"),
    "other": ("National social protection week", "Communication campaign on social security",
              "Tripartite validation workshop"),
}


def _day(rng: random.Random, year: int, first_month: int = 1, last_month: int = 12) -> str:
    """A random day of `year` in those months (days 1-28, valid in every month)."""
    return f"{year}-{rng.randint(first_month, last_month):02d}-{rng.randint(1, 28):02d}"


def _stamp(rng: random.Random, day: str) -> str:
    """A random `updated_at` in office hours of `day`."""
    return f"{day}T{rng.randint(6, 18):02d}:{rng.randint(0, 59):02d}:00Z"


def _outputs(rng: random.Random, years: range, n: int, last_day: str) -> list[dict]:
    """`n` random outputs in `years`, none after `last_day`, in date order."""
    out = []
    for _ in range(n):
        t = rng.choice(OUTPUT_TYPES[:2] * 3 + OUTPUT_TYPES[2:])
        count = {"knowledge_product": rng.randint(1, 3), "persons_trained": rng.randint(12, 180),
                 "ratification": 1, "other": 1}[t]
        day = min(_day(rng, rng.choice(years)), last_day)
        out.append(P(t, day, count, rng.choice(OUTPUT_TITLES[t])))
    return sorted(out, key=lambda p: p["date"])


def _funding(rng: random.Random, partners: tuple[str, ...], years: range) -> list[list[dict]]:
    """Random funding by one or two of `partners` in some of `years`."""
    rows = []
    for partner in sorted(rng.sample(partners, rng.randint(1, 2))):
        ys = sorted(rng.sample(list(years), min(len(years), rng.randint(1, 3))))
        rows.append(F(partner, {y: rng.randrange(60_000, 900_000, 5_000) for y in ys}))
    return rows


def phase1_filler(ids: Ids, rng: random.Random, order: list[str]) -> list[list[dict]]:
    """Invented phase-1 projects (two per focus country, in `order`): outputs, funding,
    in-progress changes and better-access outcomes only, so the seed tables stay as they are."""
    if sorted(order) != sorted(PHASE1_FOCUS):
        raise ValueError(f"phase1_filler_order {order} is not ingest.reference.PHASE1_FOCUS")
    r = []
    countries = [c for c in order for _ in range(2)] + list(OTHER_COUNTRIES)
    for n, iso3 in enumerate(countries):
        k = rng.randrange(len(PROJECT_TITLES))
        start_year = rng.randint(2016, 2018)
        end_year = rng.randint(start_year + 1, 2020)
        updated = _stamp(rng, _day(rng, end_year, 7, 12) if end_year < 2020
                         else f"2020-12-{rng.randint(1, 28):02d}")
        years = range(start_year, end_year + 1)
        changes, outcomes = [], []
        if rng.random() < 0.3:
            step = rng.randint(1, 3)
            j = rng.randrange(len(STEP_TITLES[step]))
            changes.append(C(step, STEP_TITLES[step][j], None, STEP_BRANCHES[step][j]))
        if rng.random() < 0.35:
            expected = rng.randrange(5_000, 400_000, 100)
            dates = sorted({min(_day(rng, y), updated[:10])
                            for y in rng.sample(list(years), min(2, len(years)))})
            reached = sorted(rng.randrange(expected // 5, expected, 10) for _ in dates)
            history = [S(d, p) for d, p in zip(dates, reached, strict=True)]
            outcomes.append(OC("better_access", rng.choice(("SA", "HEALTH", "OLD")), expected,
                               f"{end_year}-12-31", history))
        r.append([iv(
            ids, f"{PROJECT_TITLES[k]} ({NAMES[iso3]})", iso3, f"{start_year}-01-01", updated,
            end=f"{end_year}-12-31", flagship=iso3 in PHASE1_FOCUS and n % 3 != 0,
            themes=PROJECT_THEMES[k], funding=_funding(rng, PARTNERS_PHASE1, years),
            changes=changes, outcomes=outcomes,
            outputs=_outputs(rng, years, rng.randint(1, 3), updated[:10]))])
    return r


def older_records(ids: Ids, rng: random.Random) -> list[list[dict]]:
    """Invented interventions of 2008-2015 (the RMT documents ILO work since 2008, seed
    003): achieved changes and snapshots all before 2016, so they count for no phase."""
    r = []
    countries = sorted(set(PHASE1_FOCUS) | set(OTHER_COUNTRIES) | {"PHL", "TJK", "NPL", "EGY"})
    for iso3 in rng.sample(countries, 30):
        k = rng.randrange(len(PROJECT_TITLES))
        start_year = rng.randint(2008, 2012)
        end_year = rng.randint(start_year + 1, 2015)
        last_day = _day(rng, end_year, 6, 12)
        years = range(start_year, end_year + 1)
        changes, outcomes = [], []
        for _ in range(rng.choice((0, 1, 1, 2))):
            step = rng.randint(1, 3)
            j = rng.randrange(len(STEP_TITLES[step]))
            on = min(_day(rng, rng.choice(years)), last_day)
            changes.append(C(step, STEP_TITLES[step][j], on, STEP_BRANCHES[step][j]))
        if rng.random() < 0.4:
            expected = rng.randrange(20_000, 900_000, 1_000)
            dates = sorted({min(_day(rng, y), last_day) for y in years})[-3:]
            history = [S(d, expected * i // (len(dates) + 1) // 10 * 10)
                       for i, d in enumerate(dates, 1)]
            outcomes.append(OC(rng.choice(OUTCOME_TYPES), rng.choice(BRANCHES[:10]), expected,
                              f"{end_year}-12-31", history))
        r.append([iv(
            ids, f"{PROJECT_TITLES[k]} ({NAMES[iso3]})", iso3, f"{start_year}-01-01",
            _stamp(rng, min(_day(rng, end_year + 1, 1, 6), "2015-12-30")),
            end=f"{end_year}-12-31", flagship=False, themes=PROJECT_THEMES[k],
            funding=_funding(rng, PARTNERS_OLDER, years),
            changes=changes, outcomes=outcomes,
            outputs=_outputs(rng, years, rng.randint(1, 3), last_day))])
    return r


def _split(rng: random.Random, persons: int) -> tuple[int | None, int | None]:
    """(women, men) adding up to `persons`, or (None, None) half of the time (no split)."""
    if rng.random() < 0.5:
        return None, None
    women = persons * rng.randint(35, 65) // 100
    return women, persons - women


# Invented regional and global work of phase 2 (no country): (level, title, thematic areas,
# changes, outcomes, outputs beside the random ones). A regional change is not a country
# result; a regional outcome and every output count in the programme's totals and in their
# thematic areas, in no country; the campaign's ratification outputs count the countries
# that ratified.
PHASE2_REGIONAL_GLOBAL = (
    ("regional", "Social protection for migrant workers in ASEAN",
     ("migrants_refugees", "informal_economy"),
     [C(1, "Regional declaration on the portability of social security benefits for migrant "
           "workers adopted", "2023-05-10", ("OLD", "INJ"), ("EU", "Japan"))],
     [], []),
    ("regional", "Social health protection in West and Central Africa",
     ("social_health_protection", "financing"), [],
     [OC("effective_coverage", "HEALTH", 250_000, "2025-12-31",
         [S("2023-12-31", 120_000, 70_000, 50_000), S("2024-12-31", 185_000, 104_000, 81_000)])],
     []),
    ("global", "Global Technical Team: cross-country policy advice",
     ("actuarial_governance", "financing", "statistics_monitoring"), [], [], []),
    ("global", "Global ratification campaign for Convention No. 102",
     ("rights_based_systems", "social_dialogue"), [], [],
     [P("ratification", "2022-12-31", 2, "Ratifications of Convention No. 102 in 2022"),
      P("ratification", "2024-06-30", 3, "Ratifications of Convention No. 102 in 2023-2024")]),
)


def phase2_records(ids: Ids, rng: random.Random) -> list[list[dict]]:
    """Invented phase-2 work (2021-2025) in a good share of the 50 focus countries."""
    r = []
    for iso3 in PHASE2_FOCUS:
        if rng.random() < 0.22:
            continue
        for _ in range(rng.choice((1, 1, 2))):
            k = rng.randrange(len(PROJECT_TITLES))
            start_year = rng.randint(2021, 2023)
            end_year = rng.randint(start_year + 1, 2026)
            last_day = min(f"{rng.randint(start_year + 1, 2025)}-{rng.randint(1, 12):02d}-"
                           f"{rng.randint(1, 28):02d}", "2025-06-27")
            last_year = int(last_day[:4])
            updated = _stamp(rng, last_day)
            years = range(start_year, last_year + 1)
            changes = []
            for _ in range(rng.choice((0, 1, 1, 2, 2))):
                step = rng.choices((1, 2, 3), weights=(3, 5, 6))[0]
                j = rng.randrange(len(STEP_TITLES[step]))
                on = min(_day(rng, rng.choice(years)), last_day)
                achieved = rng.random() < 0.75
                changes.append(C(step, STEP_TITLES[step][j], on if achieved else None,
                                 STEP_BRANCHES[step][j],
                                 sorted(rng.sample(PARTNERS_PHASE2, rng.randint(0, 2)))))
            outcomes = []
            for _ in range(rng.choice((0, 1, 1, 2))):
                expected = int(10 ** rng.uniform(4.3, 6.3)) // 100 * 100
                dates = sorted({min(_day(rng, y), last_day) for y in years})
                dates = dates[-rng.randint(1, min(4, len(dates))):]
                level = expected * rng.uniform(0.3, 1.0)
                history = []
                for i, d in enumerate(dates, 1):
                    persons = int(level * i / len(dates)) // 10 * 10
                    history.append(S(d, persons, *_split(rng, persons)))
                outcomes.append(OC(rng.choice(OUTCOME_TYPES), rng.choice(BRANCHES[:10]), expected,
                                  f"{end_year}-12-31", history))
            r.append([iv(
                ids, f"{PROJECT_TITLES[k]} ({NAMES[iso3]})", iso3, f"{start_year}-01-01", updated,
                end=f"{end_year}-12-31" if rng.random() < 0.7 else None,
                themes=PROJECT_THEMES[k], funding=_funding(rng, PARTNERS_PHASE2, years),
                changes=changes, outcomes=outcomes,
                outputs=_outputs(rng, years, rng.randint(1, 4), last_day))])
    for level, title, themes, changes, outcomes, outputs in PHASE2_REGIONAL_GLOBAL:
        years = range(2021, 2026)
        r.append([iv(ids, title, None, "2021-01-01", _stamp(rng, _day(rng, 2025, 1, 5)),
                     level=level, themes=themes, changes=changes, outcomes=outcomes,
                     funding=_funding(rng, PARTNERS_PHASE2, years),
                     outputs=sorted([*outputs, *_outputs(rng, range(2021, 2025),
                                                         rng.randint(2, 4), "2024-12-31")],
                                    key=lambda p: p["date"]))])
    return r


# --------------------------------------------------------------------------- exports, pages


def build_records(data: dict | None = None) -> list[list[dict]]:
    """Every intervention with its versions, oldest first: the records file's, then the filler."""
    data = data or load_records()
    ids, rng = Ids(), random.Random(SEED)
    return (file_records(data["records"], ids) + older_records(ids, rng)
            + phase1_filler(ids, rng, data["phase1_filler_order"]) + phase2_records(ids, rng))


def export_items(records: list[list[dict]], since: str | None, upto: str) -> list[dict]:
    """What the API returns at `upto` for `updated_since=since`: the current version of each
    intervention, in (updated_at, id) order."""
    items = []
    for versions in records:
        visible = [v for v in versions if v["updated_at"] < upto]
        if visible and (since is None or visible[-1]["updated_at"] > since):
            items.append(visible[-1])
    return sorted(items, key=lambda d: (d["updated_at"], d["id"]))


def page_bodies(items: list[dict], page_size: int, *, indent: int | None = 1) -> list[bytes]:
    """The API's page bodies for `items`, as bytes."""
    pages = [items[i:i + page_size] for i in range(0, len(items), page_size)] or [[]]
    out = []
    for n, chunk in enumerate(pages, 1):
        body = {"items": chunk, "page": n, "page_size": page_size, "total": len(items),
                "next_page": n + 1 if n < len(pages) else None}
        if indent is None:
            text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        else:
            text = json.dumps(body, ensure_ascii=False, indent=indent)
        out.append((text + "\n").encode("utf-8"))
    return out


def build_exports() -> dict[str, list[bytes]]:
    """Export folder name -> its page bodies."""
    records = build_records()
    return {name: page_bodies(export_items(records, since, upto), PAGE_SIZE)
            for name, (since, upto) in EXPORTS.items()}


def write_sample(out: Path = DEFAULT_OUT) -> list[Path]:
    """Write both exports under `out` (stale page files there are removed first)."""
    written = []
    for name, pages in build_exports().items():
        folder = Path(out) / name
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("page-*.json"):
            stale.unlink()
        for n, body in enumerate(pages, 1):
            path = folder / f"page-{n:04d}.json"
            path.write_bytes(body)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    """The command line: write the sample (to `--out`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    written = write_sample(args.out)
    print(f"wrote {len(written)} page files under {args.out}")


if __name__ == "__main__":
    main()
