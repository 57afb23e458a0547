"""The one Dagster ``Definitions`` object: assets partitioned by tenant, checks, the refresh job
that `pccw run`, the schedules, the sensors and the UI all run, resources and the executor.

In-process because DuckDB allows one writer per file: steps must not write the warehouse
concurrently from separate processes. A run is one tenant's refresh: its partition key.
"""
from __future__ import annotations

import warnings
from functools import lru_cache

from dagster import (AssetKey, AssetSelection, AssetSpec, Definitions, PreviewWarning, StaticPartitionsDefinition,
                     define_asset_job, in_process_executor)

from dagster_project.assets import landing_assets, pack_assets, publication_asset, site_asset, warehouse_models_asset
from dagster_project.checks.freshness import freshness_checks
from dagster_project.checks.provider_returns import provider_return_checks
from dagster_project.resources import TenantResource, dbt_resource
from dagster_project.schedules import inbox_sensors, nightly_schedules
from dagster_project.tenants import available_tenants

REFRESH_JOB = "refresh"

# Partitioned asset checks are marked "preview" in Dagster 1.13; they are what a run per tenant needs.
warnings.filterwarnings("ignore", category=PreviewWarning)

# Tables the pipeline writes outside dbt that dbt reads as sources: shown in their own group.
META_TABLES = {"landed_files": "Every file landed: family, sha256, load id, rows (written by landing).",
               "build_state": "The last successful dbt build per tenant (written by refresh.publish).",
               "dbt_results": "Every dbt node's result of every build (written by dbt's on-run-end hook)."}


@lru_cache(maxsize=4)
def build_definitions(tenants: tuple[str, ...]) -> Definitions:
    """The definitions for these tenants (the configured ones: see :func:`current_definitions`)."""
    partitions = StaticPartitionsDefinition(list(tenants))
    refresh_job = define_asset_job(REFRESH_JOB, selection=AssetSelection.all(),
                                   partitions_def=partitions,
                                   description="One tenant's refresh: land every source, build the warehouse, "
                                               "check it, render the packs due.")
    return Definitions(
        assets=[*landing_assets(partitions), warehouse_models_asset(partitions), *pack_assets(partitions),
                publication_asset(partitions), site_asset(partitions),
                *(AssetSpec(AssetKey(["meta", t]), group_name="meta", description=d) for t, d in META_TABLES.items())],
        asset_checks=[*provider_return_checks(partitions), *freshness_checks(partitions)],
        jobs=[refresh_job],
        schedules=nightly_schedules(refresh_job, tenants),
        sensors=inbox_sensors(refresh_job, tenants),
        resources={
            "tenant": TenantResource(),
            "dbt": dbt_resource(),
        },
        executor=in_process_executor,
    )


def current_definitions() -> Definitions:
    """The definitions for the tenants configured now (``sources/*/tenant.yml``)."""
    return build_definitions(tuple(available_tenants()))


defs = current_definitions()
