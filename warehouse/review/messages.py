"""Every text of the feedback workbook sent back to a focal point, in the four languages.

One catalogue, `messages.yml` beside this module: key -> {en, fr, es, pt}. `rule_<code>`
says which rule a problem broke and `do_<code>` what the focal point can do about it, for
every problem code of the parser (`ingest/ssi_workbook.py`), the landing and load step
(`ingest/landing.py`, `ingest/ssi.py`), the source gate (`expectations/sources.py`) and
every check of `ops.submission_checks` (seed `plausibility_thresholds`). A `{name}` in a
text is filled in by `warehouse/review/workbook.py`; every language of a key has the same
ones (tests/test_feedback.py checks that no key lacks a language). Portuguese is the
European usage of Cabo Verde, Mozambique and Timor-Leste.
"""

from __future__ import annotations

from pathlib import Path

import yaml

MESSAGES: dict[str, dict[str, str]] = yaml.safe_load(
    (Path(__file__).with_name("messages.yml")).read_text(encoding="utf-8"))
