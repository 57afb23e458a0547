"""Dagster asset checks: the provider-return suites over every return in the raw table.

Returns that break a critical rule are rejected before they reach ``raw``, so the critical
checks guard against anything that slips past (and block the models if it does); warning
rules show the returns accepted with warnings.

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

from dagster_project.checks.suites import Suite, load_suites, run_suite
from dagster_project.extract.provider_returns import TABLE
from dagster_project.resources import TenantResource
from dagster_project.warehouse import current, open_reader_at, writing
from dagster_project.returns import frames as fr

RETURN_CELLS = AssetKey(["raw", TABLE])


def read_cells(con) -> list[tuple]:
    """Every landed provider-return cell: (file, sheet, cell, group, row, column, value)."""
    return con.execute(f"""select _source_file, sheet, cell, row_group, row_label, column_label, value
                           from raw.{TABLE}""").fetchall()


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


def record_verdict(tenant: str, name: str, key: str, verdict: dict) -> None:
    """Remember a verdict in the tenant's warehouse, under its run lock (the run's own, inside a run)."""
    with writing(tenant) as session:
        _record(session.connect(), name, key, verdict)


def _record(con, name: str, key: str, verdict: dict) -> None:
    try:
        con.execute("insert or replace into meta.asset_check_verdicts values (?, ?, ?, current_timestamp)",
                    [name, key, json.dumps(verdict)])
    finally:
        con.close()


def judge(suite: Suite, cell_rows: list[tuple]) -> dict:
    """Run the suite over the landed cells (``read_cells``) and say what it found."""
    cells = fr.cells_frame(cell_rows)
    failures = run_suite(suite, fr.BUILDERS[suite.frame](cells, suite.parameters))
    critical = [f for f in failures if f.severity == "critical"]
    examples = "\n".join(f"- {f.row['file']} {f.row['sheet']}!{f.row['cell']}: {f.rule}" for f in failures[:20])
    return {"passed": not failures, "failures": len(failures), "critical_failures": len(critical),
            "returns_checked": int(cells["file"].nunique()) if len(cells) else 0, "examples": examples or "none"}


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
            cell_rows = read_cells(con) if verdict is None else None
        finally:
            con.close()
        repeated = verdict is not None
        if verdict is None:
            verdict = judge(suite, cell_rows)
            record_verdict(slug, suite.name, key, verdict)
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
