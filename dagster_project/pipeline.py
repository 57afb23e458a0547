"""Run the whole refresh for one tenant in-process: land every source, then build dbt."""
from __future__ import annotations

from dagster import DagsterInstance, ExecuteInProcessResult, materialize
from dagster_dbt import DbtCliResource

from dagster_project.assets import LANDING_ASSETS, PACK_ASSETS, warehouse_models
from dagster_project.checks.provider_returns import PROVIDER_RETURN_CHECKS
from dagster_project.dbt_project import DBT_PROJECT, dbt_executable
from dagster_project.resources import TenantResource


def run_refresh(tenant: str, load_id: str, instance: DagsterInstance | None = None,
                log_level: str = "INFO") -> ExecuteInProcessResult:
    return materialize(
        [*LANDING_ASSETS, warehouse_models, *PACK_ASSETS, *PROVIDER_RETURN_CHECKS],
        instance=instance or DagsterInstance.ephemeral(),
        resources={"tenant": TenantResource(tenant=tenant, load_id=load_id),
                   "dbt": DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_executable())},
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        tags={"pccw/tenant": tenant, "pccw/load_id": load_id},
    )
