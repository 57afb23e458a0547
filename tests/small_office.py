"""Inputs shared by the tests that build a small office by hand: how its files are written, the
ledger export's header, Leeds's census and LSOA lookup (a 1,000-person district), a return's people
in Leeds, and the office built once from its inbox."""
from __future__ import annotations

from decimal import Decimal

import duckdb

from dagster_project.demo.commissioning import Agreement, Provider
from dagster_project.load_ids import new_load_id
from dagster_project.pipeline import run_refresh
from dagster_project.returns import template as t
from dagster_project.settings import TenantPaths
from dagster_project.tenants import load_tenant

LEDGER_HEADER = "Transaction ID,Posting Date,Period,Cost Centre,Account,Supplier,Agreement Ref,Journal Type,Amount,Description"


TEST_CHARITY = Provider("P1", "Test Charity", "Charity", "1000001", None, ("Leeds",), "Small")
VICTIMS_PRIORITIES = [("WY-PCP-2021", "WY21-VICTIMS", Decimal(1)), ("WY-PCP-2024", "WY24-VICTIMS", Decimal(1))]


def agreement(ref, provider, category, start, end, value, funding, priorities=VICTIMS_PRIORITIES, posts=()):
    """A Leeds contract of the register, led and openly tendered, with one KPI; ``funding`` and
    ``priorities`` as (id, weight) and (plan, priority, weight) lists, ``posts`` as (post, FTE)."""
    return Agreement(ref=ref, provider=provider, service_name=f"Service {ref}", category=category, cohort="All",
                     districts=("Leeds",), agreement_type="Contract", role="Lead", procurement_route="Open tender",
                     start=start, end=end, annual_value=Decimal(value), decision_record="DR-1", eia_done=True,
                     dpia_done=True, modern_slavery="Yes", social_value_score=8, funding=funding,
                     priorities=priorities, kpis=[("Service users completing support", "70", "%")],
                     posts=list(posts))


def write(path, text: str):
    """A text file with CRLF line endings, as finance systems and the ONS write them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", "\r\n").encode())


def write_allocations(inbox, *allocations):
    """The office's 2024-25 funding letters: each (stream, amount, award reference), awarded 1 March 2024."""
    write(inbox / "funding" / "allocations_2024-25.csv",
          "stream_id,financial_year,allocation,award_reference,award_date,source\n"
          + "".join(f"{stream},2024-25,{amount},{ref},2024-03-01,test\n" for stream, amount, ref in allocations))


def write_leeds_reference(inbox):
    """Census 2021 ethnicity and population for Leeds (1,000 people: 150 Asian, 25 Black, 15 Mixed,
    800 White, 10 Other) and one LSOA of Leeds in the lookup."""
    write(inbox / "census" / "census2021-ts021-ltla.csv",
          'date,geography,geography code,Ethnic group: Total: All usual residents,'
          '"Ethnic group: Asian, Asian British or Asian Welsh",'
          '"Ethnic group: Black, Black British, Black Welsh, Caribbean or African",'
          'Ethnic group: Mixed or Multiple ethnic groups,Ethnic group: White,Ethnic group: Other ethnic group\n'
          "2021,Leeds,E08000035,1000,150,25,15,800,10\n")
    write(inbox / "census" / "census2021-ts007a-ltla.csv",
          "date,geography,geography code,Age: Total\n2021,Leeds,E08000035,1000\n")
    write(inbox / "lookup" / "lookup.csv",
          "LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD,LAD22NM,LAD22NMW,ObjectId\n"
          "E01011229,Leeds 001A,E01011229,Leeds 001A,U,E08000035,Leeds,,1\n")


def people_in_leeds(supported: int, new: int, referrals: int) -> dict:
    """A return's values for domestic abuse: ``supported`` people, ``new`` of them new this quarter,
    ``referrals`` referred; all in Leeds, nobody's other details stated."""
    values = {("Activity", ("Domestic abuse",), "Service users supported"): supported,
              ("Activity", ("Domestic abuse",), "New cases"): new,
              ("Activity", ("Domestic abuse",), "Referrals received"): referrals}
    for characteristic in t.DEMOGRAPHICS:
        values[("Demographics", (characteristic, t.NOT_STATED), "Service users")] = supported
        values[("Demographics", (characteristic, t.NOT_STATED), t.NEW_SERVICE_USERS)] = new
    values[("Demographics", ("District", "Leeds"), "Service users")] = supported
    values[("Demographics", ("District", "Leeds"), t.NEW_SERVICE_USERS)] = new
    return values


def build_office(*writers):
    """West Yorkshire's inbox written by each ``writer(tenant)`` in turn, then refreshed once, without
    rendering packs (a test renders the pack it checks): the warehouse's path."""
    tenant = load_tenant("west_yorkshire")
    for writer in writers:
        writer(tenant)
    assert run_refresh("west_yorkshire", new_load_id(), log_level="WARNING", packs=False).success
    return TenantPaths.for_tenant("west_yorkshire").warehouse


def rows(warehouse, sql: str) -> list[tuple]:
    """Rows of a query on a built warehouse, opened read-only and closed at once (dbt may write next)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def records(warehouse, sql: str) -> list[dict]:
    """Rows of a query on a built warehouse as {column: value}, opened read-only and closed at once."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r)) for r in cursor.fetchall()]
    finally:
        con.close()
