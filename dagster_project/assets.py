"""Dagster assets: one landing asset per source family, then the dbt models.

Landing assets write the ``raw`` schema (keys ``raw/<table>``), which the dbt sources
of the same names read, so the asset graph runs files -> raw -> staging -> ...
"""

import json
import os

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.dbt_project import DBT_PROJECT, ensure_manifest
from dagster_project.extract.families import BY_NAME, FAMILIES, Family
from dagster_project.extract.ingest import ingest_family, raw_row_counts
from dagster_project.resources import TenantResource


def landing_asset(family: Family):
    upstream = [AssetKey(["raw", table]) for name in family.depends_on for table in BY_NAME[name].tables]
    specs = [AssetSpec(AssetKey(["raw", table]), group_name="raw", kinds={"duckdb"}, deps=upstream,
                       description=f"{family.description} Raw table raw.{table}.")
             for table in family.tables]

    @multi_asset(name=f"land_{family.name}", specs=specs, group_name="raw",
                 description=f"Land new {family.name} files and load them into raw tables.")
    def _land(context: AssetExecutionContext, tenant: TenantResource):
        t = tenant.load()
        report = ingest_family(t, family, tenant.load_id_for(context))
        context.log.info(report.summary())
        for name in report.skipped:
            context.log.info(f"skipped, already landed: {name}")
        for name, reason in report.quarantined:
            context.log.error(f"quarantined: {reason}")
        counts = raw_row_counts(t)
        for table in family.tables:
            yield MaterializeResult(
                asset_key=AssetKey(["raw", table]),
                metadata={
                    "tenant": t.slug,
                    "load_id": report.load_id,
                    "files_landed": len(report.landed),
                    "files_skipped": len(report.skipped),
                    "files_quarantined": len(report.quarantined),
                    "rows_loaded_now": report.rows,
                    "rows_in_table": counts.get(table, 0),
                    "quarantine_reasons": MetadataValue.md(
                        "\n".join(f"- {reason}" for _, reason in report.quarantined) or "none"),
                },
            )

    return _land


LANDING_ASSETS = [landing_asset(f) for f in FAMILIES]


@dbt_assets(manifest=ensure_manifest(), project=DBT_PROJECT)
def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource, tenant: TenantResource):
    """Every dbt model, seed and test, built into the tenant's warehouse."""
    os.environ["PCCW_WAREHOUSE"] = str(tenant.paths().warehouse)
    as_of = tenant.load().as_of
    args = ["build", "--vars", json.dumps({"as_of": as_of.isoformat()})] if as_of else ["build"]
    yield from dbt.cli(args, context=context).stream()
