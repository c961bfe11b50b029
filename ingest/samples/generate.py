"""Generate the bundled synthetic SSI sample: `python -m ingest.samples.generate [--out DIR]`.

One workbook per phase-1 focus country and reference year (2019, 2022), in the
country's language, plus a revision 2 of Cambodia 2019. A few workbooks are
filled in the way real ones arrive (text numbers with local separators, missing
markers, notes under tables, unknown columns, shuffled sheets and columns,
headers further down) yet still meet the contract, and a few deliveries are
meant to be turned away: a broken revision, a conflicting re-delivery and a
duplicate copy (see ssi/README.md).

The numbers are SYNTHETIC: orders of magnitude are realistic (population, GDP in
national currency, coverage levels by income group) so indicators and dashboards
look plausible, but no figure is an official statistic. The country profiles
(magnitudes and scheme inventories) are data, in ssi_countries.yaml beside this file;
this module builds the workbooks from them. A fixed seed per country (and per messy
file) makes every run write the same bytes.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import random
from dataclasses import MISSING, dataclass, field, fields
from itertools import zip_longest
from pathlib import Path
from types import UnionType
from typing import get_args, get_origin, get_type_hints

import openpyxl
import yaml

from ingest.samples.workbook import TABLE_SHEETS, _save_deterministic, write_ssi_workbook
from ingest.ssi_labels import BENEFIT_FORMS, COLUMNS, FUNCTIONS, SCHEME_TYPES, SHEETS, label

SEED = 20161
YEARS = (2019, 2022)
POP_GROWTH = 0.015  # per year, applied to the 2019 population of the profile
DEFAULT_OUT = Path(__file__).resolve().parent / "ssi"
# The country profiles the sample is built from (magnitudes and scheme inventories).
PROFILES = Path(__file__).resolve().parent / "ssi_countries.yaml"
# PyYAML's safe loader, on libyaml's parser where built (same types, six times faster).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Labels language per country (LANGUAGE, English elsewhere). Switch off to write every
# workbook in English.
USE_COUNTRY_LANGUAGES = True
LANGUAGE = {
    **dict.fromkeys(("CMR", "NER", "SEN", "TGO"), "fr"),
    **dict.fromkeys(("SLV", "HND", "PRY"), "es"),
    **dict.fromkeys(("CPV", "MOZ", "TLS"), "pt"),
}

# The country as its own focal point names it on the cover (with the language switch on).
LOCAL_NAME = {"CMR": "Cameroun", "SEN": "Sénégal", "CPV": "Cabo Verde", "MOZ": "Moçambique"}

PER, LUMP, KIND = "CASH_PERIODIC", "CASH_LUMP", "KIND"


@dataclass(frozen=True)
class Pay:
    """A benefit a scheme pays: function, form, first year paid, optional reach.

    `reach` is the share of the function's denominator reached by a
    non-contributory scheme (None: drawn at random in a plausible range).
    """

    function: str
    form: str = PER
    since: int = 0
    reach: float | None = None


@dataclass(frozen=True)
class Scheme:
    """One scheme of the inventory; `contrib`/`old` weight its share of the country's
    contributors and old-age recipients."""

    scheme_id: str
    name: str
    type: str
    institution: str
    legal_basis: str
    start_year: int
    pays: tuple[Pay, ...]
    contrib: float = 0.0
    old: float = 0.0


@dataclass(frozen=True)
class Country:
    """Approximate 2019 magnitudes of one country (shares are of total population
    unless said otherwise): rounded orders of magnitude in line with UN population
    estimates and national accounts, not official figures. Read from PROFILES."""

    iso3: str
    name: str
    currency: str
    pop: int  # total population 2019
    gdp: float  # GDP 2019, national currency
    gdp_growth: float  # nominal GDP 2022 / 2019
    gov: float  # general government expenditure, share of GDP
    child: float  # aged 0-14
    pens: float  # above the statutory pensionable age
    births: float  # women giving birth in the year
    emp_women: float  # women's share of the employed
    unemp: float  # unemployment rate (share of the labour force)
    formal: float  # SI contributors, share of the employed
    old_cov: float  # old-age pension recipients, share of POP_PENSIONABLE
    sa: float  # social assistance (function SA) recipients
    institution: str  # reporting institution
    schemes: tuple[Scheme, ...]
    expenditure: bool = True
    emp_rate: float | None = None  # employed, share of aged 15-64 (None: drawn)
    women_pop: float | None = None  # women's share of the population (None: drawn)


def load_countries(path: str | Path = PROFILES) -> tuple[Country, ...]:
    """The country profiles of `path` as Country records, checked on the way in: an
    unknown function, benefit form or scheme type (not in the code lists of
    ingest.ssi_labels), an unknown or missing field, or a number read as text is an
    error naming the country and scheme."""
    path = Path(path)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    sets = data.get("benefit_sets") or {}
    countries = tuple(_country(record, sets, path.name) for record in data["countries"])
    _unique([c.iso3 for c in countries], f"{path.name}: country")
    return countries


def _country(record: dict, sets: dict[str, list], source: str) -> Country:
    where = f"{source}: {record.get('iso3', '?')}"
    if "schemes" in record:
        schemes = tuple(_scheme(s, sets, where) for s in record["schemes"])
        _unique([s.scheme_id for s in schemes], f"{where}: scheme")
        record = {**record, "schemes": schemes}
    return _record(Country, record, where)


def _scheme(record: dict, sets: dict[str, list], where: str) -> Scheme:
    """A scheme; in its `pays`, the name of a benefit set stands for the set's benefits."""
    where = f"{where} scheme {record.get('scheme_id', '?')}"
    _code(record.get("type"), SCHEME_TYPES, "scheme type", where)
    if "pays" in record:
        record = {**record, "pays": tuple(
            _pay(benefit, where) for item in record["pays"]
            for benefit in (sets.get(item, [item]) if isinstance(item, str) else [item]))}
    return _record(Scheme, record, where)


def _pay(item: str | dict, where: str) -> Pay:
    """A benefit: a function code alone, or a mapping of the Pay fields."""
    record = {"function": item} if isinstance(item, str) else item
    if not isinstance(record, dict):
        raise ValueError(f"{where}: a benefit is a function code or a mapping, not {item!r}")
    _code(record.get("function"), FUNCTIONS, "function", where)
    _code(record.get("form", PER), BENEFIT_FORMS, "benefit form", where)
    return _record(Pay, record, where)


def _code(value: object, codes: tuple[str, ...], what: str, where: str) -> None:
    if value not in codes:
        raise ValueError(f"{where}: unknown {what} {value!r} (not one of {', '.join(codes)})")


def _unique(keys: list[str], what: str) -> None:
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"{what} listed more than once: {', '.join(repeated)}")


def _record(cls: type, record: dict, where: str):
    """`cls(**record)`, refusing unknown and missing fields and values of the wrong type
    (such as a float PyYAML read as text: 195e9, where 195.0e+9 is a number)."""
    hints = get_type_hints(cls)
    unknown = sorted(set(record) - set(hints))
    missing = [f.name for f in fields(cls) if f.name not in record and f.default is MISSING]
    problems = [f"{what} field(s) {', '.join(names)}"
                for what, names in (("unknown", unknown), ("missing", missing)) if names]
    if problems:
        raise ValueError(f"{where}: {'; '.join(problems)}")
    for name, value in record.items():
        allowed = _types(hints[name])
        if type(value) not in allowed:
            hint = " (a float needs a dot and a signed exponent: 195.0e+9)" if (
                isinstance(value, str) and float in allowed) else ""
            raise ValueError(f"{where}: {name} is {value!r}, not of type "
                             f"{' | '.join(t.__name__ for t in allowed)}{hint}")
    return cls(**record)


def _types(hint) -> tuple[type, ...]:
    """The types a field annotated `hint` takes (an int where a float is wanted too)."""
    if isinstance(hint, UnionType):
        return tuple(t for arg in get_args(hint) for t in _types(arg))
    origin = get_origin(hint) or hint
    return (origin, int) if origin is float else (origin,)


COUNTRIES: tuple[Country, ...] = load_countries()

# Women's share of recipients, per function (drawn once per row in this range).
WOMEN_SHARE = {
    "OLD": (0.28, 0.42), "DIS": (0.35, 0.45), "SURV": (0.80, 0.90), "CHILD": (0.48, 0.50),
    "UNE": (0.40, 0.50), "INJ": (0.10, 0.25), "SICK": (0.35, 0.50), "SA": (0.50, 0.60),
    "HEALTH": (0.45, 0.55),
}
# Annual benefit per recipient, as a share of GDP per capita (drawn once per row).
BENEFIT_LEVEL = {
    "OLD": (0.35, 0.70), "DIS": (0.25, 0.50), "SURV": (0.15, 0.35), "CHILD": (0.03, 0.08),
    "MATERN": (0.10, 0.25), "UNE": (0.15, 0.30), "INJ": (0.20, 0.50), "SICK": (0.02, 0.05),
    "SA": (0.05, 0.12), "HEALTH": (0.03, 0.08),
}
NON_CONTRIBUTORY_OLD_LEVEL = (0.08, 0.20)
EXPENDITURE_PCT_GDP = (1.2, 9.5)  # a total outside this band is scaled into it


@dataclass
class Submission:
    """One workbook to write: its file name, the keyword arguments of the writer, and
    what it is there to show.

    `role`: "clean", "messy" (valid, filled in the way real workbooks arrive),
    "revision" (a correction with a higher revision), "rejected" (the parser refuses
    it), "conflicting" (parses, but re-uses a loaded identity with other numbers) or
    "duplicate" (`copy_of` another file, byte for byte). `meant` holds the tables and
    cover as numbers (None for missing) when `kwargs` writes some of them as text;
    `layout` changes the written workbook afterwards (`header_offset`: more blank rows
    between title and header; `extra_sheets`: name -> rows of a sheet added at the end).
    """

    filename: str
    kwargs: dict = field(default_factory=dict)
    role: str = "clean"
    meant: dict | None = None
    layout: dict = field(default_factory=dict)
    copy_of: str | None = None

    @property
    def values(self) -> dict:
        """The submission as its sender meant it: cover and tables, numbers as numbers."""
        return self.meant if self.meant is not None else self.kwargs


def language_for(iso3: str) -> str:
    """Label language of a country's workbook (English for all with the switch off)."""
    return LANGUAGE.get(iso3, "en") if USE_COUNTRY_LANGUAGES else "en"


# The lines written under the tables, per language. ES and PT start with "Nota": the
# contract ends a table at Source/Note/Nota/Remarque, not at "Fuente"/"Fonte".
NOTES = {
    "en": ("Source: national statistical office estimates (synthetic data).",
           "Note: recipients at the end of the reference year; synthetic data.",
           "Source: financial statements of the schemes (synthetic data)."),
    "fr": ("Source : estimations de l'institut national de la statistique (données "
           "synthétiques).",
           "Note : bénéficiaires en fin d'année de référence ; données synthétiques.",
           "Source : états financiers des régimes (données synthétiques)."),
    "es": ("Nota: estimaciones del instituto nacional de estadística (datos sintéticos).",
           "Nota: beneficiarios al final del año de referencia; datos sintéticos.",
           "Nota: estados financieros de los regímenes (datos sintéticos)."),
    "pt": ("Nota: estimativas do instituto nacional de estatística (dados sintéticos).",
           "Nota: beneficiários no fim do ano de referência; dados sintéticos.",
           "Nota: demonstrações financeiras dos regimes (dados sintéticos)."),
}


def _split(total: int, women_share: float) -> tuple[int, int]:
    """Women and men summing exactly to `total`."""
    women = round(total * women_share)
    return women, total - women


def _money(amount: float) -> int:
    """Amounts in whole national currency units; large ones rounded to millions so the
    value is exact as an Excel double."""
    return int(round(amount, -6)) if amount >= 1e12 else int(round(amount))


class _Draws:
    """Per-country random draws, made once and reused for both years so that a row
    keeps its character (sex ratio, benefit level) from 2019 to 2022."""

    def __init__(self, iso3: str) -> None:
        self.rng = random.Random(f"{SEED}:{iso3}")
        self.memo: dict[tuple, float | str] = {}

    def uniform(self, key: tuple, low: float, high: float) -> float:
        """A stable draw in [low, high] for `key`."""
        if key not in self.memo:
            self.memo[key] = self.rng.uniform(low, high)
        return self.memo[key]

    def choice(self, key: tuple, options: tuple[str, ...], weights: tuple[float, ...]) -> str:
        """A stable weighted choice for `key`."""
        if key not in self.memo:
            self.memo[key] = self.rng.choices(options, weights)[0]
        return self.memo[key]


def _context(c: Country, year: int, d: _Draws) -> tuple[list[dict], dict[str, int]]:
    """Context rows of a year, and the denominators the benefit rows are scaled on."""
    t = year - YEARS[0]
    pop = round(c.pop * (1 + POP_GROWTH) ** t)
    child = round(pop * c.child * (1 - 0.01 * t))
    pens = round(pop * min(c.pens * (1 + 0.02 * t), 0.10))
    old65 = round(pens * (0.65 if c.pens >= 0.06 else 0.75))
    working = pop - child - old65
    emp_rate = c.emp_rate or d.uniform(("emp_rate",), 0.48, 0.60)
    employed = round(working * emp_rate * (1 + 0.005 * t))
    unemployed = round(employed * c.unemp / (1 - c.unemp))
    gdp = _money(c.gdp * c.gdp_growth ** (t / 3))
    women_pop = c.women_pop or d.uniform(("w", "pop"), 0.495, 0.508)
    values = {
        "POP_TOTAL": (pop, women_pop),
        "POP_0_14": (child, d.uniform(("w", "child"), 0.485, 0.492)),
        "POP_15_64": (working, women_pop - 0.003),
        "POP_PENSIONABLE": (pens, d.uniform(("w", "pens"), 0.52, 0.57)),
        "BIRTHS": (round(pop * c.births * (1 - 0.01 * t)), None),
        "DIS_SEVERE": (round(pop * d.uniform(("dis",), 0.015, 0.025)),
                       d.uniform(("w", "dis"), 0.51, 0.55)),
        "UNEMPLOYED": (unemployed, d.uniform(("w", "une"), 0.38, 0.50)),
        "EMPLOYED": (employed, c.emp_women),
    }
    rows = []
    for item, (total, share) in values.items():
        if share is None:  # births: women only
            rows.append({"item": item, "total": total, "women": total, "men": None})
        else:
            women, men = _split(total, share)
            rows.append({"item": item, "total": total, "women": women, "men": men})
    rows.append({"item": "GDP", "total": gdp, "women": None, "men": None})
    rows.append({"item": "GOV_EXP", "total": _money(gdp * c.gov), "women": None, "men": None})
    denominators = {item: total for item, (total, _) in values.items()}
    denominators["GDP"] = gdp
    return rows, denominators


def _sexed(d: _Draws, key: tuple, total: int, function: str, scheme_type: str) -> dict:
    """total/women/men of a recipients row: usually complete, sometimes partial or empty."""
    if function == "MATERN":
        return {"total": total, "women": total, "men": None}
    low, high = WOMEN_SHARE[function]
    if function == "OLD" and scheme_type != "SI":
        low, high = 0.52, 0.60
    share = d.uniform((*key, "women"), low, high)
    weights = (0.5, 0.1, 0.4) if scheme_type == "SA" else (0.8, 0.1, 0.1)
    mode = d.choice((*key, "mode"), ("full", "partial", "none"), weights)
    if mode == "none":
        return {"total": total, "women": None, "men": None}
    women, men = _split(total, share)
    if mode == "partial":  # some records without sex: women + men below total
        known = d.uniform((*key, "known"), 0.90, 0.98)
        women, men = round(women * known), round(men * known)
    return {"total": total, "women": women, "men": men}


def _recipients(
    c: Country, s: Scheme, pay: Pay, year: int, d: _Draws, den: dict[str, int],
    contributors: dict[str, int], old_weights: float, old_rows: dict[str, int],
) -> int:
    """Number of recipients of one benefit row, scaled on the right denominator."""
    key = (s.scheme_id, pay.function, pay.form)
    growth = 1.0 if year == YEARS[0] else d.uniform((*key, "growth"), 0.97, 1.12)
    own = contributors.get(s.scheme_id, 0)
    f = pay.function

    def draw(low: float, high: float) -> float:
        return d.uniform((*key, "rate"), low, high)

    contributory = s.type == "SI"
    if f == "OLD" and pay.form == PER:
        t = year - YEARS[0]
        coverage = min(c.old_cov * (1 + 0.02 * t), 0.97)
        return round(den["POP_PENSIONABLE"] * coverage * s.old / old_weights)
    if f == "OLD":  # lump sums (withdrawals, old-age grants): a fraction of the pensioners
        n = old_rows.get(s.scheme_id, own) * draw(0.05, 0.20)
    elif f == "DIS":
        n = own * draw(0.004, 0.012) if contributory else den["DIS_SEVERE"] * (
            pay.reach or draw(0.05, 0.25))
    elif f == "SURV":
        base = old_rows.get(s.scheme_id) or own * 0.05
        n = base * draw(0.15, 0.35) * (0.3 if pay.form == LUMP else 1.0)
    elif f == "MATERN":
        if contributory:
            n = den["BIRTHS"] * c.formal * s.contrib * draw(0.5, 0.9)
        else:
            n = den["BIRTHS"] * (pay.reach or draw(0.08, 0.30))
    elif f == "CHILD":
        n = own * draw(0.3, 0.9) if contributory else den["POP_0_14"] * (
            pay.reach or draw(0.02, 0.12))
    elif f == "UNE":
        n = den["UNEMPLOYED"] * draw(0.03, 0.12)
    elif f == "INJ":
        n = own * draw(0.001, 0.004)
    elif f == "SICK":
        n = own * draw(0.02, 0.08)
    elif f == "SA":
        n = den["POP_TOTAL"] * c.sa * draw(0.8, 1.2)
    elif f == "HEALTH":
        n = own * draw(1.5, 2.5) if contributory else den["POP_TOTAL"] * (
            pay.reach or draw(0.20, 0.35))
    else:  # pragma: no cover - every function used above is handled
        raise ValueError(f)
    return max(1, round(n * growth))


def _country_year(c: Country, year: int, d: _Draws) -> dict:
    """All writer arguments of one country and reference year (revision 1)."""
    context, den = _context(c, year, d)
    active = [s for s in c.schemes if s.start_year <= year]
    schemes = [
        {"scheme_id": s.scheme_id, "scheme_name": s.name, "scheme_type": s.type,
         "institution": s.institution, "legal_basis": s.legal_basis, "start_year": s.start_year}
        for s in active
    ]

    si = [s for s in active if s.type == "SI"]
    weight = sum(s.contrib for s in si)
    formal = c.formal * (1 + 0.03 * (year - YEARS[0]))
    contributors_by_scheme: dict[str, int] = {}
    contributors: list[dict] = []
    for s in si:
        total = round(den["EMPLOYED"] * formal * s.contrib / weight)
        contributors_by_scheme[s.scheme_id] = total
        women, men = _split(total, c.emp_women * d.uniform((s.scheme_id, "cw"), 0.75, 0.95))
        contributors.append({"scheme_id": s.scheme_id, "function": None, "total": total,
                             "women": women, "men": men})
    inj = [s for s in si if any(p.function == "INJ" for p in s.pays)] or si[:1]
    for s in inj:
        own = contributors_by_scheme[s.scheme_id]
        total = round(own * d.uniform((s.scheme_id, "inj_share"), 0.75, 1.0))
        women, men = _split(total, c.emp_women * d.uniform((s.scheme_id, "cw"), 0.75, 0.95))
        contributors.append({"scheme_id": s.scheme_id, "function": "INJ", "total": total,
                             "women": women, "men": men})

    old_weights = sum(
        s.old for s in active for p in s.pays
        if p.function == "OLD" and p.form == PER and p.since <= year
    )
    beneficiaries: list[dict] = []
    spending: dict[tuple[str, str], dict] = {}  # one expenditure row per scheme and function
    old_rows: dict[str, int] = {}
    gdp_pc = den["GDP"] / den["POP_TOTAL"]
    for s in active:
        for pay in sorted(s.pays, key=lambda p: (p.function != "OLD", p.form != PER)):
            if pay.since > year:
                continue
            key = (s.scheme_id, pay.function, pay.form)
            n = _recipients(c, s, pay, year, d, den, contributors_by_scheme, old_weights,
                            old_rows)
            if pay.function == "OLD" and pay.form == PER:
                old_rows[s.scheme_id] = n
            beneficiaries.append({"scheme_id": s.scheme_id, "function": pay.function,
                                  "benefit_form": pay.form,
                                  **_sexed(d, key, n, pay.function, s.type)})
            low, high = BENEFIT_LEVEL[pay.function]
            if pay.function == "OLD" and s.type != "SI":
                low, high = NON_CONTRIBUTORY_OLD_LEVEL
            level = d.uniform((*key, "level"), low, high) * (0.4 if pay.form == LUMP else 1.0)
            amount = n * level * gdp_pc
            admin = amount * d.uniform((*key, "admin"), 0.02, 0.08)
            row = spending.setdefault((s.scheme_id, pay.function), {
                "scheme_id": s.scheme_id, "function": pay.function,
                "benefits_cash": 0.0, "benefits_kind": 0.0, "admin": 0.0,
            })
            row["benefits_kind" if pay.form == KIND else "benefits_cash"] += amount
            row["admin"] += admin

    expenditure = list(spending.values())
    total = sum(r["benefits_cash"] + r["benefits_kind"] + r["admin"] for r in expenditure)
    # Bring spending into a plausible band once, with the first year, and keep that scale
    # so the change from 2019 to 2022 stays the modelled one.
    pct = 100 * total / den["GDP"]
    if ("exp_scale",) not in d.memo:
        low, high = EXPENDITURE_PCT_GDP
        target = d.uniform(("exp_target",), 1.4, 2.6) if pct < low else (
            d.uniform(("exp_target",), 6.0, 9.0) if pct > high else pct)
        d.memo[("exp_scale",)] = target / pct
    scale = min(d.memo[("exp_scale",)], 9.8 / pct)
    for row in expenditure:
        for column in ("benefits_cash", "benefits_kind", "admin"):
            row[column] = _money(row[column] * scale)

    language = language_for(c.iso3)
    notes = NOTES[language]
    rng = random.Random(f"{SEED}:{c.iso3}:{year}:cover")
    cover = {
        "country_iso3": c.iso3,
        "country_name": LOCAL_NAME.get(c.iso3, c.name) if USE_COUNTRY_LANGUAGES else c.name,
        "reference_year": year,
        "revision": 1,
        "submission_date": dt.date(year + 1, rng.randint(2, 6), rng.randint(1, 28)),
        "institution": c.institution,
        "contact_email": f"ssi.focal.point.{c.iso3.lower()}@example.org",
        "currency": c.currency,
    }
    return {
        "cover": cover,
        "context": context,
        "schemes": schemes,
        "contributors": contributors,
        "beneficiaries": beneficiaries,
        "expenditure": expenditure if c.expenditure else None,
        "language": language,
        "notes": {"context": [notes[0]], "beneficiaries": [notes[1]],
                  "expenditure": [notes[2]]},
    }


def _revised(kwargs: dict, revision: int, days: int,
             factors: dict[tuple[str, str], float]) -> dict:
    """The submission sent again `days` later as `revision`, with the beneficiary totals
    of (scheme_id, function) scaled by `factors`; the sex split follows, within the total."""
    fixed = copy.deepcopy(kwargs)
    cover = fixed["cover"]
    cover["revision"] = revision
    cover["submission_date"] = cover["submission_date"] + dt.timedelta(days=days)
    unused = set(factors)
    for row in fixed["beneficiaries"]:
        factor = factors.get((row["scheme_id"], row["function"]))
        if factor is None:
            continue
        unused.discard((row["scheme_id"], row["function"]))
        row["total"] = round(row["total"] * factor)
        if row["men"] is None and row["women"] is not None:
            row["women"] = row["total"]
        elif row["women"] is not None:
            row["women"] = round(row["women"] * factor)
            row["men"] = min(round(row["men"] * factor), row["total"] - row["women"])
    if unused:
        raise ValueError(f"no beneficiaries row for {sorted(unused)}")
    return fixed


def _lump_sum_maternity(kwargs: dict) -> dict:
    """Timor-Leste 2019 as reported: RCSS maternity paid as a lump sum, and the SAII
    disability recipients given without a split by sex."""
    fixed = copy.deepcopy(kwargs)
    for row in fixed["beneficiaries"]:
        if (row["scheme_id"], row["function"]) == ("RCSS", "MATERN"):
            row["benefit_form"] = LUMP
        if (row["scheme_id"], row["function"]) == ("SAII", "DIS"):
            row["women"] = row["men"] = None
    return fixed


# ---------------------------------------------------------------------------------------
# Messy workbooks: valid for the contract, filled in the way real ones arrive.

NUMERIC = {
    "context": ("total", "women", "men"),
    "contributors": ("total", "women", "men"),
    "beneficiaries": ("total", "women", "men"),
    "expenditure": ("benefits_cash", "benefits_kind", "admin"),
}
SPACES = ("\u00a0", "\u202f", " ")  # no-break, narrow no-break and plain spaces


def _grouped(number: float, separator: str) -> str:
    """A whole number with its thousands grouped by `separator`: 1234567 -> 1 234 567."""
    return f"{int(number):,}".replace(",", separator)


def _lakhs(number: float) -> str:
    """A whole number grouped the Indian way, in lakhs and crores: 1234567 -> 12,34,567."""
    digits = str(int(number))
    head, groups = digits[:-3], [digits[-3:]]
    while head:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return ",".join(groups)


class _Mess:
    """A submission being made messy, with a seed of its own: `meant` keeps what the
    sender means (numbers, None for missing), `written` what goes into the cells."""

    def __init__(self, kwargs: dict, name: str) -> None:
        self.rng = random.Random(f"{SEED}:{name}:messy")
        self.meant = copy.deepcopy(kwargs)
        self.written = copy.deepcopy(kwargs)
        self.layout: dict = {}

    def numbers(self, sheets: tuple[str, ...], minimum: float = 1000,
                below: float = float("inf")) -> list[tuple[str, int, str]]:
        """(sheet, row index, column) of the cells still written as numbers in range."""
        return [(sheet, i, column) for sheet in sheets
                for i, row in enumerate(self.written.get(sheet) or [])
                for column in NUMERIC[sheet]
                if isinstance(row.get(column), int | float) and minimum <= row[column] < below]

    def text(self, cells: list[tuple[str, int, str]], render) -> None:
        """Write the meant numbers of `cells` as text, as `render` spells them."""
        for sheet, i, column in cells:
            self.written[sheet][i][column] = render(self.meant[sheet][i][column])

    def some_text(self, share: float, render, sheets: tuple[str, ...] = tuple(NUMERIC)) -> None:
        """Write a random `share` of the numbers from 1000 up as text."""
        cells = self.numbers(sheets)
        self.text(self.rng.sample(cells, round(share * len(cells))), render)

    def split_rows(self, sheet: str = "beneficiaries") -> list[int]:
        """Rows of `sheet` whose women and men are both still written as numbers."""
        return [i for i, row in enumerate(self.written[sheet])
                if isinstance(row["women"], int) and isinstance(row["men"], int)]

    def missing(self, sheet: str, i: int, column: str, marker: str) -> None:
        """The sender did not know this value and wrote `marker` (missing, not zero)."""
        self.meant[sheet][i][column] = None
        self.written[sheet][i][column] = marker

    def decimal(self, group: str, mark: str) -> None:
        """The smallest administrative cost given with half a currency unit: 12 345,5."""
        rows = self.meant["expenditure"]
        i = min(range(len(rows)), key=lambda i: rows[i]["admin"])
        rows[i]["admin"] += 0.5
        self.written["expenditure"][i]["admin"] = f"{_grouped(rows[i]['admin'], group)}{mark}5"

    def remarks(self, header: str, texts: tuple[str, ...]) -> None:
        """An unknown column `header` in the beneficiaries sheet, a few rows remarked on."""
        values: list[str | None] = [None] * len(self.written["beneficiaries"])
        for i, text in zip(self.rng.sample(range(len(values)), len(texts)), texts, strict=True):
            values[i] = text
        self.written["extra_columns"] = {"beneficiaries": {header: values}}

    def shuffled(self, items: list[str]) -> list[str]:
        """`items` in a random order other than their own."""
        out = list(items)
        while out == list(items):
            self.rng.shuffle(out)
        return out

    def note(self, sheet: str, line: str) -> None:
        """`line` right under the table of `sheet`, instead of the usual note."""
        self.written["notes"] = {**self.written["notes"], sheet: [line]}


def _messy_sen(m: _Mess) -> None:
    """Senegal 2022 (FR): numbers typed as text with (narrow) no-break spaces, a decimal
    comma, "n.d." and "-" for missing, remarks, a source line, columns shuffled."""
    m.some_text(0.5, lambda v: _grouped(v, m.rng.choice(SPACES)))
    a, b, c = m.rng.sample(m.split_rows(), 3)
    m.missing("beneficiaries", a, "women", "n.d.")
    m.missing("beneficiaries", a, "men", "n.d.")
    m.missing("beneficiaries", b, "men", "-")
    m.missing("beneficiaries", c, "women", "-")
    m.decimal("\u00a0", ",")
    m.remarks("Observations", ("chiffres provisoires", "effectifs au 31 décembre",
                               "y compris les arriérés"))
    m.note("context", "Source : ANSD, RGPH")
    m.written["column_order"] = {"beneficiaries": m.shuffled(list(COLUMNS["beneficiaries"]))}


def _messy_pry(m: _Mess) -> None:
    """Paraguay 2019 (ES): 1.234.567 and 12.345,5, "s/d" and ".." for missing, a note."""
    m.some_text(0.5, lambda v: _grouped(v, "."))
    a, b = m.rng.sample(m.split_rows(), 2)
    m.missing("beneficiaries", a, "women", "s/d")
    m.missing("beneficiaries", a, "men", "s/d")
    m.missing("beneficiaries", b, "men", "..")
    m.decimal(".", ",")
    m.note("beneficiaries", "Nota: cifras provisionales")


def _messy_moz(m: _Mess) -> None:
    """Mozambique 2022 (PT): headers under a title and two blank rows, sheets shuffled,
    1.234.567, "n.a." for a missing number of men, remarks in an unknown column."""
    m.some_text(0.4, lambda v: _grouped(v, "."))
    m.missing("beneficiaries", m.rng.choice(m.split_rows()), "men", "n.a.")
    m.remarks("Observações", ("dados provisórios", "inclui pagamentos em atraso"))
    m.written["sheet_order"] = m.shuffled(["cover", *TABLE_SHEETS])
    m.layout["header_offset"] = 1


def _messy_ind(m: _Mess) -> None:
    """India 2022 (EN): a few counts grouped in lakhs and crores (12,34,567), one with
    apostrophes (5'000), a helper sheet of code lists, a note under the schemes."""
    m.text(m.rng.sample(m.numbers(("context", "contributors", "beneficiaries"), 100_000), 4),
           _lakhs)
    smallest = min(m.numbers(("contributors", "beneficiaries")),
                   key=lambda cell: m.meant[cell[0]][cell[1]][cell[2]])
    m.text([smallest], lambda v: _grouped(v, "'"))
    m.note("schemes", "Note: provisional")
    codes = {"Function": FUNCTIONS, "Benefit form": BENEFIT_FORMS, "Scheme type": SCHEME_TYPES}
    m.layout["extra_sheets"] = {"Lists": [list(codes), *zip_longest(*codes.values())]}


MESSY = {("SEN", 2022): _messy_sen, ("PRY", 2019): _messy_pry, ("MOZ", 2022): _messy_moz,
         ("IND", 2022): _messy_ind}


# ---------------------------------------------------------------------------------------
# Deliveries the pipeline must turn away (or load only once).

def _broken_revision(kwargs: dict) -> dict:
    """Togo 2022 revision 2 as it should not be sent: a total written as "environ 5000",
    and contributors of a scheme (INAM) that the schemes sheet does not list."""
    broken = _revised(kwargs, 2, 120, {("CNSS", "OLD"): 1.02})
    rows = broken["beneficiaries"]
    min(rows, key=lambda row: abs(row["total"] - 5000))["total"] = "environ 5000"
    crt = next(row for row in broken["contributors"]
               if row["scheme_id"] == "CRT" and row["function"] is None)
    total = round(crt["total"] * 1.45)
    women, men = _split(total, 0.41)
    broken["contributors"].append({"scheme_id": "INAM", "function": None, "total": total,
                                   "women": women, "men": men})
    return broken


def build_submissions() -> list[Submission]:
    """Every sample workbook, in file name order: revision 1 per country and year (some
    messy), the Cambodia 2019 correction, and the deliveries meant to be turned away."""
    out: list[Submission] = []
    for c in COUNTRIES:
        d = _Draws(c.iso3)
        for year in YEARS:
            kwargs = _country_year(c, year, d)
            name = f"{c.iso3}_{year}_r1.xlsx"
            if (c.iso3, year) == ("TLS", 2019):
                out.append(Submission(name, _lump_sum_maternity(kwargs), "messy"))
            elif (c.iso3, year) in MESSY:
                mess = _Mess(kwargs, name)
                MESSY[c.iso3, year](mess)
                out.append(Submission(name, mess.written, "messy", mess.meant, mess.layout))
            else:
                out.append(Submission(name, kwargs))
            if (c.iso3, year) == ("KHM", 2019):
                out.append(Submission("KHM_2019_r2.xlsx", _revised(kwargs, 2, 150, {
                    ("NSSFC", "OLD"): 1.04, ("CTPWC", "MATERN"): 0.91, ("NFV", "DIS"): 1.10,
                }), "revision"))
                out.append(Submission("KHM_2019_r1_copy.xlsx", kwargs, "duplicate",
                                      copy_of=name))
            if (c.iso3, year) == ("TGO", 2022):
                out.append(Submission("TGO_2022_r2.xlsx", _broken_revision(kwargs), "rejected"))
            if (c.iso3, year) == ("HND", 2019):
                out.append(Submission("HND_2019_r1_resent.xlsx", _revised(kwargs, 1, 40, {
                    ("IHSS", "OLD"): 1.03, ("INJUPEMP", "SURV"): 1.05, ("BVM", "SA"): 0.96,
                }), "conflicting"))
    out.sort(key=lambda s: s.filename)
    return out


def _relayout(path: Path, layout: dict, language: str) -> None:
    """Apply a submission's `layout` to its written workbook; save it deterministically."""
    wb = openpyxl.load_workbook(path)
    for code in TABLE_SHEETS if layout.get("header_offset") else ():
        name = label(SHEETS, code, language)
        if name in wb.sheetnames:  # the title stays on row 1, the header moves down
            wb[name].insert_rows(2, layout["header_offset"])
    for name, rows in layout.get("extra_sheets", {}).items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    _save_deterministic(wb, path)


def write_all(out_dir: str | Path = DEFAULT_OUT) -> list[Path]:
    """Write every sample workbook into `out_dir` and return their paths."""
    out = Path(out_dir)
    submissions = build_submissions()
    for s in sorted(submissions, key=lambda s: s.copy_of is not None):  # originals first
        target = out / s.filename
        if s.copy_of is not None:
            target.write_bytes((out / s.copy_of).read_bytes())
            continue
        write_ssi_workbook(target, **s.kwargs)
        if s.layout:
            _relayout(target, s.layout, s.kwargs["language"])
    return [out / s.filename for s in submissions]


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output directory")
    args = parser.parse_args(argv)
    paths = write_all(args.out)
    print(f"wrote {len(paths)} workbooks to {args.out}")


if __name__ == "__main__":
    main()
