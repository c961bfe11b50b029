"""Benchmark at the scale we design for, every figure from one run on the same inputs.

    make bench                                    # 5,000 workbooks, 6,000 interventions
    .venv/bin/python tests/benchmarks/scale.py --workbooks 500 --interventions 600 --series 100,250

Every ISO 3166-1 country gets synthetic SSI workbooks for consecutive reference years
(each modelled on one of the 21 sample country profiles), and one RMT export holds the
interventions (about 50 impact snapshots each). The inputs are generated once into
`--cache` and reused. Each pipeline run is the real `spf run` in its own process, timed
from start to exit, with its peak memory and the per-step timings of its run summary.

Measured: a cold build, a run with nothing new (without and with a running Prefect
server), one new submission, one revised submission, ten new submissions, then with a warm
worker (`spf worker`) nothing new and a revised submission; the programme's pages each
publication writes (the run's `write_site` step); the SSI ingest
alone against the floor of reading every cell of the same files with python-calamine into
DuckDB, and against a plain pandas + openpyxl reader on 500 workbooks; a scaling series of
cold builds. Results go to `results.json`, `results.md` and `scaling.png` in `--cache`.
Not part of `make test`: it takes many minutes and measures this machine, it asserts
nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pycountry
from synthetic_rmt import synthetic_pages  # beside this script, first on sys.path

from ingest.samples import generate
from ingest.samples.workbook import write_ssi_workbook

PYTHON = sys.executable
SPF = str(Path(PYTHON).with_name("spf"))
PREFECT = str(Path(PYTHON).with_name("prefect"))
TARGETS = {  # run: (what issue 28 measured before, its target)
    "cold": ("54.7-69.6 s", "≤ 40 s"),
    "revised_warm": ("19.6 s, 28 % of cold (cold path)", "≤ 5 s and ≤ 10 % of cold"),
    "nothing_new_server": ("4.3 s", "≤ 1.5 s"),
    "nothing_new": ("2.2 s", "≤ 1 s"),
    "ingest_vs_floor": ("3.96×", "≤ 2×"),
    "peer": ("1.6× faster", "≥ 5× faster"),
    "peak_memory": ("780 MiB", "≤ 512 MiB"),
    "peak_memory_largest": ("972 MiB", "≤ 1 GiB"),
    "cold_largest": ("118 s", "≤ 80 s, within 2× of 5,000"),
    "site": ("no pages", "a few seconds"),
}


def _workbook(job: tuple[str, int, int, int, str]) -> None:
    """One workbook: a sample profile's 2019 or 2022 figures, filed as `iso3` and `year`."""
    iso3, year, profile, revision, target = job
    country = dataclasses.replace(generate.COUNTRIES[profile], iso3=iso3)
    kwargs = generate._country_year(country, 2019 if year < 2021 else 2022,
                                    generate._Draws(f"{iso3}{revision}"))
    kwargs["cover"].update(reference_year=year, revision=revision,
                           submission_date=datetime.date(year + 1, 3, 1))
    write_ssi_workbook(Path(target), **kwargs)


def _jobs(count: int, folder: Path, first_year: int = 2024) -> list[tuple]:
    codes = sorted(c.alpha_3 for c in pycountry.countries)
    years = -(-count // len(codes))
    return [(iso3, first_year - y, n % len(generate.COUNTRIES), 1,
             str(folder / f"{iso3}_{first_year - y}.xlsx"))
            for y in range(years) for n, iso3 in enumerate(codes)][:count]


def make_workbooks(folder: Path, jobs: list[tuple]) -> Path:
    """The workbooks of `jobs` in `folder`, generated unless already there."""
    if not folder.is_dir():
        partial = folder.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        with ProcessPoolExecutor() as pool:
            list(pool.map(_workbook, [(*j[:4], j[4].replace(str(folder), str(partial)))
                                      for j in jobs], chunksize=50))
        partial.rename(folder)
    return folder


def make_rmt(cache: Path, interventions: int) -> Path:
    rmt = cache / f"rmt-{interventions}"
    if not rmt.is_dir():
        export = rmt.with_suffix(".partial") / "2025-06-30"
        shutil.rmtree(export.parent, ignore_errors=True)
        export.mkdir(parents=True)
        for n, body in enumerate(synthetic_pages(interventions), start=1):
            (export / f"page-{n:04d}.json").write_bytes(body)
        export.parent.rename(rmt)
    return rmt


def timed(argv: list[str], log: Path, env: dict | None = None) -> dict:
    """One command in its own process: wall time, peak memory, exit code."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SPF_", "PREFECT_API"))}
    start = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                   env={**base, **(env or {})})
        _, status, usage = os.wait4(process.pid, 0)
    return {"seconds": round(time.monotonic() - start, 2),
            "exit_code": os.waitstatus_to_exitcode(status),
            "peak_rss_mib": round(usage.ru_maxrss / 1024)}


def spf_run(landing: Path, rmt: Path | None, home: Path, log: Path,
            env: dict | None = None) -> dict:
    """`spf run`, with the step timings of its run summary."""
    argv = [SPF, "run", "--landing", str(landing), "--warehouse", str(home / "spf.duckdb")]
    result = timed(argv + (["--rmt-dir", str(rmt)] if rmt else []), log, env)
    latest = home / "docs" / "runs" / "latest.json"
    if latest.exists():
        summary = json.loads(latest.read_text())
        result["steps"] = summary.get("timings", {})
        result["published"] = summary.get("published")
        result["refreshed"] = summary.get("build", {}).get("refreshed")
        result["site"] = summary.get("site")
    if result["exit_code"]:
        result["output"] = log.read_text().strip().splitlines()[-5:]
    return result


FLOOR = """
import sys, duckdb, pandas as pd
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from python_calamine import CalamineWorkbook

def cells(path):
    book = CalamineWorkbook.from_path(path)
    return [(path, sheet, r, c, None if v is None else str(v))
            for sheet in book.sheet_names
            for r, row in enumerate(book.get_sheet_by_name(sheet).to_python())
            for c, v in enumerate(row) if v not in (None, "")]

files = sorted(str(p) for p in Path(sys.argv[1]).glob("*.xlsx"))
with ProcessPoolExecutor(2) as pool:
    rows = [row for found in pool.map(cells, files, chunksize=16) for row in found]
frame = pd.DataFrame(rows, columns=["file", "sheet", "row", "col", "value"])
con = duckdb.connect(sys.argv[2])
con.execute("create table cells as select * from frame")
print(len(files), "files,", con.execute("select count(*) from cells").fetchone()[0], "cells")
"""

PEER = """
import sys, duckdb, pandas as pd
from pathlib import Path

con = duckdb.connect(sys.argv[2])
frames = []
for path in sorted(Path(sys.argv[1]).glob("*.xlsx")):
    for sheet, frame in pd.read_excel(path, sheet_name=None, engine="openpyxl",
                                      header=None).items():
        frames.append(frame.astype(str).assign(file=path.name, sheet=sheet))
read = pd.concat(frames, ignore_index=True)
con.execute("create table sheets as select * from read")
print(len(frames), "sheets")
"""

INGEST = """
import sys
from pathlib import Path
from ingest.paths import resolve
from warehouse.sources.registry import Inputs
from warehouse.sources.ssi import ingest_ssi
paths = resolve(Path(sys.argv[2]) / "spf.duckdb")
summary = ingest_ssi(paths, "bench", Inputs({"landing": Path(sys.argv[1])}))
print(summary["counts"])
"""


def python(script: str, *args: str, log: Path) -> dict:
    return timed([PYTHON, "-c", script, *args], log)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nothing_new_on_a_server(landing: Path, rmt: Path, home: Path, cache: Path) -> dict:
    """`spf run` with nothing new, against a running Prefect server (started here)."""
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(cache / "prefect-home"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port",
                               str(port), "--analytics-off"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api"
    try:
        import httpx

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        extra = {"PREFECT_API_URL": url, "PREFECT_HOME": env["PREFECT_HOME"]}
        spf_run(landing, rmt, home, cache / "server-warmup.log", extra)  # first: registers
        return spf_run(landing, rmt, home, cache / "nothing_new_server.log", extra)
    finally:
        server.terminate()
        server.wait(30)


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


def markdown(results: dict) -> str:
    r = results
    cold, revised = r["cold"]["seconds"], r["revised"]["seconds"]
    rows = [
        ("cold, {w:,} workbooks + {i:,} interventions".format(w=r["workbooks"],
                                                              i=r["interventions"]),
         "cold", f"{cold} s"),
        ("one revised submission into the world warehouse", "revised",
         f"{revised} s, {ratio(revised, cold) * 100:.0f} % of the cold build"),
        ("one revised submission, warm worker", "revised_warm",
         f"{r['revised_warm']['seconds']} s, "
         f"{ratio(r['revised_warm']['seconds'], cold) * 100:.0f} % of the cold build"),
        ("nothing new, warm worker", None, f"{r['nothing_new_warm']['seconds']} s"),
        ("one new submission", None, f"{r['one_new']['seconds']} s"),
        ("`spf diff` of the revised publication against the one before", None,
         f"{r['diff']['seconds']} s"),
        ("ten new submissions", None, f"{r['ten_new']['seconds']} s"),
        ("nothing new, running Prefect server", "nothing_new_server",
         f"{r['nothing_new_server']['seconds']} s"),
        ("nothing new, `spf run` without a server", "nothing_new",
         f"{r['nothing_new']['seconds']} s"),
        ("SSI ingest vs calamine floor (same {w:,} files, same run)".format(
            w=r["workbooks"]), "ingest_vs_floor",
         f"{ratio(r['ssi_ingest']['seconds'], r['calamine_floor']['seconds'])}× "
         f"({r['ssi_ingest']['seconds']} s / {r['calamine_floor']['seconds']} s)"),
        (f"vs pandas + openpyxl peer ({r['peer_workbooks']} workbooks)", "peer",
         f"{ratio(r['peer']['seconds'], r['ssi_ingest_peer']['seconds'])}× faster "
         f"({r['ssi_ingest_peer']['seconds']} s / {r['peer']['seconds']} s)"),
        ("peak memory, cold", "peak_memory", f"{r['cold']['peak_rss_mib']} MiB"),
        ("the programme's pages of the world ({p:,} pages, {f:,} files), cold".format(
            p=(r["cold"].get("site") or {}).get("pages", 0),
            f=(r["cold"].get("site") or {}).get("files", 0)), "site", site_seconds(r["cold"])),
        ("the pages again after one revised submission", None, site_seconds(r["revised"])),
        ("the pages in a run with nothing new", None, site_seconds(r["nothing_new"])),
    ]
    series = r.get("series", {})
    if series:
        top = max(series, key=int)
        rows += [
            (f"peak memory, cold, {int(top):,} workbooks (SSI only)", "peak_memory_largest",
             f"{series[top]['peak_rss_mib']} MiB"),
            (f"cold, {int(top):,} workbooks (SSI only)", "cold_largest",
             f"{series[top]['seconds']} s"
             + (f", {ratio(series[top]['seconds'], series[str(r['workbooks'])]['seconds'])}× "
                f"the {r['workbooks']:,}" if str(r["workbooks"]) in series else "")),
        ]
    out = ["| run | measured before | target | measured now |", "|---|---|---|---|"]
    for label, key, now in rows:
        before, target = TARGETS.get(key, ("", ""))
        out.append(f"| {label} | {before} | {target} | {now} |")
    out += ["", "Scaling series (cold builds, SSI only): seconds per step, peak RSS.", "",
            "| workbooks | total s | " + " | ".join(STEPS) + " | peak MiB |",
            "|---|---|" + "---|" * len(STEPS) + "---|"]
    for n, run in sorted(r["series"].items(), key=lambda kv: int(kv[0])):
        steps = run.get("steps", {})
        out.append(f"| {int(n):,} | {run['seconds']} | " + " | ".join(
            str(steps.get(s, {}).get("seconds", "")) for s in STEPS)
            + f" | {run['peak_rss_mib']} |")
    return "\n".join(out) + "\n"


STEPS = ("ingest_ssi", "build_marts", "validate_marts", "publish_marts", "write_site",
         "review_submissions")


def site_seconds(run: dict) -> str:
    """The run's `write_site` step, or that it wrote no pages."""
    step = run.get("steps", {}).get("write_site")
    return f"{step['seconds']} s" if step else "not written (the pages in place are current)"


def chart(results: dict, target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = sorted(((int(n), run) for n, run in results["series"].items()))
    sizes = [n for n, _ in series]
    figure, axis = plt.subplots(figsize=(8, 5))
    axis.plot(sizes, [run["seconds"] for _, run in series], marker="o", label="total")
    for name in STEPS:
        values = [run.get("steps", {}).get(name, {}).get("seconds") for _, run in series]
        if any(values):
            axis.plot(sizes, values, marker=".", label=name)
    axis.set_xlabel("workbooks")
    axis.set_ylabel("seconds (cold build)")
    axis.set_title(f"SPF Warehouse: time against workbooks ({results['cpus']} cores)")
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(target, dpi=120)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbooks", type=int, default=5000)
    parser.add_argument("--interventions", type=int, default=6000)
    parser.add_argument("--peer-workbooks", type=int, default=500)
    parser.add_argument("--series", default="500,1000,2500,5000,10000")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/spf-bench"))
    args = parser.parse_args(argv)
    cache = args.cache
    cache.mkdir(parents=True, exist_ok=True)
    say = lambda text: print(text, flush=True)  # noqa: E731

    start = time.monotonic()
    sizes = sorted({int(n) for n in args.series.split(",") if n} | {args.workbooks})
    largest = make_workbooks(cache / f"ssi-{max(sizes)}", _jobs(max(sizes),
                                                                 cache / f"ssi-{max(sizes)}"))
    sets = {}
    for n in sizes:  # each set is the first n of the largest, linked, not copied
        folder = cache / f"set-{n}"
        if not folder.is_dir():
            folder.mkdir()
            for job in _jobs(n, largest):
                os.link(job[4], folder / Path(job[4]).name)
        sets[n] = folder
    extra = make_workbooks(cache / "extra", [
        (iso3, 2025, k % len(generate.COUNTRIES), 1, str(cache / "extra" / f"{iso3}_2025.xlsx"))
        for k, iso3 in enumerate(("KHM", "LAO", "VNM", "SEN", "TGO", "NER", "MWI", "ZMB",
                                  "IDN", "IND", "PAK"))])
    revision = make_workbooks(cache / "revision", [
        ("KHM", 2024, 0, number, str(cache / "revision" / f"KHM_2024_r{number}.xlsx"))
        for number in (2, 3, 4)])
    rmt = make_rmt(cache, args.interventions)
    say(f"inputs ready in {time.monotonic() - start:.0f} s")

    results: dict = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                     "workbooks": args.workbooks, "interventions": args.interventions,
                     "peer_workbooks": args.peer_workbooks, "cpus": os.cpu_count()}
    landing = cache / "landing"
    shutil.rmtree(landing, ignore_errors=True)
    shutil.copytree(sets[args.workbooks], landing, copy_function=os.link)
    home = cache / "home"
    shutil.rmtree(home, ignore_errors=True)

    def record(name: str, result: dict) -> None:
        results[name] = result
        say(f"{name}: {json.dumps({k: v for k, v in result.items() if k != 'steps'})}")

    record("cold", spf_run(landing, rmt, home, cache / "cold.log"))
    record("nothing_new", spf_run(landing, rmt, home, cache / "nothing_new.log"))
    record("nothing_new_server", nothing_new_on_a_server(landing, rmt, home, cache))
    new = sorted(extra.glob("*.xlsx"))
    os.link(new[0], landing / new[0].name)
    record("one_new", spf_run(landing, rmt, home, cache / "one_new.log"))
    os.link(revision / "KHM_2024_r2.xlsx", landing / "KHM_2024_r2.xlsx")
    record("revised", spf_run(landing, rmt, home, cache / "revised.log"))
    record("diff", timed([SPF, "diff", "--warehouse", str(home / "spf.duckdb"), "--format",
                          "json"], cache / "diff.log"))
    for path in new[1:11]:
        os.link(path, landing / path.name)
    record("ten_new", spf_run(landing, rmt, home, cache / "ten_new.log"))
    # The warm worker (spf worker): every spf run from here is handed to it. Its first run
    # parses the dbt project (a worker that has run once since it started has done so).
    worker = subprocess.Popen([SPF, "worker", "--warehouse", str(home / "spf.duckdb")],
                              stdout=(cache / "worker.log").open("w"), stderr=subprocess.STDOUT,
                              env={k: v for k, v in os.environ.items()
                                   if not k.startswith(("SPF_", "PREFECT_API"))})
    try:
        deadline = time.monotonic() + 120
        while "ready" not in (cache / "worker.log").read_text():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit(f"spf worker did not start: {(cache / 'worker.log').read_text()}")
            time.sleep(0.2)
        record("nothing_new_warm", spf_run(landing, rmt, home, cache / "nothing_new_warm.log"))
        os.link(revision / "KHM_2024_r3.xlsx", landing / "KHM_2024_r3.xlsx")
        record("revised_warm_first", spf_run(landing, rmt, home, cache / "revised_warm1.log"))
        os.link(revision / "KHM_2024_r4.xlsx", landing / "KHM_2024_r4.xlsx")
        record("revised_warm", spf_run(landing, rmt, home, cache / "revised_warm.log"))
    finally:
        worker.terminate()
        worker.wait(60)

    floor_db = cache / "floor.duckdb"
    for name, script, folder in (("calamine_floor", FLOOR, sets[args.workbooks]),):
        floor_db.unlink(missing_ok=True)
        record(name, python(script, str(folder), str(floor_db), log=cache / f"{name}.log"))
    ingest_home = cache / "ingest-home"
    shutil.rmtree(ingest_home, ignore_errors=True)
    record("ssi_ingest", python(INGEST, str(sets[args.workbooks]), str(ingest_home),
                                log=cache / "ssi_ingest.log"))
    peer_set = sets.get(args.peer_workbooks) or sets[min(sizes)]
    peer_db = cache / "peer.duckdb"
    peer_db.unlink(missing_ok=True)
    record("peer", python(PEER, str(peer_set), str(peer_db), log=cache / "peer.log"))
    shutil.rmtree(ingest_home, ignore_errors=True)
    record("ssi_ingest_peer", python(INGEST, str(peer_set), str(ingest_home),
                                     log=cache / "ssi_ingest_peer.log"))

    results["series"] = {}
    for n in sizes:
        series_home = cache / f"series-home-{n}"
        shutil.rmtree(series_home, ignore_errors=True)
        results["series"][str(n)] = spf_run(sets[n], None, series_home,
                                            cache / f"series-{n}.log")
        say(f"series {n}: {results['series'][str(n)]['seconds']} s")
        shutil.rmtree(series_home, ignore_errors=True)

    (cache / "results.json").write_text(json.dumps(results, indent=2))
    table = markdown(results)
    (cache / "results.md").write_text(table)
    chart(results, cache / "scaling.png")
    say("\n" + table)
    say(f"written: {cache / 'results.json'}, {cache / 'results.md'}, {cache / 'scaling.png'}")
    failed = [k for k, v in results.items() if isinstance(v, dict) and v.get("exit_code")]
    if failed:
        say(f"runs that failed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
