"""Which packs a tenant owes: its returns (tenant.yml) for every period that has ended.

The periods are those the warehouse knows (``returns.rpt_reporting_periods``)."""
from __future__ import annotations

import duckdb

from dagster_project import warehouse
from dagster_project.errors import PccwError
from dagster_project.packs.spec import SpecError, spec_for
from dagster_project.tenants import Tenant

class NotBuilt(PccwError):
    """The warehouse has data but no successful dbt build yet, so no period is known."""


PERIOD_TYPE = {"half-yearly": "half", "quarterly": "quarter", "annual": "year"}


def due_packs(tenant: Tenant, pack: str | None = None) -> list[tuple[str, str]]:
    """(pack, period) pairs whose period ended on or before the tenant's reporting date."""
    as_of = tenant.reporting_date
    con = warehouse.open_reader(tenant.slug)
    try:
        periods = con.execute("""select period, period_type from returns.rpt_reporting_periods
                                 where period_end < ? order by period""", [as_of]).fetchall()
    except duckdb.CatalogException:
        raise NotBuilt(f"{tenant.slug}: the warehouse has no successful dbt build yet, so which packs are due "
                       f"is not known; see `pccw status --tenant {tenant.slug}` and run `pccw run` again") from None
    finally:
        con.close()
    due = []
    for owed in tenant.returns:
        if pack and owed.pack != pack:
            continue
        for period, period_type in periods:
            if period_type != PERIOD_TYPE.get(owed.frequency):
                continue
            try:
                spec_for(owed.pack, period)
            except SpecError:
                continue            # no template version covers this period
            due.append((owed.pack, period))
    return due
