"""Run one tenant's refresh in this process: the ``refresh`` job of the definitions (the one the UI,
the schedules and the sensors run), for the tenant's partition.

The run holds the tenant's run lock from before the first file lands until its end is recorded
(``warehouse.writing``): a second run waits for it, or gives up with one line saying for whom
it waited, and never loses what it landed.
"""
from __future__ import annotations

import contextlib

from dagster import AssetSelection, DagsterInstance, ExecuteInProcessResult

from dagster_project import run_history, warehouse
from dagster_project.assets import PACKS_GROUP
from dagster_project.definitions import REFRESH_JOB, current_definitions


def run_refresh(tenant: str, load_id: str, instance: DagsterInstance | None = None,
                log_level: str = "INFO", wait: float | None = None, on_wait=None,
                packs: bool = True) -> ExecuteInProcessResult:
    """Land, build and render for one tenant, recording the run's start and end in its run history.

    ``wait``: seconds to wait for another run of the same tenant (default ``PCCW_LOCK_WAIT``, 30 min);
    :class:`~dagster_project.errors.Busy` after that, with nothing done. ``packs=False`` lands and
    builds but renders no pack (a pack can be rendered later on its own: `pccw packs render`)."""
    with warehouse.writing(tenant, load_id, wait=wait, on_wait=on_wait) as session:
        run_history.close_dead_runs(session.paths, session.previous)
        started = run_history.record_start(session.paths, load_id)
        try:
            result = _execute(tenant, load_id, instance, log_level, packs)
            session.publish()
        except BaseException as exc:
            with contextlib.suppress(Exception):   # writing() keeps the copy aside if this fails too
                session.publish()
            run_history.record_end(session.paths, load_id, "failed",
                                   run_history.run_counts(tenant, load_id, started),
                                   f"{type(exc).__name__}: {exc}"[:500])
            raise
        packs = _metadata_sum(result, "packs_rendered")
        current = _metadata_sum(result, "packs_current")
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        run_history.record_end(session.paths, load_id, "succeeded" if result.success else "failed",
                               {**run_history.run_counts(tenant, load_id, started),
                                "packs_rendered": packs, "packs_current": current},
                               "" if result.success else "failed at: " + ", ".join(failed))
    return result


def _metadata_sum(result: ExecuteInProcessResult, key: str) -> int:
    return sum(int(m.metadata[key].value) for e in result.get_asset_materialization_events()
               for m in [e.materialization] if key in m.metadata)


def _execute(tenant: str, load_id: str, instance: DagsterInstance | None, log_level: str,
             packs: bool) -> ExecuteInProcessResult:
    defs = current_definitions()
    job = defs.resolve_job_def(REFRESH_JOB)
    unrendered = None if packs else list(
        (AssetSelection.all() - AssetSelection.groups(PACKS_GROUP)).resolve(defs.resolve_asset_graph()))
    return job.execute_in_process(
        partition_key=tenant,
        asset_selection=unrendered,
        instance=instance or DagsterInstance.ephemeral(),
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}},
                    "resources": {"tenant": {"config": {"load_id": load_id}}}},
        raise_on_error=False,
        tags={"pccw/tenant": tenant, "pccw/load_id": load_id},
    )
