"""Run one source family's ingestion for a tenant: find files, land them, load raw."""
from __future__ import annotations

import logging

from dagster_project.extract.families import FAMILIES, Family
from dagster_project import warehouse
from dagster_project.extract.landing import LoadReport, ensure_raw_table, ingest_files, raw_columns
from dagster_project.tenants import Tenant

log = logging.getLogger(__name__)


def ensure_raw_tables(con, families: tuple[Family, ...] = FAMILIES) -> None:
    """Every raw table exists (empty if no file has come yet), so dbt sources always resolve."""
    have = raw_columns(con)
    for family in families:
        for table, columns in family.tables.items():
            ensure_raw_table(con, table, columns, have.get(table, set()))


def ingest_family(tenant: Tenant, family: Family, load_id: str) -> LoadReport:
    """Land the family's new files under the tenant's run lock (the run's, when called inside one)."""
    with warehouse.writing(tenant.slug, load_id) as session:
        session.set_phase(f"landing {family.name}")
        paths = session.paths
        con = session.connect()
        try:
            ensure_raw_tables(con)
            base = tenant.inbox if family.inbox_folder else tenant.folder
            screen = family.make_screen(paths) if family.make_screen else None
            report = ingest_files(con, paths, family.name, base, family.find(tenant),
                                  screen.load if screen else family.loader, load_id,
                                  move_bad_files=family.name != "tenant_config", screen=screen,
                                  batch_loader=family.batch_loader)
            report.table_rows = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in family.tables}
        finally:
            con.close()
    log.info(report.summary())
    return report


def raw_row_counts(tenant: Tenant) -> dict[str, int]:
    if not warehouse.current(tenant.slug).exists():
        return {}
    con = warehouse.open_reader(tenant.slug)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by 1").fetchall()]
        return {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}
    finally:
        con.close()
