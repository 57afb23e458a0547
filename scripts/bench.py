"""``make bench``: time the refresh and the national-scale police load, and write BENCHMARKS.md.

Every measured step runs as its own process, started the way a user or the scheduler starts
it, so imports and dbt's start-up count. A sampler adds up the resident memory of the step's
whole process tree (dbt runs as a child) ten times a second; its peak is reported.

Rows of the table:
  1. the demo tenant's full refresh from an empty warehouse (land, dbt build and tests, asset
     checks, packs), with the demo inbox already written;
  1f. its floor: the same raw data loaded by plain DuckDB ``CREATE TABLE AS read_csv`` (one statement
     a table) into an empty file, then ``dbt build`` alone (the dbt CLI, the same project, data tests
     included) starting from a kept parse. Plain DuckDB cannot read the workbooks (no excel extension
     here), so every raw and meta table the refresh made is written to CSV once, untimed, and the
     floor reads those;
  2. the same command again with nothing new in the inbox (a quiet night: see run_stamp.py);
  2a. the same with ``--force``: every step through Dagster, each finding nothing to do (what a run
     started by the Dagster schedule or UI does on a quiet night);
  3. again after one new provider return arrives;
  4. national-scale police data (43 forces, five financial years) landed into an empty
     warehouse, then ``dbt build`` of ``crime_context`` and everything it needs, tests included;
  5. the floor for 4: the same files loaded by plain DuckDB SQL (``CREATE TABLE AS SELECT * FROM
     read_csv(...)``) and aggregated into the same crime counts by district, year and type; with
     a second, lower floor that keeps nothing (one aggregate straight over the files).

Usage: ``python scripts/bench.py [--runs 3] [--years 5] [--scale 1.0] [--out BENCHMARKS.md]``.
The work folder (``var/bench``) keeps the generated national files between runs (about 8 GB).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
TENANT = "west_yorkshire"
NOTES_MARK = "<!-- notes: kept when make bench rewrites this file -->"
PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "great-expectations", "pandas", "openpyxl")


# ---------------------------------------------------------------- measuring a process tree

def _tree_rss_bytes(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def measure(args: list[str], env: dict[str, str], label: str) -> dict:
    """Run ``args``; return seconds, peak memory of its process tree, and its exit code."""
    print(f"bench: {label} ...", flush=True)
    log = WORK / "logs" / f"{label.replace(' ', '_')}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    with open(log, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        done = threading.Event()

        def sample():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_bytes(proc.pid))
                done.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    if code != 0:
        raise SystemExit(f"bench: {label} failed with exit code {code}; see {log}")
    print(f"bench: {label}: {seconds:.1f} s, peak {peak / 2**30:.2f} GiB", flush=True)
    return {"seconds": seconds, "peak_bytes": peak, "log": str(log)}


# ---------------------------------------------------------------- the steps

def base_env(sources: Path, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PCCW_SOURCES": str(sources), "PCCW_HOME": str(home), "PCCW_REPORTS_OUT": str(home / "reports"),
                "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "GX_ANALYTICS_ENABLED": "false",
                "DAGSTER_HOME": str(ROOT / "dagster_home"),
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    return env


def pccw(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "pccw"), *args]


def prepare_demo() -> tuple[Path, Path, Path]:
    """The demo inbox, written once; returns (pristine inbox, sources folder, the held-back return)."""
    pristine = WORK / "demo" / "inbox"
    if not (pristine / ".demo-data.json").exists():
        shutil.rmtree(pristine, ignore_errors=True)
        subprocess.run(pccw("demo-data", "--tenant", TENANT, "--out", str(pristine)), check=True, cwd=ROOT,
                       env=base_env(ROOT / "sources", WORK / "scratch"))
    latest = sorted((pristine / "provider_returns").iterdir())[-1]
    held = next(p for p in sorted(latest.glob("*.xlsx"), reverse=True)
                if not p.stem.endswith("_resubmitted") and not p.with_name(p.stem + "_resubmitted.xlsx").exists())
    sources = WORK / "demo" / "sources"
    (sources / TENANT).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "sources" / TENANT / "tenant.yml", sources / TENANT / "tenant.yml")
    return pristine, sources, held


def demo_round(n: int) -> dict[str, dict]:
    pristine, sources, held = prepare_demo()
    inbox = sources / TENANT / "inbox"
    home = WORK / "demo" / "home"
    shutil.rmtree(inbox, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(pristine, inbox)
    new_return = inbox / held.relative_to(pristine)
    new_return.unlink()
    env = base_env(sources, home)
    run = pccw("run", "--tenant", TENANT, "--no-demo")
    results = {"full": measure(run, env, f"demo full refresh {n}")}
    results["floor"] = demo_floor(n, home / TENANT / "warehouse.duckdb", env)
    results["rerun"] = measure(run, env, f"demo rerun no new files {n}")
    results["rerun_forced"] = measure([*run, "--force"], env, f"demo rerun no new files every step {n}")
    shutil.copyfile(held, new_return)
    results["one_return"] = measure(run, env, f"demo rerun one new return {n}")
    return results


def demo_floor(n: int, warehouse: Path, env: dict[str, str]) -> dict:
    """Row 1f: the refresh's raw and meta tables to CSV (untimed), a dbt parse for the floor's vars
    (untimed, as the refresh starts from a kept parse too), then plain loading + ``dbt build``, timed."""
    import duckdb

    folder = WORK / "demo" / "floor"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "csv").mkdir(parents=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    tables = {}
    try:
        for schema, table in con.execute("""select table_schema, table_name from information_schema.tables
                                            where table_schema in ('raw', 'meta') order by 1, 2""").fetchall():
            tables[f"{schema}.{table}"] = dict(con.execute(
                """select column_name, data_type from information_schema.columns
                   where table_schema = ? and table_name = ? order by ordinal_position""", [schema, table]).fetchall())
            con.execute(f"copy {schema}.{table} to '{folder / 'csv' / f'{schema}.{table}.csv'}' (header)")
    finally:
        con.close()
    (folder / "tables.json").write_text(json.dumps(tables))
    database = folder / "floor.duckdb"
    subprocess.run(floor_dbt("parse", database), check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    database.unlink(missing_ok=True)
    return measure([sys.executable, __file__, "_demo_floor", str(folder)], env,
                   f"demo floor plain load and dbt build {n}")


def floor_dbt(command: str, database: Path) -> list[str]:
    """The floor's dbt command on ``database``, with its own target folder (so its parse is kept)."""
    from dagster_project.dbt_project import DATA_BUILD_ARGS, dbt_executable, dbt_vars
    from dagster_project.settings import DBT_DIR
    from dagster_project.tenants import load_tenant

    extra = DATA_BUILD_ARGS if command == "build" else []
    return [dbt_executable(), command, "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
            "--target-path", str(database.parent / "target"), *dbt_vars(database, load_tenant(TENANT).as_of), *extra]


def prepare_national(years: int, scale: float) -> tuple[Path, dict]:
    """National police files (written once and kept), with the demo's census and lookup beside them."""
    sources = WORK / "national" / "sources"
    inbox = sources / TENANT / "inbox"
    stamp = WORK / "national" / "police.json"
    wanted = {"years": years, "scale": scale, "tenant": TENANT}
    if not stamp.exists() or json.loads(stamp.read_text()).get("wanted") != wanted:
        shutil.rmtree(WORK / "national", ignore_errors=True)
        (sources / TENANT).mkdir(parents=True)
        shutil.copyfile(ROOT / "sources" / TENANT / "tenant.yml", sources / TENANT / "tenant.yml")
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "_generate", str(inbox / "police"), str(years), str(scale)],
                       check=True, cwd=ROOT, env=base_env(sources, WORK / "scratch"))
        files = sorted((inbox / "police").rglob("*.csv"))
        stamp.write_text(json.dumps({"wanted": wanted, "files": len(files),
                                     "bytes": sum(p.stat().st_size for p in files),
                                     "seconds": time.perf_counter() - started}))
    shutil.copyfile(ROOT / "sources" / TENANT / "tenant.yml", sources / TENANT / "tenant.yml")
    pristine, _, _ = prepare_demo()
    for family in ("census", "lookup"):
        shutil.rmtree(inbox / family, ignore_errors=True)
        shutil.copytree(pristine / family, inbox / family)
    return sources, json.loads(stamp.read_text())


def national_round(n: int, sources: Path) -> dict[str, dict]:
    home = WORK / "national" / "home"
    floor_db = WORK / "national" / "floor.duckdb"
    results = {}
    shutil.rmtree(home, ignore_errors=True)
    results["pipeline"] = measure([sys.executable, __file__, "_national"], base_env(sources, home),
                                  f"national police ingest and crime_context {n}")
    warehouse = home / TENANT / "warehouse.duckdb"
    rows = _count(warehouse, "select count(*) from raw.police_street")
    results["phases"] = phases(results["pipeline"]["log"])
    results["warehouse_bytes"] = warehouse.stat().st_size
    shutil.rmtree(home, ignore_errors=True)   # the floor runs with the same disk room as the pipeline had
    floor_db.unlink(missing_ok=True)
    inbox = sources / TENANT / "inbox"
    results["floor"] = measure([sys.executable, __file__, "_floor", str(inbox), str(floor_db), "keep"],
                               base_env(sources, home), f"floor plain DuckDB load and aggregate {n}")
    results["floor_bytes"] = floor_db.stat().st_size
    floor_db.unlink(missing_ok=True)
    results["floor_read_only"] = measure([sys.executable, __file__, "_floor", str(inbox), str(floor_db), "read"],
                                         base_env(sources, home), f"floor plain DuckDB aggregate only {n}")
    floor_db.unlink(missing_ok=True)
    results["rows"] = rows
    return results


PHASES = {"landing": re.compile(r"^landing: ([0-9.]+) s"),
          "build-aside copy": re.compile(r"^build-aside copy of [0-9.]+ GB: ([0-9.]+) s"),
          "dbt build": re.compile(r"^dbt build: ([0-9.]+) s")}


def phases(log: str) -> dict[str, float]:
    """The seconds of each part of the national step, as the step printed them."""
    found = {}
    for line in Path(log).read_text().splitlines():
        for name, pattern in PHASES.items():
            match = pattern.match(line)
            if match:
                found[name] = float(match.group(1))
    return found


def _count(warehouse: Path, sql: str) -> int:
    from dagster_project.warehouse import open_reader_at
    with open_reader_at(warehouse) as con:
        return con.execute(sql).fetchone()[0]


# ---------------------------------------------------------------- child processes

def child_generate(folder: str, years: str, scale: str) -> None:
    from dagster_project.demo.generator import demo_years
    from dagster_project.demo.national import write_national_police
    from dagster_project.tenants import load_tenant

    tenant = load_tenant(TENANT)
    write_national_police(tenant, demo_years(tenant)[-1], Path(folder), years=int(years), scale=float(scale))


def child_national() -> None:
    """What the refresh does for police data: land the files, then build crime_context with its
    tests into a copy of the warehouse and swap it in (the refresh's build-aside, copy included)."""
    from dagster_project.dbt_project import dbt_env, dbt_executable, dbt_vars, ensure_manifest
    from dagster_project.extract.families import BY_NAME
    from dagster_project.extract.ingest import ingest_family
    from dagster_project.load_ids import new_load_id
    from dagster_project.refresh import building_copy, fingerprint_for, publish
    from dagster_project.settings import DBT_DIR, TenantPaths
    from dagster_project.tenants import load_tenant
    from dagster_project.warehouse import writing

    tenant = load_tenant(TENANT)
    load_id = new_load_id()
    with writing(TENANT, load_id) as session:      # one writer, one working copy, as in a refresh
        started = time.perf_counter()
        for family in ("tenant_config", "census", "lsoa_lookup", "police"):
            report = ingest_family(tenant, BY_NAME[family], load_id)
            print(report.summary(), flush=True)
            if report.quarantined:
                raise SystemExit(f"{family}: files were quarantined: {report.quarantined[:3]}")
        session.publish()
        print(f"landing: {time.perf_counter() - started:.1f} s", flush=True)
        ensure_manifest()
        warehouse = TenantPaths.for_tenant(TENANT).warehouse
        started = time.perf_counter()
        copy, based_on = building_copy(warehouse)
        print(f"build-aside copy of {warehouse.stat().st_size / 1e9:.2f} GB: {time.perf_counter() - started:.1f} s",
              flush=True)
        started = time.perf_counter()
        args = [dbt_executable(), "build", "--select", "+crime_context", "--project-dir", str(DBT_DIR),
                "--profiles-dir", str(DBT_DIR), *dbt_vars(copy, tenant.as_of)]
        subprocess.run(args, env=dbt_env(), cwd=DBT_DIR, check=True)
        publish(copy, based_on, warehouse, TENANT, fingerprint_for(tenant.as_of), load_id)
        print(f"dbt build: {time.perf_counter() - started:.1f} s", flush=True)


def child_demo_floor(folder: str) -> None:
    """Row 1f, timed: one ``CREATE TABLE AS read_csv`` per raw and meta table, then ``dbt build``."""
    import duckdb

    from dagster_project.dbt_project import dbt_env

    folder = Path(folder)
    database = folder / "floor.duckdb"
    con = duckdb.connect(str(database))
    for name, columns in json.loads((folder / "tables.json").read_text()).items():
        con.execute(f"create schema if not exists {name.split('.')[0]}")
        con.execute(f"create table {name} as select * from read_csv(?, header = true, columns = ?)",
                    [str(folder / "csv" / f"{name}.csv"), columns])
    con.close()
    subprocess.run(floor_dbt("build", database), check=True, cwd=ROOT, env=dbt_env())


FLOOR_READ = """read_csv('{police}/*/*-street.csv', header = true, all_varchar = true, filename = true)"""
FLOOR_LOOKUP = """(select distinct lsoa, lad22cd from (
                      select "LSOA11CD" as lsoa, "LAD22CD" as lad22cd from read_csv('{lookup}/*.csv', all_varchar = true)
                      union all
                      select "LSOA21CD", "LAD22CD" from read_csv('{lookup}/*.csv', all_varchar = true)))"""
FLOOR_AGGREGATE = """
    select case when month(m) >= 4 then year(m) else year(m) - 1 end as financial_year,
           case when s."LSOA code" is null then 'UNKNOWN' else coalesce(l.lad22cd, 'OUTSIDE') end as district,
           s."Crime type" as crime_type, count(*) as crimes, count(distinct m) as months_covered
    from (select *, cast("Month" || '-01' as date) as m from {source}) as s
    left join {lookup} as l on l.lsoa = s."LSOA code"
    group by all"""


def child_floor(inbox: str, database: str, mode: str) -> None:
    import duckdb

    police, lookup = Path(inbox) / "police", Path(inbox) / "lookup"
    con = duckdb.connect(database)
    con.execute("set enable_progress_bar = false")
    lookup_sql = FLOOR_LOOKUP.format(lookup=lookup)
    if mode == "keep":
        con.execute(f"create table police_street as select * from {FLOOR_READ.format(police=police)}")
        con.execute(f"create table crime_context as {FLOOR_AGGREGATE.format(source='police_street', lookup=lookup_sql)}")
    else:
        con.execute(f"create table crime_context as "
                    f"{FLOOR_AGGREGATE.format(source=FLOOR_READ.format(police=police), lookup=lookup_sql)}")
    con.close()


# ---------------------------------------------------------------- the report

def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def machine() -> list[str]:
    with open("/proc/meminfo") as fh:
        mem_kib = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in PACKAGES)
    return [f"- Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"- Machine: {os.cpu_count()} cores ({cpu}), {mem_kib / 2**20:.1f} GiB memory, "
            f"{platform.system()} {platform.release()}",
            f"- Python {platform.python_version()}; {versions}"]


def write_report(out: Path, runs: int, demo: list[dict], national: list[dict], data: dict, years: int,
                 scale: float) -> None:
    def col(rounds, key, field="seconds"):
        return [r[key][field] for r in rounds]

    full, rerun, one = col(demo, "full"), col(demo, "rerun"), col(demo, "one_return")
    demo_floor_s = col(demo, "floor")
    demo_ratios = [f / d for f, d in zip(full, demo_floor_s)]
    pipe, floor, floor_read = col(national, "pipeline"), col(national, "floor"), col(national, "floor_read_only")
    ratios = [p / f for p, f in zip(pipe, floor)]
    ratios_read = [p / f for p, f in zip(pipe, floor_read)]
    peak = lambda rounds, key: max(r[key]["peak_bytes"] for r in rounds) / 2**30  # noqa: E731
    rows = national[0]["rows"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`scripts/bench.py`); do not edit the measured part by hand.",
        "",
        *machine(),
        f"- Runs: {runs} of each; times are the median with (min–max), in seconds.",
        f"- National data: {data['files']:,} street-level files, {rows:,} rows, {data['bytes'] / 1e9:.2f} GB; "
        f"all 43 forces, {years} financial years, scale {scale} (generated in {data['seconds']:.0f} s by "
        "`pccw demo-data --national`'s police writer). "
        f"Warehouse after step 4: {national[0]['warehouse_bytes'] / 1e9:.2f} GB; "
        f"the floor's database: {national[0]['floor_bytes'] / 1e9:.2f} GB.",
        "",
        "| # | What | Time (s) | Peak memory | Target | |",
        "|---|---|---|---|---|---|",
        f"| 1 | Demo tenant full refresh (land, dbt build + tests, checks, packs) | {summary(full)} | "
        f"{peak(demo, 'full'):.2f} GiB | ≤ 30 s | {verdict(statistics.median(full) <= 30)} |",
        f"| 1f | Floor: the same raw tables by plain DuckDB `CREATE TABLE AS read_csv` + `dbt build` alone | "
        f"{summary(demo_floor_s)} | {peak(demo, 'floor'):.2f} GiB | | |",
        f"| 1/1f | Ratio to the floor | {summary(demo_ratios)} | | | |",
        f"| 2 | Rerun, no new files | {summary(rerun)} | {peak(demo, 'rerun'):.2f} GiB | ≤ 5 s | "
        f"{verdict(statistics.median(rerun) <= 5)} |",
        f"| 2a | … the same with `--force` (every step through Dagster, as the schedule runs it) | "
        f"{summary(col(demo, 'rerun_forced'))} | {peak(demo, 'rerun_forced'):.2f} GiB | | |",
        f"| 3 | Rerun after one new provider return | {summary(one)} | {peak(demo, 'one_return'):.2f} GiB | ≤ 15 s | "
        f"{verdict(statistics.median(one) <= 15)} |",
        f"| 4 | National police ingest + `crime_context` (dbt build with tests) | {summary(pipe)} | "
        f"{peak(national, 'pipeline'):.2f} GiB | ≤ 4 GiB | {verdict(peak(national, 'pipeline') <= 4)} |",
        *[f"| 4{letter} | … of which {name} | {summary([r['phases'][name] for r in national])} | | | |"
          for letter, name in zip("abc", PHASES) if all(name in r["phases"] for r in national)],
        f"| 5 | Floor: plain DuckDB `CREATE TABLE AS read_csv` + the same aggregate | {summary(floor)} | "
        f"{peak(national, 'floor'):.2f} GiB | | |",
        f"| 5a | Lower floor: one aggregate straight over the files, nothing kept | {summary(floor_read)} | "
        f"{peak(national, 'floor_read_only'):.2f} GiB | | |",
        f"| 4/5 | Ratio to the floor | {summary(ratios)} | | ≤ 1.5 | {verdict(statistics.median(ratios) <= 1.5)} |",
        f"| 4/5a | Ratio to the lower floor | {summary(ratios_read)} | | | |",
        "",
        "Peak memory is the largest sum of resident memory over the step's whole process tree "
        "(dbt runs as a child process), sampled ten times a second.",
        "",
    ]
    notes = ""
    if out.exists() and NOTES_MARK in out.read_text():
        notes = out.read_text().split(NOTES_MARK, 1)[1]
    out.write_text("\n".join(lines) + "\n" + NOTES_MARK + (notes or "\n"))
    print(f"bench: wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--report", action="store_true",
                        help="write the report again from the last run's var/bench/results.json, measuring nothing")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    results = WORK / "results.json"
    if args.report:
        saved = json.loads(results.read_text())
    else:
        demo = [demo_round(n + 1) for n in range(args.runs)]
        sources, data = prepare_national(args.years, args.scale)
        national = [national_round(n + 1, sources) for n in range(args.runs)]
        saved = {"demo": demo, "national": national, "data": data, "runs": args.runs, "years": args.years,
                 "scale": args.scale}
        results.write_text(json.dumps(saved, indent=2))
    write_report(args.out, saved["runs"], saved["demo"], saved["national"], saved["data"], saved["years"],
                 saved["scale"])


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        {"_generate": child_generate, "_national": child_national, "_floor": child_floor,
         "_demo_floor": child_demo_floor}[sys.argv[1]](*sys.argv[2:])
    else:
        main()
