"""Dagster resources: which tenant a run is for, and the run's load id."""
from __future__ import annotations

import datetime as dt
import os

from dagster import ConfigurableResource

from dagster_project import settings
from dagster_project.settings import TenantPaths
from dagster_project.tenants import Tenant, load_tenant


class TenantResource(ConfigurableResource):
    """The tenant a run works on. Defaults to ``$PCCW_TENANT`` or the default tenant."""

    tenant: str = os.environ.get("PCCW_TENANT", settings.DEFAULT_TENANT)
    load_id: str = ""   # set by `pccw run`; otherwise derived from the Dagster run

    def load(self) -> Tenant:
        return load_tenant(self.tenant)

    def paths(self) -> TenantPaths:
        return TenantPaths.for_tenant(self.tenant).ensure()

    def load_id_for(self, context) -> str:
        if self.load_id:
            return self.load_id
        record = context.instance.get_run_record_by_id(context.run_id)
        created = record.create_timestamp if record else dt.datetime.now(dt.timezone.utc)
        return f"L{created:%Y%m%dT%H%M%S}Z-{context.run_id[:8]}"
