"""Dagster asset checks: the provider-return suites over every return in the raw table.

Returns that break a critical rule are rejected before they reach ``raw``, so the critical
checks guard against anything that slips past (and block the models if it does); warning
rules show the returns accepted with warnings.

A suite made of row-wise expectations (``suites.suite_key``) finds the same failures in a return
whether it is judged alone or with others. Each return's failures are kept by the suite's key and the
file's sha256 (``meta.return_suite_results``): the landing screen keeps them for every return it
lands, having just judged it, and the check judges only the landed returns with none kept under the
suite as it is now (all of them after the suite or its frame code changed; any that reached ``raw``
without the screen), so a suite is not run twice over the same return.

A check's verdict depends only on its suite, the code that builds its frame, and the files
landed for returns and the register. When none of those changed since the check last ran,
the recorded verdict is given again (``meta.asset_check_verdicts``) without reading the
cells or starting Great Expectations: a nightly run with no new returns costs nothing here.
"""
import hashlib
import json
from pathlib import Path

from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue,
                     PartitionsDefinition, asset_check)

from dagster_project.checks.suites import (Suite, failure_record, keep_results, kept_results, load_suites, run_suite,
                                           suite_key)
from dagster_project.extract.provider_returns import TABLE
from dagster_project.resources import TenantResource
from dagster_project.warehouse import current, open_reader_at, writing
from dagster_project.returns import frames as fr

RETURN_CELLS = AssetKey(["raw", TABLE])


def read_cells(con, shas: list[str] | None = None) -> list[tuple]:
    """Landed provider-return cells: (file, sheet, cell, group, row, column, value); only the returns with
    these sha256s when given, each file then named ``<file>\0<sha256>`` (two returns may share a name)."""
    if shas is None:
        return con.execute(f"""select _source_file, sheet, cell, row_group, row_label, column_label, value
                               from raw.{TABLE}""").fetchall()
    return con.execute(f"""select _source_file || chr(0) || _source_sha256, sheet, cell, row_group, row_label,
                                  column_label, value
                           from raw.{TABLE} where list_contains(?, _source_sha256)""", [shas]).fetchall()


CODE = [Path(fr.__file__), Path(__file__), Path(__file__).with_name("suites.py")]


def inputs_key(con, suite: Suite) -> str:
    """What the verdict depends on: the suite, the frame code, the landed returns and register."""
    digest = hashlib.sha256(json.dumps(suite.document, sort_keys=True).encode())
    for path in CODE:
        digest.update(path.read_bytes())
    for (sha,) in con.execute("""select sha256 from meta.landed_files
                                 where family in ('provider_returns', 'agreements') order by sha256""").fetchall():
        digest.update(sha.encode())
    return digest.hexdigest()


def recorded_verdict(con, name: str, key: str) -> dict | None:
    """The verdict recorded for the check on these inputs, or None (also in a warehouse from before the table)."""
    exists = con.execute("""select 1 from duckdb_tables()
                            where schema_name = 'meta' and table_name = 'asset_check_verdicts'""").fetchone()
    row = exists and con.execute("""select verdict from meta.asset_check_verdicts
                                    where check_name = ? and inputs_key = ?""", [name, key]).fetchone()
    return json.loads(row[0]) if row else None


def record_verdict(tenant: str, name: str, key: str, verdict: dict, kept: dict | None = None) -> None:
    """Remember a verdict (and returns' results by suite key: ``{(suite_key, sha256): failures}``) in the
    tenant's warehouse, under its run lock (the run's own, inside a run)."""
    with writing(tenant) as session:
        con = session.connect()
        try:
            con.execute("insert or replace into meta.asset_check_verdicts values (?, ?, ?, current_timestamp)",
                        [name, key, json.dumps(verdict)])
            keep_results(con, kept or {})
        finally:
            con.close()


def judge(suite: Suite, cell_rows: list[tuple]) -> dict:
    """Run the suite over the landed cells (``read_cells``) and say what it found."""
    cells = fr.cells_frame(cell_rows)
    failures = run_suite(suite, fr.BUILDERS[suite.frame](cells, suite.parameters))
    return _verdict([failure_record(f) for f in failures], int(cells["file"].nunique()) if len(cells) else 0)


def _verdict(failures: list[dict], returns_checked: int) -> dict:
    """A check's verdict from its failures (``suites.failure_record``), as recorded and shown."""
    critical = [f for f in failures if f["severity"] == "critical"]
    examples = "\n".join(f"- {f['file']} {f['sheet']}!{f['cell']}: {f['rule']}" for f in failures[:20])
    return {"passed": not failures, "failures": len(failures), "critical_failures": len(critical),
            "returns_checked": returns_checked, "examples": examples or "none"}


def judge_by_return(suite: Suite, key: str, landed: list[tuple[str, str]], kept: dict[str, list[dict]],
                    cell_rows: list[tuple]) -> tuple[dict, dict]:
    """The verdict over every landed return ((sha256, file) pairs) from the failures kept per return and
    the suite run over the others' cells (``read_cells(con, shas)``); and the results it found now, to keep."""
    found: dict[str, list[dict]] = {sha: [] for sha, _ in landed if sha not in kept}
    if cell_rows:
        cells = fr.cells_frame(cell_rows)
        for failure in run_suite(suite, fr.BUILDERS[suite.frame](cells, suite.parameters)):
            record = failure_record(failure)
            record["file"], sha = record["file"].split("\0")
            found[sha].append(record)
    failures = [f for sha, _ in landed for f in (kept[sha] if sha in kept else found[sha])]
    return _verdict(failures, len(landed)), {(key, sha): records for sha, records in found.items()}


def suite_check(suite: Suite, partitions: PartitionsDefinition):
    @asset_check(asset=RETURN_CELLS, name=suite.name, blocking=True, partitions_def=partitions,
                 description=f"{suite.description} (expectations/{suite.name}.json)")
    def _check(context: AssetCheckExecutionContext, tenant: TenantResource) -> AssetCheckResult:
        slug = tenant.slug(context)
        # Inside a run the returns just landed are in the run's working copy, not yet published.
        con = open_reader_at(current(slug))
        try:
            key = inputs_key(con, suite)
            verdict = recorded_verdict(con, suite.name, key)
            by_return = suite_key(suite)
            if verdict is None and by_return is None:
                cell_rows = read_cells(con)
            elif verdict is None:
                landed = con.execute(f"""select distinct _source_sha256, _source_file from raw.{TABLE}
                                         order by _source_file, _source_sha256""").fetchall()
                kept = kept_results(con, by_return)
                missing = [sha for sha, _ in landed if sha not in kept]
                cell_rows = read_cells(con, missing) if missing else []
        finally:
            con.close()
        repeated = verdict is not None
        if verdict is None and by_return is None:
            verdict = judge(suite, cell_rows)
            record_verdict(slug, suite.name, key, verdict)
        elif verdict is None:
            verdict, found = judge_by_return(suite, by_return, landed, kept, cell_rows)
            record_verdict(slug, suite.name, key, verdict, found)
        return AssetCheckResult(
            passed=verdict["passed"],
            severity=AssetCheckSeverity.ERROR if verdict["critical_failures"] else AssetCheckSeverity.WARN,
            metadata={"failures": verdict["failures"], "critical_failures": verdict["critical_failures"],
                      "returns_checked": verdict["returns_checked"],
                      "examples": MetadataValue.md(verdict["examples"]),
                      "verdict": "repeated: inputs unchanged since last checked" if repeated else "checked now"},
        )

    return _check


def provider_return_checks(partitions: PartitionsDefinition) -> list:
    """One blocking check per provider-return suite in ``expectations/``."""
    return [suite_check(s, partitions) for s in load_suites("provider_return_")]
