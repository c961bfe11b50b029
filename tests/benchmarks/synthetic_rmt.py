"""The benchmark's project-report data set: `synthetic_pages(n)`, a large, contract-valid
RMT export built in memory (never written to the sample folder).

tests/benchmarks/scale.py writes it as the RMT input of its runs; tests/test_samples_rmt.py
checks its size and contract. It borrows the sample generator's code lists and titles
(ingest/samples/generate_rmt.py) but none of its records.
"""

from __future__ import annotations

import random

from ingest.codes import BRANCHES, OUTCOME_TYPES, OUTPUT_TYPES, THEMATIC_AREAS
from ingest.reference import PHASE1_FOCUS, PHASE2_FOCUS
from ingest.samples.generate_rmt import (
    OTHER_COUNTRIES,
    PARTNERS_PHASE2,
    STEP_BRANCHES,
    STEP_TITLES,
    page_bodies,
)

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
            "thematic_areas": rng.sample(THEMATIC_AREAS, rng.randint(1, 3)),
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
