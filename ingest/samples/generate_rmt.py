"""Generate the bundled project-report sample: `python -m ingest.samples.generate_rmt [--out DIR]`.

Writes two exports of the Results Monitoring Tool (RMT) API, each a folder of page bodies
exactly as `GET /api/v1/interventions` returns them (see shared/specs/project-reports.md):

* `2021-01-15/` a full export (no `updated_since`): phase 1 (2016-2020) and whatever
  existed by then;
* `2025-06-30/` an incremental export (`updated_since=2021-01-15T00:00:00Z`): phase-2
  work, later versions of interventions of the first export and a tombstone.

The phase-1 records are built so that the marts reproduce, to the letter, what the seeds
report (shared/seeds/000_* = ILO Flagship annual report 2017, 002_* = 2019 progress
report, 003_* = phase-2 programme document):

* the 2016-2017 country-by-step table of seed 000 (and the 2016-2019 "Programme results"
  table of seed 002, which agrees with it on 2016-2017);
* Table 1 of seed 003: over 2016-01-01..2020-12-31, step 1 in 10, step 2 in 13 and
  step 3 in 16 of the 21 phase-1 focus countries;
* Table 2 of seed 003: legal coverage 11.6 million, effective coverage 10.9 million,
  more comprehensive and adequate protection 2.6 million, from 10 reporting countries.

Each record below says which seed passage it comes from; whatever it does not attribute
(most days of the month, most amounts and people counts, all of phase 2 and the filler
projects) is INVENTED, with realistic orders of magnitude. A fixed seed and fixed
timestamps make every run write the same bytes; nothing depends on today's date.

`synthetic_pages()` builds a large contract-valid data set in memory for benchmarks; it is
never written to the sample folder.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
from collections.abc import Iterable
from pathlib import Path

SEED = 20160104
DEFAULT_OUT = Path(__file__).resolve().parent / "rmt"
PAGE_SIZE = 50

FULL_EXPORT = "2021-01-15"  # folder name; no updated_since
INCREMENTAL_EXPORT = "2025-06-30"
SINCE = "2021-01-15T00:00:00Z"  # updated_since of the incremental export
EXPORTS = {FULL_EXPORT: (None, "2021-01-15T00:00:00Z"),
           INCREMENTAL_EXPORT: (SINCE, "2025-06-30T00:00:00Z")}

PHASE1_FOCUS = ("CPV", "KHM", "CMR", "SLV", "HND", "IND", "IDN", "KGZ", "LAO", "MWI", "MOZ",
                "MMR", "NER", "PSE", "PAK", "PRY", "SEN", "TLS", "TGO", "VNM", "ZMB")
PHASE2_FOCUS = ("AGO", "ALB", "BDI", "BFA", "BRB", "CIV", "CMR", "COD", "CPV", "ECU", "EGY",
                "ETH", "GHA", "IDN", "IND", "IRQ", "JOR", "KEN", "KGZ", "KHM", "LAO", "LBN",
                "MAR", "MDG", "MOZ", "MWI", "NGA", "NPL", "PAK", "PHL", "PRY", "PSE", "RWA",
                "SDN", "SEN", "SLE", "SLV", "SUR", "SWZ", "TGO", "TJK", "TLS", "TZA", "UGA",
                "UKR", "UZB", "VNM", "WSM", "ZAF", "ZMB")
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

BRANCHES = ("CHILD", "MATERN", "SICK", "HEALTH", "DIS", "OLD", "SURV", "UNE", "INJ", "SA", "LTC")
OUTCOME_TYPES = ("legal_coverage", "effective_coverage", "adequacy", "comprehensiveness",
                 "better_access")
OUTPUT_TYPES = ("knowledge_product", "persons_trained", "ratification", "other")
# The 16 thematic areas of Table 4 of seed 003, as slugs.
THEMES = ("social_health_protection", "unemployment_protection", "old_age_pensions",
          "social_dialogue", "statistics_monitoring", "financing", "rights_based_systems",
          "actuarial_governance", "digital_transformation", "emerging_challenges",
          "culture_of_social_protection", "informal_economy", "disability_inclusion",
          "migrants_refugees", "just_transition", "gender_equality")

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
    if women is not None and men is not None:
        assert women + men == persons, (as_of, persons)
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
    if level != "country":
        assert iso3 is None
    changes = [dict(c, id=c["id"] or ids("IC")) for c in changes]
    outcomes = [dict(o, id=o["id"] or ids("OC")) for o in outcomes]
    doc = {
        "id": id or ids("RMT"), "title": title, "country_iso3": iso3, "level": level,
        "flagship": flagship, "thematic_areas": list(themes), "start_date": start,
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
    assert not late, (doc["id"], doc["updated_at"], late)


def revise(doc: dict, updated: str, edit) -> dict:
    """A later version of `doc`: same id, later `updated_at`, content changed by `edit`."""
    assert updated > doc["updated_at"]
    new = copy.deepcopy(doc)
    new["updated_at"] = updated
    edit(new)
    _check_dates(new)
    return new


def tombstone(doc: dict, updated: str) -> dict:
    """The document as the API sends it once deleted: same content, `deleted: true`."""
    return revise(doc, updated, lambda d: d.update(deleted=True))


def _change(doc: dict, title_start: str) -> dict:
    return next(c for c in doc["institutional_changes"] if c["title"].startswith(title_start))


def _outcome(doc: dict, type_: str, branch: str) -> dict:
    return next(o for o in doc["outcomes"] if o["type"] == type_ and o["branch"] == branch)


# ------------------------------------------------------------------------ seed-based records

EU, AFD, IRISH, JAPAN, KOREA, PORTUGAL, OECD = (
    "EU-SPS", "AFD", "Irish Aid", "Japan", "Korea", "ACTION/Portugal", "OECD")
LUX, FINLAND, JSDGF = "Luxembourg", "Finland", "UN Joint SDG Fund"


def phase1_records(ids: Ids) -> list[list[dict]]:
    """The seed-based interventions, each as its list of versions (oldest first).

    Achieved changes inside 2016-2020 in phase-1 focus countries come ONLY from here: the
    years follow the country-by-step table of seed 000 (2016-2017) and the "Programme
    results" table of seed 002 (2018-2019); 2020 is invented to reach Table 1 of seed 003.
    """
    r: list[list[dict]] = []

    # --- Cambodia -------------------------------------------------------------------------
    # The spec's example record. Seed 000, step 3: "The NSSF's social health insurance (SHI)
    # scheme was launched in late 2016 ... maternity and sick leave benefits were also
    # introduced. As of August 2017, approximately 910,000 workers were registered ... by the
    # end of 2017, all 1.1 million NSSF members will be registered. Starting January 2018,
    # the NSSF will begin expanding beyond this base, to workers currently in informal
    # employment ... financed through an EU SPS and AFD projects." Seed 000, last pages: the
    # RMT screenshot of this outcome: type "Better access", branch health care / sickness,
    # expected 1 100 000 by 31.12.2017, impact history 01.01.2017 and 31.08.2017: 910 000.
    # Table (000): Cambodia step 2 in 2016, step 3 in 2016 and 2017.
    khm_shi = iv(
        ids, "Extension of social health protection to NSSF members", "KHM", "2016-01-01",
        "2020-07-15T08:30:00Z", id="RMT-000123",
        themes=("social_health_protection", "informal_economy"),
        funding=(F(EU, {2016: 850_000, 2017: 1_200_000}),
                 F(AFD, {2016: 600_000, 2017: 650_000, 2018: 400_000}),
                 F("Weave our Future (Auchan)", {2017: 150_000, 2018: 120_000})),
        changes=(
            # Table 000: step 2 in 2016 (the text gives no detail: title and day invented).
            C(2, "Legal basis of the NSSF social health insurance scheme adopted (prakas)",
              "2016-06-15", ("HEALTH", "SICK", "MATERN"), (AFD, EU)),
            C(3, "NSSF social health insurance scheme launched", "2016-11-01",
              ("HEALTH", "SICK", "MATERN"), (AFD, EU), id="IC-000456"),
            # Table 000: step 3 in 2017 — the registration of NSSF members (910,000 by 08/2017).
            C(3, "NSSF health insurance registration rolled out to member enterprises",
              "2017-08-31", ("HEALTH",), (AFD, EU)),
            # "Starting January 2018 ... expanding to workers in informal employment": still
            # in progress at the full export; achieved in the later version (invented date).
            C(2, "Extension of NSSF health insurance to workers in informal employment", None,
              ("HEALTH",), (EU,)),
        ),
        outcomes=(
            # better_access, as the RMT screenshot in seed 000 records it (the outcome is
            # "workers registered" and the report counts it as better access, not coverage).
            OC("better_access", "HEALTH", 1_100_000, "2017-12-31", [
                S("2017-01-01", 0), S("2017-08-31", 910_000),
                S("2018-12-31", 1_180_000), S("2020-06-30", 1_530_000, 1_224_000, 306_000)],
              id="OC-000789"),
            # Maternity and sick-leave cash benefits added for the same workers (invented
            # figures after the seed's 910,000): counts as more comprehensive protection.
            OC("comprehensiveness", "SICK", 1_100_000, "2018-12-31", [
                S("2017-08-31", 910_000), S("2018-12-31", 1_180_000),
                S("2020-06-30", 1_530_000, 1_224_000, 306_000)]),
        ),
        outputs=(
            P("knowledge_product", "2016-03-31", 1,
              "Feasibility study and operational design of the NSSF social health insurance"),
            # Seed 000, "Culture of social protection": Weave our Future campaign, 2017.
            P("other", "2017-09-30", 1,
              "Awareness campaign on NSSF benefits with the Weave our Future foundation"),
            P("persons_trained", "2018-05-18", 60, "Training of NSSF staff on SHI claims"),
        ))

    def khm_shi_2025(d: dict) -> None:
        # LATER VERSION (invented): the extension to informal workers is achieved in phase 2,
        # and the health insurance outcome gets phase-2 snapshots. Nothing dated inside
        # phase 1 changes, so the phase-1 figures are the same before and after.
        c = _change(d, "Extension of NSSF health insurance")
        c.update(status="achieved", achieved_on="2023-07-01")
        _outcome(d, "better_access", "HEALTH")["impact_history"] += [
            S("2021-12-31", 1_780_000), S("2023-12-31", 2_040_000),
            S("2024-12-31", 2_310_000, 1_640_000, 670_000)]
        _outcome(d, "comprehensiveness", "SICK")["impact_history"].append(
            S("2022-06-30", 1_840_000))
        d["funding"] += F(KOREA, {2022: 300_000, 2023: 300_000})
        d["outputs"].append(P("persons_trained", "2023-11-24", 85,
                              "Training of NSSF registration officers for self-employed"))
    r.append([khm_shi, revise(khm_shi, "2025-03-14T10:05:00Z", khm_shi_2025)])

    r.append([iv(
        ids, "National Social Protection Policy Framework 2016-2025 and social security law",
        "KHM", "2016-01-01", "2021-01-11T14:20:00Z",
        themes=("rights_based_systems", "old_age_pensions", "financing"),
        funding=(F(KOREA, {2016: 250_000, 2017: 300_000, 2018: 280_000}),
                 F(EU, {2017: 400_000}), F(AFD, {2017: 200_000, 2018: 150_000})),
        changes=(
            # Seed 000, step 1: "approved by the Council of Ministers on 24 March 2017 ...
            # in collaboration with UNICEF, GIZ ... support from EU-SPS, AFD and ILO-Korea".
            C(1, "National Social Protection Policy Framework 2016-2025 approved by the "
                 "Council of Ministers", "2017-03-24", ("SA", "HEALTH", "OLD"),
              ("UNICEF", "GIZ", EU, AFD, KOREA)),
            # Seed 002 table: Cambodia step 2 in 2018 (no detail: title and day invented).
            C(2, "Sub-decree on the pension scheme for persons under the Labour Law",
              "2018-09-28", ("OLD", "DIS", "SURV"), (KOREA,)),
            # Seed 002: "the draft law on social security which was adopted ... on 5th
            # November 2019".
            C(2, "Law on Social Security adopted", "2019-11-05",
              ("OLD", "DIS", "SURV", "HEALTH", "INJ"), (KOREA, EU)),
            # Invented (seed 002 mentions the "on-going development of the administration
            # modernization plan for the NSSF").
            C(3, "NSSF administration modernization plan adopted", "2020-09-30", ("OLD",), ()),
        ),
        outcomes=(
            # Legal coverage of the 2019 law (invented figures).
            OC("legal_coverage", "OLD", 2_800_000, "2022-12-31", [
                S("2019-11-05", 2_420_000), S("2020-12-31", 2_585_000, 1_396_000, 1_189_000)]),
        ),
        outputs=(
            P("knowledge_product", "2016-10-31", 1,
              "Costing of the social assistance pillar of the NSPF"),
            # Seed 002: training on monitoring and evaluation for social protection (SDG 1.3).
            P("persons_trained", "2019-08-30", 45,
              "Training on monitoring and evaluation of social protection (SDG 1.3)"),
        ))])

    # Pre-2016 record (RMT documents interventions since 2008; seed 003). Outside any
    # phase window: must not count. Invented.
    r.append([iv(
        ids, "Employment injury insurance for NSSF members", "KHM", "2008-01-01",
        "2016-02-10T09:00:00Z", end="2011-12-31", flagship=False, themes=("rights_based_systems",),
        funding=(F("Germany", {2008: 180_000, 2009: 210_000}),),
        changes=(C(3, "NSSF employment injury insurance operational", "2008-11-03", ("INJ",),
                   ("GIZ",)),),
        outputs=(P("knowledge_product", "2009-06-30", 1,
                   "Actuarial valuation of the employment injury scheme"),))])

    # --- Viet Nam -------------------------------------------------------------------------
    # Seed 000, step 1: "In April 2017, the Government adopted a Master Plan on Social
    # Assistance Reform (MPSAR) ... ILO, with support from its Irish Aid project, provided a
    # costing ... preparing the Master Plan on Social Insurance Reform (MPSIR). The ILO, with
    # financial support from Japan ...". Step 2: "The Decree on Mandatory Social Insurance for
    # Migrant workers was drafted and submitted ... expected to be adopted by the end of
    # 2017" (advanced, not finished: in progress). Seed 002: MPSIR "launched in May 2018";
    # action plan of the MPSAR; table: Viet Nam step 1 in 2017, 2018 and 2019.
    r.append([iv(
        ids, "Social assistance and social insurance reform (MPSAR, MPSIR)", "VNM",
        "2016-01-01", "2020-09-04T10:12:00Z",
        themes=("informal_economy", "old_age_pensions", "financing"),
        funding=(F(IRISH, {2016: 420_000, 2017: 450_000, 2018: 300_000}),
                 F(JAPAN, {2017: 350_000, 2018: 400_000, 2019: 380_000, 2020: 250_000}),
                 F(LUX, {2019: 200_000})),
        changes=(
            C(1, "Master Plan on Social Assistance Reform (MPSAR) 2016-2025 adopted",
              "2017-04-14", ("SA", "CHILD", "DIS", "OLD"), (IRISH, "UNICEF", "UNDP")),
            C(1, "Master Plan on Social Insurance Reform (MPSIR) adopted", "2018-05-23",
              ("OLD", "SURV", "SICK", "MATERN"), (JAPAN,)),
            C(1, "Action plan for the implementation of the MPSAR adopted", "2019-06-20",
              ("SA",), (IRISH,)),
            C(2, "Decree on mandatory social insurance for migrant workers", None,
              ("OLD", "SICK", "MATERN", "INJ"), (JAPAN,)),
        ),
        outcomes=(
            # Invented figures.
            OC("effective_coverage", "OLD", 1_500_000, "2021-12-31", [
                S("2018-12-31", 274_000), S("2019-12-31", 571_000),
                S("2020-06-30", 742_000, 395_000, 347_000)]),
            OC("adequacy", "SA", 650_000, "2020-12-31", [
                S("2018-12-31", 512_000), S("2020-06-30", 598_000)]),
        ),
        outputs=(
            P("knowledge_product", "2017-02-28", 1,
              "Costing of the overall benefits package of the MPSAR"),
            # Seed 002: "The ILO delivered 10 major technical notes".
            P("knowledge_product", "2018-03-30", 10, "Technical notes for the MPSIR"),
            P("other", "2018-10-25", 1,
              "National orientation workshop on the Health Insurance Law revision"),
        ))])

    # --- Zambia ---------------------------------------------------------------------------
    # Seed 000, step 1: the IFBSPP "is scheduled to be launched in November 2017 during the
    # social protection week in Lusaka ... supported by the ILO through a partnership with
    # Irish Aid and a UN Joint Programme". Legal support: "the draft National Social
    # Protection Bill ... submitted to Parliament ... pending endorsement" (in progress).
    # Seed 002: single-window service in Lunga and Samfya districts (2018-2019), >270 people
    # trained in 2019; table: Zambia step 1 2017, steps 2 and 3 2018, step 3 2019.
    r.append([iv(
        ids, "Integrated framework for basic social protection and single window services",
        "ZMB", "2016-01-01", "2020-11-27T11:45:00Z",
        themes=("rights_based_systems", "digital_transformation", "culture_of_social_protection"),
        funding=(F(IRISH, {2016: 380_000, 2017: 420_000, 2018: 450_000, 2019: 400_000}),
                 F("UN Joint Programme (SIDA, Finland, DFID)", {2017: 600_000, 2019: 750_000})),
        changes=(
            C(1, "Integrated Framework for Basic Social Protection Programmes launched",
              "2017-11-14", ("SA", "CHILD", "DIS", "OLD"), (IRISH, "UN Joint Programme")),
            C(2, "National Social Protection Bill", None, ("SA", "OLD", "HEALTH"), (IRISH,)),
            C(3, "Single window service mechanism designed for Luapula pilot districts",
              "2018-10-31", ("SA",), (IRISH, "UNICEF")),
            C(3, "Single window services operational in Lunga and Samfya districts",
              "2019-09-30", ("SA",), (IRISH, "UNICEF", "WFP")),
        ),
        outputs=(
            P("other", "2017-11-17", 1, "Zambia National Social Protection Week (2nd edition)"),
            P("persons_trained", "2019-11-29", 270,
              "Training on single window service delivery (TRANSFORM)"),
        ))])
    # Seed 002: "the National Health Insurance (NHI) bill, that was signed into law in April
    # 2018". Outcome figures invented; a snapshot on 2021-01-01 sits just outside phase 1.
    r.append([iv(
        ids, "National Health Insurance Scheme", "ZMB", "2017-01-01", "2021-01-12T16:40:00Z",
        themes=("social_health_protection", "informal_economy"),
        funding=(F(IRISH, {2017: 250_000, 2018: 300_000}),
                 F("UN Joint Programme (SIDA, Finland, DFID)", {2019: 200_000, 2020: 180_000})),
        changes=(C(2, "National Health Insurance Act signed into law", "2018-04-13",
                   ("HEALTH",), (IRISH,)),),
        outcomes=(
            OC("legal_coverage", "HEALTH", 3_000_000, "2022-12-31", [
                S("2018-12-31", 1_050_000), S("2019-12-31", 1_430_000),
                S("2020-12-31", 1_716_000)]),
            OC("effective_coverage", "HEALTH", 1_500_000, "2021-12-31", [
                S("2019-12-31", 611_000), S("2020-12-31", 905_000, 371_000, 534_000),
                S("2021-01-01", 910_200)]),
        ),
        outputs=(P("knowledge_product", "2017-06-30", 1,
                   "Actuarial valuation of the proposed national health insurance"),))])

    # --- Timor-Leste ----------------------------------------------------------------------
    # Seed 000, step 2: "The Parliament of Timor-Leste approved the General Social Security
    # Law (Law 12/2016) ... The Parliament approved the regulations for contributions and
    # benefits in May 2017. The participation in the new scheme is mandatory as of 1st
    # August 2017, and it aims at covering from 40'000 to 70'000 workers by January 2018 ...
    # financed through the ACTION Portugal project." Seed 002: "more than 70,000 public and
    # private sectors workers ... covered". Table (000): step 2 in 2016 and 2017.
    tls_ss = iv(
        ids, "Contributory social security regime (General Social Security Law)", "TLS",
        "2016-01-01", "2021-01-13T07:55:00Z",
        themes=("old_age_pensions", "rights_based_systems"),
        funding=(F(PORTUGAL, {2016: 500_000, 2017: 550_000, 2018: 450_000, 2019: 400_000,
                              2020: 350_000}),),
        changes=(
            C(2, "General Social Security Law (Law 12/2016) approved by Parliament",
              "2016-11-14", ("OLD", "DIS", "SURV", "MATERN"), (PORTUGAL,)),
            C(2, "Regulations on contributions and benefits approved by Parliament",
              "2017-05-24", ("OLD", "DIS", "SURV", "MATERN"), (PORTUGAL,)),
            # Invented: step 3 in 2020 (one of the two invented 2020 step-3 countries).
            C(3, "Online registration and contribution declaration for employers (INSS)",
              "2020-10-01", ("OLD",), (PORTUGAL,)),
        ),
        outcomes=(
            OC("legal_coverage", "OLD", 70_000, "2018-01-31", [
                S("2017-08-01", 63_800), S("2018-01-31", 66_900),
                S("2019-12-31", 79_400, 33_700, 45_700), S("2020-12-31", 82_300, 35_100, 47_200)]),
            OC("effective_coverage", "OLD", 70_000, "2019-12-31", [
                S("2018-01-31", 41_200), S("2019-12-31", 70_600, 29_900, 40_700),
                S("2020-12-31", 74_300)]),
        ),
        outputs=(P("knowledge_product", "2016-08-31", 1,
                   "Actuarial study of the contributory regime"),))

    def tls_2024(d: dict) -> None:
        # LATER VERSION (invented): phase-2 snapshots only.
        _outcome(d, "effective_coverage", "OLD")["impact_history"] += [
            S("2022-12-31", 86_200, 36_900, 49_300), S("2024-09-30", 95_800)]
        _outcome(d, "legal_coverage", "OLD")["impact_history"].append(S("2022-12-31", 91_600))
        d["funding"] += F(PORTUGAL, {2021: 300_000, 2022: 300_000})
    r.append([tls_ss, revise(tls_ss, "2024-11-20T15:30:00Z", tls_2024)])

    # Seed 000, step 1: "The ABND has been carried out and the final report has been shared
    # with the Government for their endorsement in 2018." Seed 002: "the National Social
    # Protection Strategy that was finalized in December 2018"; table: step 1 in 2019.
    r.append([iv(
        ids, "Assessment-based national dialogue and national social protection strategy",
        "TLS", "2016-06-01", "2019-07-02T09:10:00Z", end="2019-06-30",
        themes=("social_dialogue", "financing"),
        funding=(F(PORTUGAL, {2017: 150_000, 2018: 120_000}),),
        changes=(C(1, "National Social Protection Strategy approved", "2019-03-12",
                   ("SA", "OLD", "CHILD", "DIS"), (PORTUGAL,)),),
        outputs=(P("knowledge_product", "2017-09-29", 1,
                   "Assessment-based national dialogue report"),))])

    # --- Occupied Palestinian Territory ---------------------------------------------------
    # Seed 000, step 3: "The new social security institution, the Palestinian Social Security
    # Corporation (PSSC), is being established ... extension of old-age, disability and death
    # benefits, as well as employment injury benefits and maternity benefits to more than
    # 80'000 workers ... in 2018-2019 and to more than 330'000 by 2025. ILO's support
    # represents a total budget of USD 3.7 million of which USD 1.85 million have been
    # secured thanks to the contribution from Government of Kuwait USD 700'000; Qatar USD 1
    # million, and ILO-South-South and Triangular Cooperation funds USD 150'000." (The
    # year of the contributions is not given: 2017, the report's year.) Step 1: "A national
    # diagnostic study ... will be endorsed by tripartite stakeholders in December 2017. It is
    # the first step of a national dialogue process" (in progress). Table (000): step 2 in
    # 2016 (the text gives no detail: the 2016 social security law by decree, day invented),
    # step 3 in 2017.
    r.append([iv(
        ids, "Establishment of the Palestinian Social Security Corporation", "PSE",
        "2016-01-01", "2019-02-26T13:00:00Z",
        themes=("rights_based_systems", "old_age_pensions"),
        funding=(F("Kuwait", {2017: 700_000}), F("Qatar", {2017: 1_000_000}),
                 F("ILO South-South and Triangular Cooperation", {2017: 150_000})),
        changes=(
            C(2, "Social security law for private sector workers and their families",
              "2016-09-29", ("OLD", "DIS", "SURV", "INJ", "MATERN"), ()),
            C(3, "Palestinian Social Security Corporation established", "2017-07-11",
              ("OLD", "DIS", "SURV", "INJ", "MATERN"), ("Kuwait", "Qatar")),
            C(1, "National social protection floor strategy", None, ("SA", "HEALTH", "OLD"), ()),
        ),
        outcomes=(
            OC("legal_coverage", "OLD", 330_000, "2025-12-31", [
                S("2018-12-31", 84_500, 22_800, 61_700)]),
        ),
        outputs=(P("knowledge_product", "2017-12-14", 1,
                   "National social protection diagnostic study"),))])

    # --- El Salvador ----------------------------------------------------------------------
    # Seed 000, step 2: "In June 2017, the tripartite board of directors of the Salvadorian
    # institute of social security approved the Régimen de Salvadoreños en el Exterior
    # (SALVEX) ... coverage to the families of 5'000 workers every year ... objective ...
    # 200'000 families." Seed 002: ISSS extends coverage to dependants aged 12 to 18,
    # "effective from 2020 and will increase coverage by about 75 thousand people"; table:
    # step 2 in 2017 and 2019.
    r.append([iv(
        ids, "Extension of ISSS social security coverage", "SLV", "2016-03-01",
        "2020-08-19T16:05:00Z", themes=("migrants_refugees", "social_health_protection"),
        funding=(F("RBSA", {2017: 120_000, 2019: 90_000}),),
        changes=(
            C(2, "Régimen de Salvadoreños en el Exterior (SALVEX) approved by the ISSS board",
              "2017-06-22", ("HEALTH", "MATERN", "SICK"), ()),
            C(2, "ISSS coverage extended to dependants aged 12 to 18", "2019-10-15",
              ("HEALTH",), ()),
        ),
        outcomes=(
            OC("legal_coverage", "HEALTH", 200_000, "2025-12-31", [
                S("2017-12-31", 2_300), S("2018-12-31", 7_100), S("2020-06-30", 14_800)]),
            OC("legal_coverage", "HEALTH", 75_000, "2020-01-01", [
                S("2020-01-01", 74_600, 36_800, 37_800)]),
        ),
        outputs=(P("knowledge_product", "2019-04-30", 1,
                   "Actuarial study of the schemes administered by the ISSS"),))])

    # --- Cabo Verde -----------------------------------------------------------------------
    # Seed 000, step 3: "In November 2016, the government of Cabo Verde approved an action
    # plan for the implementation of a single register ... The ILO, with support from the
    # ACTION-Portugal project". Seed 002: Single Social Registry, >270 people across 22
    # municipalities trained in 2018/19, ratification of Convention No. 102 approved in July
    # 2019. Tables: step 3 in 2016, 2017 and 2019, step 2 in 2018 (2017 and 2018 invented).
    r.append([iv(
        ids, "Single social register and non-contributory schemes", "CPV", "2016-01-01",
        "2020-03-05T10:25:00Z", themes=("digital_transformation", "rights_based_systems"),
        funding=(F(PORTUGAL, {2016: 200_000, 2017: 240_000, 2018: 260_000, 2019: 220_000}),),
        changes=(
            C(3, "Action plan for the implementation of the single social register approved",
              "2016-11-22", ("SA",), (PORTUGAL,)),
            C(3, "Single register methodology applied to enrol beneficiaries of the new "
                 "non-contributory schemes", "2017-09-15", ("SA", "OLD"), (PORTUGAL,)),
            C(2, "Decree-law regulating the single social register", "2018-06-07", ("SA",),
              (PORTUGAL,)),
            C(3, "Single social registry implemented in 22 municipalities", "2019-10-31",
              ("SA",), (PORTUGAL,)),
        ),
        outcomes=(OC("better_access", "SA", 90_000, "2020-12-31", [
            S("2018-12-31", 41_300), S("2020-01-31", 68_900, 37_200, 31_700)]),),
        outputs=(
            P("persons_trained", "2019-06-28", 270,
              "Training on the new beneficiary identification system (22 municipalities)"),
            P("ratification", "2019-07-18", 1,
              "Ratification of Convention No. 102 approved by the National Assembly"),
        ))])

    # --- Cameroon -------------------------------------------------------------------------
    # Seed 000, step 3: "In November 2016, the government of Comeroon adopted a new national
    # methodology to identify vulnerable and poor people ... 15'000 additional beneficiaries
    # are expected to be identified and registered by 2018." The table has Cameroon's step 3
    # tick in 2017 only (none in 2016), and the table is what counts: the change is dated
    # in 2017 (its first application; day invented). Step 2: "designed a new social health
    # protection scheme ... The new Law on universal health coverage is scheduled to be
    # discussed in Parliament in November 2017" (in progress; the health section's "adopted
    # in October 2016" is the design, not a law: the table has no step-2 tick). Seed 002:
    # UHC characteristics approved in March 2019, registration tools and mobile contribution
    # payment, HIV testing of 47,553 people (men 28,532, women 19,021); table: steps 1 and 3
    # in 2018.
    r.append([iv(
        ids, "Universal health coverage and identification of poor and vulnerable people",
        "CMR", "2016-01-01", "2020-05-14T08:40:00Z",
        themes=("social_health_protection", "informal_economy"),
        funding=(F("RBSA", {2017: 150_000, 2018: 180_000}), F("United States", {2019: 220_000}),
                 F("UNAIDS", {2018: 60_000, 2019: 60_000})),
        changes=(
            C(3, "National methodology to identify poor and vulnerable people applied",
              "2017-02-15", ("SA",), ()),
            C(1, "Universal health coverage strategy validated by the national steering "
                 "committee", "2018-11-20", ("HEALTH",), ("WHO", "UNICEF")),
            C(3, "Registration tools and mobile payment of contributions for informal economy "
                 "workers", "2018-12-10", ("HEALTH",), ()),
            C(2, "Law on universal health coverage", None, ("HEALTH", "MATERN"), ("WHO",)),
        ),
        outcomes=(
            OC("better_access", "SA", 15_000, "2018-12-31", [S("2018-12-31", 15_400)]),
            OC("better_access", "HEALTH", 50_000, "2019-12-31", [
                S("2019-12-31", 47_553, 19_021, 28_532)]),
            OC("legal_coverage", "HEALTH", 4_000_000, "2025-12-31", []),
        ),
        outputs=(P("knowledge_product", "2016-09-30", 1,
                   "Assessment of the health financing system"),))])

    # --- Indonesia ------------------------------------------------------------------------
    # Seed 000, step 3: "9 million workers are active contributors to the new pension scheme
    # (launched in July 2015). The ILO, through its Japan funded project on social protection
    # in ASEAN, supported the review and capacity building of the social security inspection
    # system". Seed 002: Ministerial Decree No. 18/2018 on social security for migrant
    # workers; PERISAI workshop in East Java, May 2018; table: step 3 in 2017, steps 2 and 3
    # in 2019. The July 2015 launch is outside phase 1: it must not count.
    r.append([iv(
        ids, "Extension of the national social security system (BPJS Ketenagakerjaan)", "IDN",
        "2014-06-01", "2020-02-21T06:35:00Z",
        themes=("old_age_pensions", "informal_economy", "migrants_refugees"),
        funding=(F(JAPAN, {2015: 300_000, 2016: 420_000, 2017: 450_000, 2018: 380_000,
                           2019: 350_000}),),
        changes=(
            C(2, "Pension programme (Jaminan Pensiun) launched for formal sector workers",
              "2015-07-01", ("OLD", "SURV", "DIS"), (JAPAN,)),
            C(3, "Social security inspection system reviewed and strengthened", "2017-06-30",
              ("OLD", "INJ"), (JAPAN,)),
            C(2, "Ministerial decree No. 18/2018 on social security for migrant workers",
              "2019-01-15", ("OLD", "INJ", "SURV"), (JAPAN,)),
            C(3, "Social security agents (PERISAI) extended to informal workers", "2019-08-30",
              ("OLD", "INJ"), (JAPAN,)),
        ),
        outcomes=(
            OC("effective_coverage", "OLD", 12_000_000, "2019-12-31", [
                S("2016-06-30", 7_950_000), S("2017-10-31", 9_000_000)]),
            OC("legal_coverage", "OLD", 9_000_000, "2023-12-31", [S("2019-12-31", 6_446_000)]),
        ),
        outputs=(
            P("other", "2018-05-16", 1,
              "Sensitisation workshop with BPJS and social security agents, East Java"),
            P("knowledge_product", "2019-10-31", 1,
              "Social protection and firm-level performance (study)"),
        ))])

    # --- Myanmar --------------------------------------------------------------------------
    # Seed 000, step 3: "a Management Information System (MIS) for social health protection
    # scheme is currently being implemented with the financial support of Korea"; step 2:
    # the February 2017 Maternal and Child Cash Transfer and social pension for persons aged
    # 90+, "the legal framework has not yet been adopted" (in progress). Seed 002: M&E
    # framework for the Social Security Board; table: step 3 in 2017 and 2019.
    r.append([iv(
        ids, "Social health protection information system and social security reform", "MMR",
        "2016-01-01", "2020-01-30T12:00:00Z",
        themes=("social_health_protection", "digital_transformation", "statistics_monitoring"),
        funding=(F(KOREA, {2016: 300_000, 2017: 350_000, 2018: 300_000}),
                 F(LUX, {2018: 250_000, 2019: 250_000})),
        changes=(
            C(3, "Management information system for the social health protection scheme",
              "2017-09-29", ("HEALTH",), (KOREA,)),
            C(2, "Legal framework of the maternal and child cash transfer and social pension",
              None, ("CHILD", "MATERN", "OLD"), ()),
            C(3, "Monitoring and evaluation framework of the Social Security Board adopted",
              "2019-06-14", ("HEALTH", "INJ"), (LUX,)),
        ),
        outcomes=(OC("better_access", "HEALTH", 1_500_000, "2020-12-31", [
            S("2018-06-30", 820_000), S("2019-12-31", 1_210_000)]),),
        outputs=(
            P("other", "2016-12-15", 1, "How-to guide for drafting social security law applied"),
            P("persons_trained", "2019-05-24", 140,
              "Awareness raising on social security registration, Mandalay and Yangon"),
        ))])

    # --- Pakistan -------------------------------------------------------------------------
    # Seed 000, step 3: "The first ever One-Window-Operation for Social Protection in Khyber
    # Pukhtunkhwa Province is being piloted in two districts (Nowshera and Lower Dir) with 300
    # social protection beneficiary households ... financially assisted by the Japan Social
    # Safety Net programme. GIZ, ILO and the government of KP". Table (000): Pakistan step 1 in
    # 2016 (no detail in the text: title and day invented), step 3 in 2017.
    pak_kp = iv(
        ids, "One-Window Operation for social protection, Khyber Pakhtunkhwa", "PAK",
        "2016-01-01", "2019-12-12T05:50:00Z", themes=("informal_economy", "digital_transformation"),
        funding=(F("Japan Social Safety Net (JSSN)",
                   {2016: 220_000, 2017: 260_000, 2018: 150_000}),),
        changes=(
            C(1, "Provincial social protection strategy adopted (Khyber Pakhtunkhwa)",
              "2016-08-30", ("SA",), ("GIZ",)),
            C(3, "One-Window Operation piloted in Nowshera and Lower Dir", "2017-05-31",
              ("SA",), ("Japan Social Safety Net (JSSN)", "GIZ")),
        ),
        outcomes=(OC("better_access", "SA", 1_900, "2018-12-31", [S("2017-12-31", 1_860)]),),
        outputs=(P("other", "2019-11-15", 1,
                   "Awareness raising for 300 households on One Window Office services"),))
    r.append([pak_kp])
    # The same pilot entered a second time by another project team (same country, step and
    # year as above, so the country tables hold with or without it). TOMBSTONE in the
    # incremental export: same id, later updated_at, "deleted": true, rest unchanged.
    pak_dup = iv(
        ids, "One Window Operation pilot (Nowshera, Lower Dir)", "PAK", "2016-07-01",
        "2018-03-09T11:20:00Z", themes=("informal_economy",),
        funding=(F("Japan Social Safety Net (JSSN)", {2017: 90_000}),),
        changes=(C(3, "One Window Operation pilot in two districts of KP", "2017-05-31",
                   ("SA",), ("Japan Social Safety Net (JSSN)",)),),
        outputs=(P("knowledge_product", "2017-10-31", 1,
                   "Vulnerability assessment of One-Window beneficiaries"),))
    r.append([pak_dup, tombstone(pak_dup, "2021-03-02T08:15:00Z")])
    # Seed 000: "The national Government launched in 2016 the Social Protection Management
    # Information System ... the ILO ... is currently supporting its implementation" (the
    # table has no 2016 step-3 tick for Pakistan: in progress). Seed 002: EHSAAS launched in
    # March 2019; table: step 1 in 2019.
    pak_nat = iv(
        ids, "National social protection MIS and poverty alleviation framework (EHSAAS)",
        "PAK", "2016-01-01", "2020-10-06T09:30:00Z",
        themes=("digital_transformation", "statistics_monitoring"),
        funding=(F("Italy", {2019: 200_000, 2020: 180_000}), F("RBSA", {2018: 80_000})),
        changes=(
            C(3, "National social protection management information system", None, ("SA",), ()),
            C(1, "National poverty alleviation policy framework (EHSAAS) launched",
              "2019-03-27", ("SA", "CHILD", "HEALTH"), ()),
        ),
        outcomes=(OC("effective_coverage", "SA", 8_000_000, "2023-12-31", []),),
        outputs=(P("persons_trained", "2019-12-05", 30,
                   "Training on data collection and analysis for SDG 1.3"),))

    def pak_2023(d: dict) -> None:
        # LATER VERSION (invented): phase-2 snapshots of the EHSAAS outcome.
        _outcome(d, "effective_coverage", "SA")["impact_history"] += [
            S("2021-06-30", 4_300_000), S("2022-06-30", 6_100_000, 3_660_000, 2_440_000),
            S("2023-06-30", 7_250_000)]
        d["end_date"] = "2023-06-30"
    r.append([pak_nat, revise(pak_nat, "2023-09-18T07:45:00Z", pak_2023)])

    # --- Mozambique -----------------------------------------------------------------------
    # Table (000): Mozambique steps 1 and 2 in 2016 (the text gives no detail: the basic
    # social security strategy ENSSB II 2016-2024 and a regulation, days invented). Seed 000,
    # culture: the film "Being Someone", Social Protection Week of October 2016. Seed 002:
    # ENSSO 2019-2024, e-INAS MIS, two rounds of training of twelve INSS senior staff;
    # table: step 3 in 2018, step 1 in 2019.
    r.append([iv(
        ids, "Basic social security strategy and INAS operations", "MOZ", "2016-01-01",
        "2020-11-03T13:15:00Z",
        themes=("digital_transformation", "culture_of_social_protection", "financing"),
        funding=(F(IRISH, {2016: 350_000, 2017: 380_000, 2018: 400_000}),
                 F("Netherlands", {2017: 300_000}), F("SIDA", {2018: 280_000}),
                 F("DFID", {2018: 250_000, 2019: 250_000}), F("Portugal", {2019: 150_000})),
        changes=(
            C(1, "National Basic Social Security Strategy (ENSSB II) 2016-2024 approved",
              "2016-02-23", ("SA", "CHILD", "OLD", "DIS"), (IRISH,)),
            C(2, "Regulation of the basic social security programmes of INAS revised",
              "2016-10-20", ("SA",), (IRISH, "UNICEF")),
            C(3, "e-INAS management information system rolled out", "2018-07-31", ("SA",),
              (IRISH, "Netherlands", "SIDA")),
            C(1, "National Strategy for Contributory Social Security (ENSSO) 2019-2024 adopted",
              "2019-05-28", ("OLD", "SICK", "MATERN"), ("Portugal",)),
        ),
        outcomes=(
            OC("effective_coverage", "SA", 250_000, "2021-12-31", [
                S("2018-12-31", 121_000), S("2020-06-30", 178_900, 107_300, 71_600)]),
            OC("adequacy", "SA", 450_000, "2020-12-31", [
                S("2017-12-31", 398_000), S("2019-12-31", 431_500, 294_000, 137_500)]),
        ),
        outputs=(
            P("other", "2016-10-19", 1, "Documentary film \"Being Someone\""),
            P("persons_trained", "2019-06-21", 12,
              "Training of INSS senior staff on SDG 1.3.1 monitoring (2018 and 2019)"),
            P("knowledge_product", "2019-12-13", 1,
              "Good practices from the development of the e-INAS MIS"),
        ))])

    # --- Malawi ---------------------------------------------------------------------------
    # Seed 000, step 1: "The Malawi National Social Support Programme (MNSSP) II (2018-2023)
    # is expected to be approved by relevant authorities in November 2017" (no 2017 tick:
    # approved in 2018 per seed 002's table). Seed 002: "Universal Social Old Age Pension
    # Bill, which was passed in 2019 ... over 600,000 people aged 65 and above"; 23 + 60 + 15
    # + 13 officials trained July 2018 - June 2019; table: step 1 2018, step 2 2019. The
    # 2020-12-31 step 3 (last day of phase 1) is invented.
    r.append([iv(
        ids, "Malawi National Social Support Programme II and social pension", "MWI",
        "2016-01-01", "2021-01-08T10:00:00Z", themes=("old_age_pensions", "rights_based_systems"),
        funding=(F(IRISH, {2016: 300_000, 2017: 320_000, 2018: 350_000, 2019: 350_000,
                           2020: 300_000}),),
        changes=(
            C(1, "Malawi National Social Support Programme II (2018-2023) approved",
              "2018-06-12", ("SA", "CHILD", "OLD", "DIS"), (IRISH, "UNICEF", "WFP", "GIZ")),
            C(2, "Universal Social Old Age Pension Act passed", "2019-07-19", ("OLD",),
              (IRISH, "UNICEF")),
            C(3, "Unified beneficiary registry used for social cash transfer enrolment",
              "2020-12-31", ("SA",), (IRISH,)),
        ),
        outcomes=(OC("legal_coverage", "OLD", 600_000, "2021-12-31", [
            S("2019-12-31", 612_000, 346_000, 266_000)]),),
        outputs=(P("persons_trained", "2019-06-28", 111,
                   "TRANSFORM training of government, district and partner officials"),))])

    # --- Kyrgyzstan -----------------------------------------------------------------------
    # Seed 000, step 1: "The ABND process has been finalized and the report was published. It
    # is expected to be officially launched at the end of 2017" (in progress). Seed 002:
    # maternity protection and actuarial assessment of the pension system; table: step 2
    # 2018 (detail invented), step 3 2019.
    r.append([iv(
        ids, "Social protection floors: ABND follow-up and maternity protection", "KGZ",
        "2016-01-01", "2021-01-07T09:05:00Z",
        themes=("social_dialogue", "actuarial_governance", "gender_equality"),
        funding=(F(FINLAND, {2016: 200_000, 2017: 250_000, 2018: 150_000}),
                 F("EU", {2019: 300_000, 2020: 200_000}), F("RBSA", {2019: 80_000})),
        changes=(
            C(1, "National social protection programme based on the ABND", None,
              ("SA", "CHILD", "OLD"), (FINLAND,)),
            C(2, "Law on state benefits amended: monthly maternity benefit revised",
              "2018-11-27", ("MATERN", "CHILD"), (FINLAND,)),
            C(3, "Actuarial assessment of the pension system adopted by the Social Fund",
              "2019-10-08", ("OLD",), ("EU",)),
        ),
        outcomes=(OC("adequacy", "MATERN", 45_000, "2021-12-31", [
            S("2019-12-31", 38_200, 38_200, 0), S("2020-12-31", 41_600, 41_600, 0)]),),
        outputs=(P("knowledge_product", "2017-10-31", 1,
                   "Assessment-based national dialogue report"),))])

    # --- Lao PDR --------------------------------------------------------------------------
    # Seed 000: ABND report "completed and endorsed by the government". Seed 002: first
    # national social protection strategy (2018/2019), merged health insurance piloted in
    # Sekong and Vientiane provinces, NHI "covers 94% of the total poor population ... in
    # 2019"; tables: step 3 in 2016 (detail invented), steps 1 and 3 in 2019.
    r.append([iv(
        ids, "Social health protection and national social protection strategy", "LAO",
        "2016-01-01", "2020-04-16T03:20:00Z",
        themes=("social_health_protection", "financing"),
        funding=(F(LUX, {2016: 400_000, 2017: 450_000, 2018: 450_000, 2019: 500_000}),),
        changes=(
            C(3, "National health insurance rolled out to additional provinces", "2016-10-01",
              ("HEALTH",), (LUX,)),
            C(1, "First National Social Protection Strategy finalized", "2019-12-17",
              ("SA", "HEALTH", "OLD"), (LUX, "UNICEF")),
            C(3, "Merged health insurance scheme piloted in Sekong and Vientiane provinces",
              "2019-04-01", ("HEALTH",), (LUX,)),
        ),
        outcomes=(OC("better_access", "HEALTH", 1_300_000, "2019-12-31", [
            S("2017-12-31", 1_190_000), S("2019-12-31", 1_222_000)]),),
        outputs=(
            P("knowledge_product", "2017-11-30", 1, "Assessment-based national dialogue report"),
            P("knowledge_product", "2019-09-30", 1, "Costing of the health benefit package"),
        ))])

    # --- India ----------------------------------------------------------------------------
    # Seed 000: the Social Security and Welfare Code revision "started in march 2017" (in
    # progress); table (000): step 2 in 2016 (detail invented). Seed 002: national policy
    # framework on TB-HIV in the world of work "launched in September 2019"; Gates
    # Foundation project from September 2019; table: step 2 in 2019.
    r.append([iv(
        ids, "Extension of social security and the Code on Social Security", "IND",
        "2016-01-01", "2020-06-25T11:10:00Z", themes=("informal_economy", "rights_based_systems"),
        funding=(F("RBSA", {2016: 150_000, 2017: 120_000}),
                 F("Bill & Melinda Gates Foundation", {2019: 400_000, 2020: 600_000})),
        changes=(
            C(2, "Maternity benefit and ESI coverage amendments notified", "2016-12-08",
              ("MATERN", "HEALTH"), ()),
            C(2, "Code on Social Security consolidating 15 social security laws", None,
              ("OLD", "HEALTH", "MATERN", "INJ", "UNE"), ()),
            C(2, "National policy framework on TB-HIV in the world of work launched",
              "2019-09-26", ("HEALTH", "SICK"), ("UNAIDS",)),
        ),
        outputs=(P("other", "2017-08-18", 2,
                   "Workshops with trade unions and employers on the draft Code"),))])

    # --- Honduras -------------------------------------------------------------------------
    # Seed 000, step 2: "the Secretariat de Desarollo e Incluión Social is designing a new
    # non-contributory pension scheme" (in progress). Seed 002: actuarial financial model of
    # the public pension scheme, 2018-19; table: step 3 in 2019.
    r.append([iv(
        ids, "Non-contributory pension and financial governance of the public pension scheme",
        "HND", "2016-06-01", "2020-02-07T15:00:00Z",
        themes=("old_age_pensions", "actuarial_governance"),
        funding=(F("RBSA", {2018: 110_000, 2019: 90_000}),),
        changes=(
            C(2, "Non-contributory pension scheme", None, ("OLD",), ()),
            C(3, "Actuarial financial model transferred to the public pension scheme",
              "2019-11-22", ("OLD",), ()),
        ),
        outcomes=(OC("legal_coverage", "OLD", 180_000, "2022-12-31", []),),
        outputs=(P("persons_trained", "2019-11-22", 8,
                   "Training of actuarial staff on the financial model"),))])

    # --- Niger ----------------------------------------------------------------------------
    # Seed 002: social security code drafting in 2019 (in progress); table: step 2 in 2018
    # (detail invented). The 2015-12-31 step 1 (day before phase 1) is invented: must not
    # count.
    r.append([iv(
        ids, "Social security legal framework and social protection policy", "NER",
        "2015-01-01", "2020-09-17T08:00:00Z", themes=("rights_based_systems",),
        funding=(F("RBTC", {2018: 70_000, 2019: 90_000}),),
        changes=(
            C(1, "Social protection policy implementation plan adopted", "2015-12-31",
              ("SA",), ()),
            C(2, "Decree revising the family benefits of the national social security fund",
              "2018-05-15", ("CHILD", "MATERN"), ()),
            C(2, "Unified social security code", None, ("OLD", "INJ", "CHILD", "HEALTH"), ()),
        ),
        outputs=(P("knowledge_product", "2020-06-30", 1,
                   "Good practices guide on legal drafting (Niger, Senegal)"),))])

    # --- Senegal --------------------------------------------------------------------------
    # Seed 002: review and evaluation of the social protection system with CODI and SPPOT;
    # unified social security code (in progress); financing strategies for universal social
    # protection by 2035 (achieved 2021-01-04, just after phase 1: invented); table: step 3
    # in 2019.
    r.append([iv(
        ids, "Review of the social protection system and social security code", "SEN",
        "2018-01-01", "2021-01-06T12:30:00Z", themes=("financing", "rights_based_systems"),
        funding=(F("EU", {2019: 350_000, 2020: 300_000}),),
        changes=(
            C(3, "Social protection system reviewed with CODI and SPPOT", "2019-11-29",
              ("SA", "OLD", "HEALTH"), ("EU", "UNICEF", "WFP")),
            C(2, "Unified social security code", None, ("OLD", "INJ", "CHILD"), ()),
            C(1, "Strategy for the sustainable financing of universal social protection by 2035",
              "2021-01-04", ("SA", "HEALTH", "OLD"), ("EU",)),
        ),
        outputs=(P("knowledge_product", "2019-11-29", 1,
                   "Review and evaluation of the social protection system"),))])

    # --- Togo -----------------------------------------------------------------------------
    # Seed 000: "The process of elaborating a coherent social protection strategy started in
    # November 2016, using ... ABND-SPPOT ... financially supported by the OECD." Seed 002:
    # National Development Plan (PND) 2018-2022 "launched in March 2019"; "relaunching the
    # process to develop the legal framework for universal health insurance" (in progress at
    # the full export; achieved in the later version, invented date); table: step 1 2019.
    tgo = iv(
        ids, "Social protection assessment (SPPOT) and universal health insurance", "TGO",
        "2016-11-01", "2020-03-19T10:45:00Z",
        themes=("social_health_protection", "informal_economy"),
        funding=(F(OECD, {2016: 80_000, 2017: 160_000, 2018: 120_000}),
                 F(FINLAND, {2019: 150_000})),
        changes=(
            C(1, "National Development Plan 2018-2022 with social protection floor priorities "
                 "launched", "2019-03-14", ("SA", "HEALTH"), (OECD, EU, FINLAND)),
            C(2, "Legal framework for universal health insurance", None, ("HEALTH",), (OECD,)),
        ),
        outputs=(P("knowledge_product", "2018-02-28", 1,
                   "Social protection assessment with the ABND-SPPOT tool"),))

    def tgo_2022(d: dict) -> None:
        # LATER VERSION (invented): in_progress -> achieved in phase 2, with a new outcome.
        _change(d, "Legal framework for universal").update(status="achieved",
                                                          achieved_on="2021-10-12")
        d["outcomes"].append(OC("legal_coverage", "HEALTH", 3_000_000, "2025-12-31", [
            S("2022-06-30", 1_150_000), S("2023-12-31", 1_640_000, 790_000, 850_000)],
            id=ids("OC")))
        d["funding"] += F("EU", {2022: 250_000, 2023: 250_000})
    r.append([tgo, revise(tgo, "2024-02-08T09:20:00Z", tgo_2022)])

    # --- Paraguay -------------------------------------------------------------------------
    # Seed 002: strategic plan of the pension institute IPS adopted in 2019; tripartite
    # validation workshop of April 2019 (plan of action for C102 ratification); table: step
    # 3 in 2019. Step 2 in 2020 is invented (13th step-2 country).
    r.append([iv(
        ids, "Social protection system and pension institute governance", "PRY", "2017-01-01",
        "2020-11-12T14:00:00Z", themes=("informal_economy", "rights_based_systems"),
        funding=(F("Paraguay", {2018: 100_000, 2019: 120_000}), F("EU", {2020: 250_000})),
        changes=(
            C(3, "Strategic plan of the pension institute (IPS) adopted", "2019-06-27",
              ("OLD",), ()),
            C(2, "Emergency income support for informal workers established by law",
              "2020-04-02", ("SA", "UNE"), ("EU",)),
        ),
        outputs=(
            P("other", "2019-04-11", 1,
                 "Tripartite validation workshop: plan of action for C102 ratification"),
            P("knowledge_product", "2019-03-29", 1,
              "Comparative analysis of national law and Convention No. 102"),
        ))])

    # --- Outside the phase-1 focus countries ----------------------------------------------
    # Seed 000 (legal support): Egypt's new Social Insurance Law, expected end 2017; adopted
    # in 2019 (invented date). Egypt is a phase-2, not a phase-1, focus country: this change
    # is inside the phase-1 window but must NOT count for phase 1.
    r.append([iv(
        ids, "Social insurance reform: unified social insurance and pensions law", "EGY",
        "2016-01-01", "2019-09-10T10:00:00Z", flagship=False,
        themes=("old_age_pensions", "actuarial_governance"),
        funding=(F("RBSA", {2017: 150_000, 2018: 100_000}),),
        changes=(C(2, "Unified Social Insurance and Pensions Law adopted", "2019-08-19",
                   ("OLD", "DIS", "SURV", "INJ", "UNE"), ()),),
        outputs=(P("knowledge_product", "2017-05-31", 1,
                   "Financial projection of the social insurance pension scheme"),))])
    # Invented: a non-focus country (seed 000 lists Mongolia among ABND countries).
    r.append([iv(
        ids, "One-stop shops for social protection services", "MNG", "2016-01-01",
        "2019-05-20T04:00:00Z", flagship=False, themes=("digital_transformation",),
        funding=(F(LUX, {2016: 200_000, 2017: 220_000}),),
        changes=(C(3, "One-stop shops for social protection services rolled out nationwide",
                   "2018-03-15", ("SA", "OLD", "HEALTH"), (LUX,)),),
        outcomes=(OC("better_access", "SA", 600_000, "2019-12-31", [S("2018-12-31", 540_000)]),),
        outputs=(P("persons_trained", "2017-06-30", 120, "Training of one-stop shop staff"),))])

    # --- Regional and global (country_iso3 null) -------------------------------------------
    # Seed 000: TRANSFORM with UNICEF, UNDP, Irish Aid and EU-SPS; 8 thematic modules; first
    # regional Training of Trainers in Zambia, 16-27 October 2017, 25 practitioners.
    r.append([iv(
        ids, "TRANSFORM learning package on social protection floors in Africa", None,
        "2016-06-01", "2019-12-20T10:00:00Z", level="regional",
        themes=("rights_based_systems", "digital_transformation"),
        funding=(F(IRISH, {2017: 300_000, 2018: 250_000}), F(EU, {2017: 350_000})),
        outputs=(
            P("knowledge_product", "2017-06-30", 8, "TRANSFORM learning package modules"),
            P("persons_trained", "2017-10-27", 25, "TRANSFORM regional training of trainers"),
        ))])
    # Seed 000, health protection: the ILO/Luxembourg project in South-East Asia.
    r.append([iv(
        ids, "Extension of social health protection in South-East Asia (ILO/Luxembourg)", None,
        "2016-01-01", "2020-10-30T07:00:00Z", level="regional",
        themes=("social_health_protection",),
        funding=(F(LUX, {2016: 500_000, 2017: 600_000, 2018: 600_000, 2019: 550_000,
                         2020: 500_000}),),
        outputs=(P("knowledge_product", "2018-09-28", 3,
                   "Country studies on social health protection (Lao PDR, Myanmar, Viet Nam)"),
                 P("persons_trained", "2019-10-18", 60,
                   "Regional capacity building on social health protection"),))])
    # Seed 000: 49 SPF country briefs (December 2016); four climate change country briefs
    # (2017). Seed 002: "In 2019, 4 countries ratified ILO's Social Security Convention No.
    # 102"; 90 country briefs in 2018/19.
    r.append([iv(
        ids, "Global Flagship Programme: knowledge development and ratification campaign",
        None, "2016-01-01", "2020-01-24T09:00:00Z", level="global",
        themes=("rights_based_systems", "just_transition"),
        funding=(F("RBSA", {2016: 500_000, 2017: 500_000, 2018: 450_000, 2019: 450_000}),
                 F("King Baudouin Foundation", {2017: 100_000})),
        outputs=(
            P("knowledge_product", "2016-12-15", 49, "Social Protection Floors country briefs"),
            P("knowledge_product", "2017-09-29", 4,
              "Social protection and climate change country briefs"),
            P("knowledge_product", "2019-11-25", 90, "Country briefs published in 2018/19"),
            P("ratification", "2019-12-31", 4, "Ratifications of Convention No. 102 in 2019"),
        ))])
    # Seed 000: pilot test of the monitoring tool in July/August 2017; seed 002: tool
    # launched in 2019 with data from 214 projects.
    r.append([iv(
        ids, "Results Monitoring Tool", None, "2017-01-01", "2019-12-02T08:00:00Z",
        level="global", themes=("statistics_monitoring",),
        funding=(F("RBSA", {2017: 120_000, 2018: 150_000, 2019: 100_000}),),
        outputs=(P("other", "2017-08-31", 1, "Pilot test of the monitoring tool"),
                 P("other", "2019-11-25", 214, "Projects documented in the tool at its launch"),))])

    # --- UN joint programmes (seed 002: "UN joint programme on social protection has
    # received 2 million USD from the UN Joint Fund for Agenda 2030. Implementation will
    # start in 2020") for Malawi, oPt, Cambodia, Lao PDR and Viet Nam. The later versions
    # (invented) close them with phase-2 results.
    jp_results = {
        "MWI": (2, "Social cash transfer benefit levels indexed by regulation", ("SA",),
                "2021-09-14", ("adequacy", "SA", 280_000, 265_000)),
        "PSE": (1, "National social protection strategy 2021-2023 adopted",
                ("SA", "HEALTH"), "2021-05-20", None),
        "KHM": (3, "Digital registration of informal workers in the NSSF", ("HEALTH",),
                "2021-11-30", ("effective_coverage", "HEALTH", 150_000, 121_000)),
        "LAO": (2, "Decree on the national health insurance fund", ("HEALTH",),
                "2021-07-08", ("legal_coverage", "HEALTH", 900_000, 740_000)),
        "VNM": (3, "Integrated social assistance database operational", ("SA",),
                "2022-03-31", ("better_access", "SA", 2_000_000, 1_450_000)),
    }
    for k, iso3 in enumerate(("KHM", "LAO", "MWI", "PSE", "VNM")):
        step, title, branches, on, outcome = jp_results[iso3]
        jp = iv(ids, f"UN joint programme on social protection, {NAMES[iso3]}", iso3,
                "2020-01-01", f"2020-12-{10 + k:02d}T09:00:00Z",
                themes=("financing", "social_dialogue"),
                funding=(F(JSDGF, {2020: 2_000_000}),),
                changes=(C(step, title, None, branches, ("UNICEF", "WFP")),),
                outputs=(P("other", "2020-06-30", 1, "Joint programme inception workshop"),))

        def close(d: dict, on=on, outcome=outcome) -> None:
            d["institutional_changes"][0].update(status="achieved", achieved_on=on)
            d["end_date"] = "2022-06-30"
            if outcome:
                t, b, expected, reached = outcome
                d["outcomes"].append(OC(t, b, expected, "2022-06-30", [
                    S("2021-12-31", reached // 2), S("2022-06-30", reached)], id=ids("OC")))
        r.append([jp, revise(jp, f"2022-08-{15 + k:02d}T09:00:00Z", close)])
    return r


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
PARTNERS_PHASE2 = ("EU", "Germany (BMZ)", LUX, IRISH, JAPAN, KOREA, FINLAND, "France",
                   "Belgium", "Netherlands", JSDGF, "UNIQLO", "Portugal", "Norway", "Sweden")
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
    return f"{year}-{rng.randint(first_month, last_month):02d}-{rng.randint(1, 28):02d}"


def _stamp(rng: random.Random, day: str) -> str:
    return f"{day}T{rng.randint(6, 18):02d}:{rng.randint(0, 59):02d}:00Z"


def _outputs(rng: random.Random, years: range, n: int, last_day: str) -> list[dict]:
    out = []
    for _ in range(n):
        t = rng.choice(OUTPUT_TYPES[:2] * 3 + OUTPUT_TYPES[2:])
        count = {"knowledge_product": rng.randint(1, 3), "persons_trained": rng.randint(12, 180),
                 "ratification": 1, "other": 1}[t]
        day = min(_day(rng, rng.choice(years)), last_day)
        out.append(P(t, day, count, rng.choice(OUTPUT_TITLES[t])))
    return sorted(out, key=lambda p: p["date"])


def _funding(rng: random.Random, partners: tuple[str, ...], years: range) -> list[list[dict]]:
    rows = []
    for partner in sorted(rng.sample(partners, rng.randint(1, 2))):
        ys = sorted(rng.sample(list(years), min(len(years), rng.randint(1, 3))))
        rows.append(F(partner, {y: rng.randrange(60_000, 900_000, 5_000) for y in ys}))
    return rows


def phase1_filler(ids: Ids, rng: random.Random) -> list[list[dict]]:
    """Invented phase-1 projects: outputs, funding, in-progress changes and better-access
    outcomes only, so that the seed tables above stay exactly as they are."""
    r = []
    countries = [c for c in PHASE1_FOCUS for _ in range(2)] + list(OTHER_COUNTRIES)
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
            themes=PROJECT_THEMES[k],
            funding=_funding(rng, (IRISH, JAPAN, KOREA, LUX, FINLAND, EU, AFD, "RBSA"), years),
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
            funding=_funding(rng, (IRISH, JAPAN, KOREA, LUX, FINLAND, "EU", "RBSA", "Germany"),
                             years),
            changes=changes, outcomes=outcomes,
            outputs=_outputs(rng, years, rng.randint(1, 3), last_day))])
    return r


def _split(rng: random.Random, persons: int) -> tuple[int | None, int | None]:
    if rng.random() < 0.5:
        return None, None
    women = persons * rng.randint(35, 65) // 100
    return women, persons - women


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
    for level, title in (("regional", "Social protection for migrant workers in ASEAN"),
                         ("regional", "Social health protection in West and Central Africa"),
                         ("global", "Global Technical Team: cross-country policy advice"),
                         ("global", "Global ratification campaign for Convention No. 102")):
        years = range(2021, 2026)
        r.append([iv(ids, title, None, "2021-01-01", _stamp(rng, _day(rng, 2025, 1, 5)),
                     level=level, themes=(rng.choice(THEMES),),
                     funding=_funding(rng, PARTNERS_PHASE2, years),
                     outputs=_outputs(rng, range(2021, 2025), rng.randint(2, 4), "2024-12-31"))])
    return r


# --------------------------------------------------------------------------- exports, pages


def build_records() -> list[list[dict]]:
    """Every intervention with its versions, oldest first."""
    ids, rng = Ids(), random.Random(SEED)
    return (phase1_records(ids) + older_records(ids, rng) + phase1_filler(ids, rng)
            + phase2_records(ids, rng))


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


# ------------------------------------------------------------------------ benchmark data set

_QUARTER_ENDS = tuple(f"{y}-{md}" for y in range(2016, 2026)
                      for md in ("03-31", "06-30", "09-30", "12-31"))[:37]  # up to 2025-03-31


def synthetic_pages(n_interventions: int, seed: int = 0, page_size: int = 500) -> list[bytes]:
    """Page bodies (compact JSON bytes) of a large, contract-valid synthetic data set.

    About 3 outcomes per intervention and 16.5 quarterly snapshots per outcome: 6,000
    interventions give about 300,000 impact snapshots. For benchmarks; never written to the
    sample folder.
    """
    if not 1 <= page_size <= 500:
        raise ValueError("page_size must be between 1 and 500")
    rng = random.Random(seed)
    countries = sorted(set(PHASE1_FOCUS) | set(PHASE2_FOCUS) | set(OTHER_COUNTRIES))
    n_q = len(_QUARTER_ENDS)
    items, n_ic, n_oc = [], 0, 0
    for i in range(1, n_interventions + 1):
        level = "country" if i % 50 else ("regional", "global")[(i // 50) % 2]
        changes = []
        for _ in range(rng.randint(0, 3)):
            n_ic += 1
            step = rng.randint(1, 3)
            achieved = rng.random() < 0.7
            changes.append({
                "id": f"IC-{n_ic:06d}", "step": step, "title": rng.choice(STEP_TITLES[step]),
                "status": "achieved" if achieved else "in_progress",
                "achieved_on": _QUARTER_ENDS[rng.randrange(n_q)] if achieved else None,
                "branches": list(rng.choice(STEP_BRANCHES[step])),
                "partners": rng.sample(PARTNERS_PHASE2, rng.randint(0, 2))})
        outcomes = []
        for _ in range(rng.randint(0, 6)):
            n_oc += 1
            k = rng.randint(4, 29)
            first = rng.randint(0, n_q - k)
            persons, step_size = rng.randint(0, 5_000), rng.randint(100, 20_000)
            history = []
            for as_of in _QUARTER_ENDS[first:first + k]:
                persons += rng.randint(0, step_size)
                if rng.random() < 0.5:
                    women = persons * rng.randint(35, 65) // 100
                    history.append({"as_of": as_of, "persons": persons, "women": women,
                                    "men": persons - women})
                else:
                    history.append({"as_of": as_of, "persons": persons, "women": None,
                                    "men": None})
            outcomes.append({
                "id": f"OC-{n_oc:06d}", "type": rng.choice(OUTCOME_TYPES),
                "branch": rng.choice(BRANCHES), "expected_persons": persons + step_size * 4,
                "expected_date": f"{2017 + (first + k) // 4}-12-31", "impact_history": history})
        start_year = rng.randint(2010, 2024)
        items.append({
            "id": f"RMT-{i:06d}", "title": f"Synthetic intervention {i}",
            "country_iso3": rng.choice(countries) if level == "country" else None,
            "level": level, "flagship": rng.random() < 0.6,
            "thematic_areas": rng.sample(THEMES, rng.randint(1, 3)),
            "start_date": f"{start_year}-01-01",
            "end_date": f"{start_year + rng.randint(1, 5)}-12-31" if rng.random() < 0.6 else None,
            "updated_at": f"2025-06-{rng.randint(1, 29):02d}T{rng.randint(0, 23):02d}:"
                          f"{rng.randint(0, 59):02d}:00Z",
            "deleted": rng.random() < 0.01,
            "funding": [{"partner": rng.choice(PARTNERS_PHASE2), "year": rng.randint(2016, 2025),
                         "amount_usd": rng.randrange(10_000, 2_000_000, 1_000)}
                        for _ in range(rng.randint(0, 4))],
            "institutional_changes": changes, "outcomes": outcomes,
            "outputs": [{"type": rng.choice(OUTPUT_TYPES),
                         "date": _QUARTER_ENDS[rng.randrange(n_q)],
                         "count": rng.randint(1, 100), "title": "Synthetic output"}
                        for _ in range(rng.randint(0, 3))],
        })
    return page_bodies(items, page_size, indent=None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    written = write_sample(args.out)
    print(f"wrote {len(written)} page files under {args.out}")


if __name__ == "__main__":
    main()
