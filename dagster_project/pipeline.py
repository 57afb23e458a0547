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
    """Land, build and render for one tenant, recording the run in meta.run_history."""
    from dagster_project.extract.landing import connect
    from dagster_project.settings import TenantPaths
    from dagster_project.status import record_end, record_start

    paths = TenantPaths.for_tenant(tenant).ensure()
    connect(paths).close()
    record_start(paths.warehouse, tenant, load_id)
    try:
        result = _materialize(tenant, load_id, instance, log_level)
    except BaseException as exc:
        record_end(paths.warehouse, tenant, load_id, "failed", 0, f"{type(exc).__name__}: {exc}"[:500])
        raise
    packs = sum(int(m.metadata["packs_rendered"].value) for e in result.get_asset_materialization_events()
                for m in [e.materialization] if "packs_rendered" in m.metadata)
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    record_end(paths.warehouse, tenant, load_id, "succeeded" if result.success else "failed", packs,
               "" if result.success else "failed at: " + ", ".join(failed))
    return result


def _materialize(tenant: str, load_id: str, instance: DagsterInstance | None, log_level: str) -> ExecuteInProcessResult:
    return materialize(
        [*LANDING_ASSETS, warehouse_models, *PACK_ASSETS, *PROVIDER_RETURN_CHECKS],
        instance=instance or DagsterInstance.ephemeral(),
        resources={"tenant": TenantResource(tenant=tenant, load_id=load_id),
                   "dbt": DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_executable())},
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        tags={"pccw/tenant": tenant, "pccw/load_id": load_id},
    )
