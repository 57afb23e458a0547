"""Dagster asset checks: the provider-return suites over every return in the raw table.

Returns that break a critical rule are rejected before they reach ``raw``, so the critical
checks guard against anything that slips past (and block the models if it does); warning
rules show the returns accepted with warnings.
"""
import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from dagster_project.checks.suites import Suite, load_suites, run_suite
from dagster_project.extract.provider_returns import TABLE
from dagster_project.resources import TenantResource
from dagster_project.returns import frames as fr

RETURN_CELLS = AssetKey(["raw", TABLE])


def read_cells(warehouse) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(f"""select _source_file, sheet, cell, row_group, row_label, column_label, value
                               from raw.{TABLE}""").fetchall()
    finally:
        con.close()


def suite_check(suite: Suite):
    @asset_check(asset=RETURN_CELLS, name=suite.name, blocking=True,
                 description=f"{suite.description} (expectations/{suite.name}.json)")
    def _check(tenant: TenantResource) -> AssetCheckResult:
        cells = fr.cells_frame(read_cells(tenant.paths().warehouse))
        failures = run_suite(suite, fr.BUILDERS[suite.frame](cells, suite.parameters))
        critical = [f for f in failures if f.severity == "critical"]
        examples = "\n".join(f"- {f.row['file']} {f.row['sheet']}!{f.row['cell']}: {f.rule}" for f in failures[:20])
        return AssetCheckResult(
            passed=not failures,
            severity=AssetCheckSeverity.ERROR if critical else AssetCheckSeverity.WARN,
            metadata={"failures": len(failures), "critical_failures": len(critical),
                      "returns_checked": int(cells["file"].nunique()) if len(cells) else 0,
                      "examples": MetadataValue.md(examples or "none")},
        )

    return _check


PROVIDER_RETURN_CHECKS = [suite_check(s) for s in load_suites("provider_return_")]
