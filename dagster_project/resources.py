"""Dagster resources: a run's tenant (its partition), the run's load id, and its hold on the warehouse;
and dbt, as the refresh starts it."""
from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
from functools import cached_property
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from dagster_dbt import DbtCliResource, DbtProject
from packaging import version
from pydantic import PrivateAttr

from dagster_project import run_history, settings, warehouse
from dagster_project.dbt_project import dbt_executable
from dagster_project.tenants import Tenant, load_tenant


class TenantResource(ConfigurableResource):
    """The tenant a run works on, which is the run's partition key (one tenant per run).

    The first step that writes takes the tenant's run lock through :meth:`session`; it is held
    until the run ends (``teardown_after_execution``), so the whole refresh, landing through
    publish, is one writer, whether it was started by ``pccw run``, the schedule, a sensor or the UI.
    """

    load_id: str = ""   # set by `pccw run`; otherwise derived from the Dagster run
    _hold: contextlib.ExitStack | None = PrivateAttr(default=None)
    _slug: str | None = PrivateAttr(default=None)
    _recorded: tuple[str, object] | None = PrivateAttr(default=None)   # (load id, start) of a run this resource records

    @staticmethod
    def slug(context) -> str:
        """The run's tenant: its partition key."""
        return context.partition_key

    def load(self, context) -> Tenant:
        return load_tenant(self.slug(context))

    def load_id_for(self, context) -> str:
        if self.load_id:
            return self.load_id
        record = context.instance.get_run_record_by_id(context.run_id)
        created = record.create_timestamp if record else dt.datetime.now(dt.timezone.utc)
        return f"L{created:%Y%m%dT%H%M%S}Z-{context.run_id[:8]}"

    def session(self, context) -> warehouse.WriteSession:
        """The run's hold on its tenant's warehouse: taken on first use, let go when the run ends."""
        slug = self.slug(context)
        if self._hold is None:
            hold = contextlib.ExitStack()
            load_id = self.load_id_for(context)
            session = hold.enter_context(warehouse.writing(slug, load_id, on_wait=context.log.info))
            self._hold, self._slug = hold, slug
            # A run started by the schedule, a sensor or the UI is recorded here; `pccw run` records its own.
            if not any(r["load_id"] == load_id for r in run_history.runs(session.paths, 5)):
                run_history.close_dead_runs(session.paths, session.previous)
                self._recorded = (load_id, run_history.record_start(session.paths, load_id))
        return warehouse.active_session(slug)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._hold is None:
            return
        hold, self._hold = self._hold, None
        with hold:
            session = warehouse.active_session(self._slug)
            session.publish()
            if self._recorded is not None:
                load_id, started = self._recorded
                failed = _failed_steps(context)
                run_history.record_end(session.paths, load_id, "failed" if failed else "succeeded",
                                       run_history.run_counts(self._slug, load_id, started),
                                       "failed at: " + ", ".join(failed) if failed else "")


def _failed_steps(context: InitResourceContext) -> list[str]:
    """The steps of this run that failed so far (the run's own status is not final at teardown)."""
    from dagster import DagsterEventType

    try:
        records = context.instance.get_records_for_run(context.run_id, of_type=DagsterEventType.STEP_FAILURE).records
    except Exception:   # an instance that cannot say: the run is recorded as succeeded, as Dagster will say otherwise
        return []
    return sorted({r.event_log_entry.step_key for r in records if r.event_log_entry.step_key})


DBT_PROJECT = DbtProject(project_dir=settings.DBT_DIR, profiles_dir=settings.DBT_DIR)


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt resource, less two things it does before every dbt command that this project
    has no use for, measured at ~9 s of each refresh's dbt step on this machine:

    - it runs ``dbt --version`` in a subprocess (~4 s) to learn the version of the dbt it starts, which
      is the dbt-core installed beside it (the lock pins it);
    - it loads every macro of the project in-process to make a dbt adapter (~3-5 s), which it uses
      only to fetch row counts and column metadata, and these assets fetch neither."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource() -> DbtCli:
    """The dbt resource of the definitions: the venv's dbt on this project."""
    return DbtCli(project_dir=DBT_PROJECT, dbt_executable=dbt_executable())


def tenant_dbt(dbt: DbtCliResource, project: Path) -> DbtCli:
    """The run's dbt resource working in a tenant's project folder (see
    :func:`dagster_project.dbt_project.tenant_project`)."""
    return DbtCli(project_dir=str(project), profiles_dir=str(project), dbt_executable=dbt.dbt_executable)
