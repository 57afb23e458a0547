"""Rebuild the warehouse as it stood at an earlier load, to re-render a past pack exactly.

Raw rows keep the load that brought them (``_load_id``, sortable by time), and landed files are
never changed, so the state "as of" a load is the raw rows of that load and earlier. They are
copied into a separate warehouse under ``var/<tenant>/as_of/<load>/``, dbt builds it, and the
pack renders from it. Later corrections, late returns and new ledger months are simply absent.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb

from dagster_project.dbt_project import BUILDING_COPY, DATA_BUILD_ARGS, dbt_on_copy
from dagster_project.settings import TenantPaths
from dagster_project.tenants import Tenant
from dagster_project.warehouse import open_reader_at, open_writer_at

LOAD_ID = re.compile(r"^L\d{8}T\d{6}Z-[0-9a-f]{8}$")


def resolve_load(con: duckdb.DuckDBPyConnection, as_of: str) -> str:
    """A load id, or a date meaning the last load on or before the end of that day."""
    if LOAD_ID.match(as_of):
        if not con.execute("select 1 from meta.landed_files where load_id = ?", [as_of]).fetchone():
            raise ValueError(f"no load {as_of!r} in this warehouse (see meta.landed_files)")
        return as_of
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        raise ValueError(f"{as_of!r} is neither a load id (L20250401T020000Z-1a2b3c4d) nor a date (2025-04-01)") \
            from None
    row = con.execute("""select max(load_id) from meta.landed_files where loaded_at < ?""",
                      [day + dt.timedelta(days=1)]).fetchone()
    if not row or not row[0]:
        raise ValueError(f"nothing had been loaded by {as_of}")
    return row[0]


def build_as_of(tenant: Tenant, as_of: str) -> Path:
    """The tenant's warehouse rebuilt as of a load id or date (built once, then reused); its path."""
    paths = TenantPaths.for_tenant(tenant.slug)
    with open_reader_at(paths.warehouse) as con:
        load_id = resolve_load(con, as_of)
    folder = paths.root / "as_of" / load_id
    target = folder / "warehouse.duckdb"
    if target.exists():
        return target
    building = folder.with_name(folder.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    # The writer makes the raw and meta schemas and every meta table (meta.dbt_results stays empty:
    # the rebuild's own dbt run records its results); the copies below replace the tables it made.
    con = open_writer_at(building / BUILDING_COPY)
    try:
        con.execute(f"attach '{paths.warehouse}' as current_state (read_only)")
        tables = con.execute("""select schema_name, table_name from duckdb_tables()
                                where database_name = 'current_state' and schema_name in ('raw', 'meta')""").fetchall()
        for schema, table in tables:
            columns = {c for (c,) in con.execute(
                """select column_name from duckdb_columns() where database_name = 'current_state'
                   and schema_name = ? and table_name = ?""", [schema, table]).fetchall()}
            where = ("_load_id <= ?" if "_load_id" in columns else "load_id <= ?" if "load_id" in columns
                     else None)
            if schema == "meta" and table == "dbt_results":
                continue
            select = f"select * from current_state.{schema}.{table}"
            if where:
                con.execute(f"create or replace table {schema}.{table} as {select} where {where}", [load_id])
            else:
                con.execute(f"create or replace table {schema}.{table} as {select}")
    finally:
        con.close()
    done = dbt_on_copy(building, ["build", "--quiet", *DATA_BUILD_ARGS], tenant.as_of)
    if done.returncode != 0:
        raise RuntimeError(f"rebuilding the warehouse as of {load_id} failed:\n{done.stdout[-3000:]}")
    (building / BUILDING_COPY).rename(building / "warehouse.duckdb")
    building.replace(folder)
    return target
