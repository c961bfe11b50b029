"""Benchmark at the scale we design for: a cold rebuild, then a nightly run with nothing new.

    make bench                                    # 5,000 workbooks, 6,000 interventions
    .venv/bin/python tests/benchmarks/scale.py --workbooks 500 --interventions 600

Every ISO 3166-1 country gets synthetic SSI workbooks for consecutive reference years
(each modelled on one of the 21 sample country profiles), and one RMT export holds
the interventions (about 50 impact snapshots each). The inputs are generated once into
`--cache` and reused. Each run is the real `spf run` in its own process (Prefect's
temporary server included), timed from start to exit, with its peak memory; results
are printed and written as JSON beside the cache. Not part of `make test`: it takes
minutes and measures this machine, it does not assert.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pycountry
from synthetic_rmt import synthetic_pages  # beside this script, first on sys.path

from ingest.samples import generate
from ingest.samples.workbook import write_ssi_workbook

SPF = str(Path(sys.executable).with_name("spf"))


def _workbook(job: tuple[str, int, int, str]) -> None:
    """One workbook: a sample profile's 2019 or 2022 figures, filed as `iso3` and `year`."""
    iso3, year, profile, target = job
    country = dataclasses.replace(generate.COUNTRIES[profile], iso3=iso3)
    kwargs = generate._country_year(country, 2019 if year < 2021 else 2022,
                                    generate._Draws(iso3))
    kwargs["cover"].update(reference_year=year, submission_date=datetime.date(year + 1, 3, 1))
    write_ssi_workbook(Path(target), **kwargs)


def make_inputs(cache: Path, workbooks: int, interventions: int) -> tuple[Path, Path]:
    """SSI workbooks and one RMT export under `cache`, generated unless already there."""
    ssi = cache / f"ssi-{workbooks}"
    if not ssi.is_dir():
        codes = sorted(c.alpha_3 for c in pycountry.countries)
        years = -(-workbooks // len(codes))
        jobs = [(iso3, 2024 - y, n % len(generate.COUNTRIES), str(ssi / f"{iso3}_{2024 - y}.xlsx"))
                for y in range(years) for n, iso3 in enumerate(codes)][:workbooks]
        partial = ssi.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        jobs = [(*job[:3], job[3].replace(str(ssi), str(partial))) for job in jobs]
        with ProcessPoolExecutor() as pool:
            list(pool.map(_workbook, jobs, chunksize=50))
        partial.rename(ssi)
    rmt = cache / f"rmt-{interventions}"
    if not rmt.is_dir():
        export = rmt.with_suffix(".partial") / "2025-06-30"
        shutil.rmtree(export.parent, ignore_errors=True)
        export.mkdir(parents=True)
        for n, body in enumerate(synthetic_pages(interventions), start=1):
            (export / f"page-{n:04d}.json").write_bytes(body)
        export.parent.rename(rmt)
    return ssi, rmt


def timed_run(ssi: Path, rmt: Path, warehouse: Path, log: Path) -> dict:
    """One `spf run` in its own process: wall time, peak memory, exit code, last lines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPF_", "PREFECT_API"))}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    start = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen([SPF, "run", "--landing", str(ssi), "--rmt-dir", str(rmt),
                                    "--warehouse", str(warehouse)], stdout=out,
                                   stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)  # usage of this run alone
    seconds = time.monotonic() - start
    return {"seconds": round(seconds, 1), "exit_code": os.waitstatus_to_exitcode(status),
            "peak_rss_mib": round(usage.ru_maxrss / 1024),
            "output": log.read_text().strip().splitlines()[-6:]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbooks", type=int, default=5000)
    parser.add_argument("--interventions", type=int, default=6000)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/spf-bench"))
    args = parser.parse_args(argv)

    start = time.monotonic()
    ssi, rmt = make_inputs(args.cache, args.workbooks, args.interventions)
    print(f"inputs ready in {time.monotonic() - start:.0f} s: {ssi}, {rmt}", flush=True)
    home = args.cache / "home"
    shutil.rmtree(home, ignore_errors=True)
    warehouse = home / "spf.duckdb"
    results = {"workbooks": args.workbooks, "interventions": args.interventions,
               "cpus": os.cpu_count()}
    for name in ("cold", "nothing_new"):
        results[name] = timed_run(ssi, rmt, warehouse, args.cache / f"{name}.log")
        print(f"{name}: {json.dumps(results[name], indent=1)}", flush=True)
    (args.cache / "results.json").write_text(json.dumps(results, indent=2))
    if any(results[n]["exit_code"] for n in ("cold", "nothing_new")):
        sys.exit(1)


if __name__ == "__main__":
    main()
