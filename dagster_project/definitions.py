"""The one Dagster ``Definitions`` object: assets, resources and the in-process executor.

In-process because DuckDB allows one writer per file: steps must not write the
warehouse concurrently from separate processes.
"""
from __future__ import annotations

from dagster import Definitions, define_asset_job, in_process_executor
from dagster_dbt import DbtCliResource

from dagster_project.assets import LANDING_ASSETS, PACK_ASSETS, warehouse_models
from dagster_project.checks.freshness import FRESHNESS_CHECKS
from dagster_project.checks.provider_returns import PROVIDER_RETURN_CHECKS
from dagster_project.dbt_project import DBT_PROJECT, dbt_executable
from dagster_project.resources import TenantResource
from dagster_project.schedules import inbox_sensors, nightly_schedules

refresh_job = define_asset_job("refresh", selection="*",
                               description="Land every source, build the warehouse, render the packs due.")

defs = Definitions(
    assets=[*LANDING_ASSETS, warehouse_models, *PACK_ASSETS],
    asset_checks=[*PROVIDER_RETURN_CHECKS, *FRESHNESS_CHECKS],
    jobs=[refresh_job],
    schedules=nightly_schedules(refresh_job),
    sensors=inbox_sensors(refresh_job),
    resources={
        "tenant": TenantResource(),
        "dbt": DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_executable()),
    },
    executor=in_process_executor,
)
