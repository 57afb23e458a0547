"""The MoJ forecast for the year on a small hand-built office, against figures worked out by hand.

The office's 2024-25, as written below (every expected figure is worked on paper from these):

- B1, a contract for 24,000.00 a year (2,000.00 a month) from MOJ-VICTIMS-CORE alone, 1 April 2024
  to 31 March 2026, invoiced at 90% of that: 1,800.00 at the end of each month April to September
  (10,800.00 by 30 September) and 1,800.00 on 31 October. Its provider's Q2 return forecasts the
  full contract value, 24,000.00 (Staff costs 20,000.00 + Premises 4,000.00; the Total row restates
  them); the forecast does not use it (it is the provider's whole cost of the service, not the
  office's payments), so the return must not move any figure.
- B2, 12,000.00 a year, 0.7 from MOJ-VICTIMS-CORE and 0.3 from MOJ-DASV, 1 April to 31 December
  2024 (it ends mid-year), paid 2,750.00 on 30 June and 2,750.01 on 30 September.
- B3, 6,000.00 a year from MOJ-DASV, 1 July 2024 to 31 March 2027: nothing paid by 30 September.
- U1, 600.00 on 15 May booked to MOJ-VICTIMS-CORE's cost centre with no agreement reference; U2,
  300.00 on 20 June booked to MOJ-DASV's cost centre with a reference (Z9) the register does not hold.
- Allocation letters: MOJ-VICTIMS-CORE 100,000.00 and MOJ-DASV 50,000.00; none for MOJ-ISVA-IDVA.

How ledger lines of B2 split to streams (split_pence: pence x share cut toward zero, the spare
pennies to the largest share):
  2,750.00 = 275000p: CORE 192500p (x0.7), DASV 82500p (x0.3)            -> 1,925.00 / 825.00
  2,750.01 = 275001p: CORE 192500.7 -> 192500, DASV 82500.3 -> 82500; 1p left to CORE
                                                                          -> 1,925.01 / 825.00
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import duckdb
import pytest

from dagster_project.demo.generator import write_register
from dagster_project.lineage.trace import load_manifest, trace_figure
from dagster_project.packs.render import render_pack
from dagster_project.returns import template as t
from dagster_project.tenants import load_tenant
from tests.small_office import (LEDGER_HEADER, TEST_CHARITY, agreement, build_office, people_in_leeds, rows, write,
                                write_allocations, write_leeds_reference)

D = Decimal


def build_inbox(tenant):
    """The office's inbox: letters, register, ledger, one provider return and Leeds's census."""
    inbox = tenant.inbox
    write_allocations(inbox, ("MOJ-VICTIMS-CORE", "100000.00", "MOJ-1"), ("MOJ-DASV", "50000.00", "MOJ-2"))
    charity = TEST_CHARITY
    write_register([
        agreement("B1", charity, "victims_all_crime", dt.date(2024, 4, 1), dt.date(2026, 3, 31), "24000",
                  [("MOJ-VICTIMS-CORE", D(1))]),
        agreement("B2", charity, "domestic_abuse", dt.date(2024, 4, 1), dt.date(2024, 12, 31), "12000",
                  [("MOJ-VICTIMS-CORE", D("0.7")), ("MOJ-DASV", D("0.3"))]),
        agreement("B3", charity, "domestic_abuse", dt.date(2024, 7, 1), dt.date(2027, 3, 31), "6000",
                  [("MOJ-DASV", D(1))]),
    ], inbox / "agreements" / "register.xlsx")
    b1 = "".join(f"B1-{n},{day},2024-25 P{n:02d},CC-MOJ-VICTIMS-CORE,5400,Test Charity,B1,INV,1800.00,Month {n}\n"
                 for n, day in enumerate(("30/04/2024", "31/05/2024", "30/06/2024", "31/07/2024", "31/08/2024",
                                          "30/09/2024"), start=1))
    write(inbox / "ledger" / "gl_2024-09.csv", LEDGER_HEADER + "\n" + b1 +
          "B2-1,30/06/2024,2024-25 P03,CC-MOJ-VICTIMS-CORE,5400,Test Charity,B2,INV,2750.00,Apr-Jun\n"
          "B2-2,30/09/2024,2024-25 P06,CC-MOJ-VICTIMS-CORE,5400,Test Charity,B2,INV,2750.01,Jul-Sep\n"
          "U1,15/05/2024,2024-25 P02,CC-MOJ-VICTIMS-CORE,5490,Civic Halls,,INV,600.00,Venue hire\n"
          "U2,20/06/2024,2024-25 P03,CC-MOJ-DASV,5490,Trainer Ltd,Z9,INV,300.00,Training\n")
    write(inbox / "ledger" / "gl_2024-10.csv", LEDGER_HEADER + "\n"
          "B1-7,31/10/2024,2024-25 P07,CC-MOJ-VICTIMS-CORE,5400,Test Charity,B1,INV,1800.00,Month 7\n")
    write_leeds_reference(inbox)
    # B1's Q2 return: 10 supported (4 new), nobody's details stated; a full-year forecast of 24,000.00.
    values = people_in_leeds(supported=10, new=4, referrals=6)
    for row, budget, spend in (("Staff costs", "20000.00", "4500.00"), ("Premises", "4000.00", "900.00"),
                               (t.FINANCE_TOTAL, "24000.00", "5400.00")):
        values[("Finance", (row,), "Annual budget")] = D(budget)
        values[("Finance", (row,), "Spend this quarter")] = D(spend)
        values[("Finance", (row,), "Forecast full year")] = D(budget)
    t.write_return(inbox / "provider_returns" / "B1_2024-25-Q2.xlsx", t.ReturnContent(
        agreement_ref="B1", provider="Test Charity", service="Service B1", quarter="2024-25-Q2",
        districts=tuple(d.name for d in tenant.districts), kpis=(("Service users completing support", "70"),),
        completed_by="Tester", date_completed="2024-10-10", values=values))


@pytest.fixture(scope="module")
def office(module_tenants):
    """The small office built once: its warehouse, and its MoJ packs for both halves of 2024-25."""
    warehouse = build_office(build_inbox)
    tenant = load_tenant("west_yorkshire")
    folders = {period: render_pack(tenant, "moj-victims", period) for period in ("2024-25-H1", "2024-25-H2")}
    return {"warehouse": warehouse, "folders": folders}



def figures(folder) -> dict[str, str | None]:
    return {f["id"]: f["value"] for f in load_manifest(folder)["figures"]}


def test_the_providers_return_is_current(office):
    # The return that forecasts 24,000.00 landed and is current, so the figures below show it is not used.
    assert rows(office["warehouse"], """select agreement_ref, quarter, is_current
                                        from intermediate.int_provider_returns_received""") == [
        ("B1", "2024-25-Q2", True)]


def test_each_agreement_forecast_by_hand(office):
    got = rows(office["warehouse"], """
        select agreement_ref, stream_id, forecast_method, spend_to_date, months_gone, months_left,
               agreement_forecast_remaining, forecast_remaining
        from intermediate.int_agreement_forecasts where period = '2024-25-H1' order by 1, 2""")
    assert got == [
        # B1: committed this year 24,000.00 x 12 / 12 = 24,000.00; paid 6 x 1,800.00 = 10,800.00 by
        # 30 September: 24,000.00 - 10,800.00 = 13,200.00 still to pay.
        ("B1", "MOJ-VICTIMS-CORE", "value still to pay", D("10800.00"), 6, 6, D("13200.00"), D("13200.00")),
        # B2: its term ends 31 December, 9 months of it in the year: 12,000.00 x 9 / 12 = 9,000.00, not a
        # full year cut again by the months left; paid 2,750.00 + 2,750.01 = 5,500.01: 3,499.99 to pay.
        # Split 349999p: DASV 349999 x 0.3 = 104999.7 -> 104999p; CORE 244999.3 -> 244999p + the spare 1p.
        ("B2", "MOJ-DASV", "value still to pay", D("5500.01"), 6, 3, D("3499.99"), D("1049.99")),
        ("B2", "MOJ-VICTIMS-CORE", "value still to pay", D("5500.01"), 6, 3, D("3499.99"), D("2450.00")),
        # B3: 1 July to March, 9 months in the year: 6,000.00 x 9 / 12 = 4,500.00; nothing paid yet (its
        # first quarter is claimed in arrears), so all 4,500.00 is still to pay.
        ("B3", "MOJ-DASV", "value still to pay", D("0.00"), 3, 6, D("4500.00"), D("4500.00")),
    ]
    # In the year's last period nothing of the year is left to forecast: the forecast is the spend.
    assert rows(office["warehouse"], """select distinct forecast_method, forecast_remaining
                                        from intermediate.int_agreement_forecasts where period = '2024-25-H2'""") == [
        ("year ended", D("0.00"))]


def test_h1_forecast_and_underspend_by_hand(office):
    h1 = figures(office["folders"]["2024-25-H1"])
    # MOJ-VICTIMS-CORE spend to 30 September: B1 10,800.00 + B2's part 1,925.00 + 1,925.01 + U1 600.00
    # = 15,250.01.
    assert h1["grant_lines:MOJ-VICTIMS-CORE:spend_year_to_date"] == "15250.01"
    # Forecast remaining: B1 13,200.00 + B2's part 2,450.00 + U1's run rate 600.00 / 6 months gone x 6
    # left = 600.00: 16,250.00. Forecast for the year 15,250.01 + 16,250.00 = 31,500.01 (the old
    # formula gave 15,250.01 + (24,000.00 + 6,300.00) x 6 / 12 = 30,400.01, cutting B2's 9 months
    # again by half a year). Underspend 100,000.00 - 31,500.01 = 68,499.99.
    assert h1["grant_lines:MOJ-VICTIMS-CORE:forecast_full_year"] == "31500.01"
    assert h1["grant_lines:MOJ-VICTIMS-CORE:forecast_underspend"] == "68499.99"
    # MOJ-DASV spend: B2's part 825.00 + 825.00 + U2 (unknown agreement Z9, booked here) 300.00 = 1,950.00.
    # Forecast remaining: B2's part 1,049.99 + B3 4,500.00 + U2's run rate 300.00 = 5,849.99; for the
    # year 1,950.00 + 5,849.99 = 7,799.99 (old: 1,950.00 + (2,700.00 + 4,500.00) x 6 / 12 = 5,550.00).
    # Underspend 50,000.00 - 7,799.99 = 42,200.01.
    assert h1["grant_lines:MOJ-DASV:spend_year_to_date"] == "1950.00"
    assert h1["grant_lines:MOJ-DASV:forecast_full_year"] == "7799.99"
    assert h1["grant_lines:MOJ-DASV:forecast_underspend"] == "42200.01"
    # MOJ-ISVA-IDVA: nothing spent or forecast; no letter, so its underspend is not available.
    assert D(h1["grant_lines:MOJ-ISVA-IDVA:forecast_full_year"]) == D("0")
    assert h1["grant_lines:MOJ-ISVA-IDVA:forecast_underspend"] is None
    # 31,500.01 + 7,799.99 + 0 = 39,300.00.
    assert h1["grant_lines:total:forecast_full_year"] == "39300.00"


def test_h2_forecast_is_the_years_spend(office):
    h2 = figures(office["folders"]["2024-25-H2"])
    # Nothing is left of the year: the forecast is the spend, 15,250.01 + B1's October 1,800.00 = 17,050.01;
    # underspend 100,000.00 - 17,050.01 = 82,949.99.
    assert h2["grant_lines:MOJ-VICTIMS-CORE:forecast_full_year"] == "17050.01"
    assert h2["grant_lines:MOJ-VICTIMS-CORE:forecast_underspend"] == "82949.99"
    assert h2["grant_lines:MOJ-DASV:forecast_full_year"] == "1950.00"


def test_forecast_underspend_warning_by_hand(office):
    warnings = json.loads((office["folders"]["2024-25-H1"] / "manifest.json").read_text())["warnings"]
    # 68,499.99 > 5% of 100,000.00 and 42,200.01 > 5% of 50,000.00; neither can be carried forward.
    assert sorted((w["rule"], w["row"]) for w in warnings) == [("forecast_underspend", "MOJ-DASV"),
                                                              ("forecast_underspend", "MOJ-VICTIMS-CORE")]
    core = next(w for w in warnings if w["row"] == "MOJ-VICTIMS-CORE")
    assert "£68,499.99" in core["message"] and "£100,000.00" in core["message"]


def test_forecast_traces_to_the_register_and_ledger_lines(office):
    folder = office["folders"]["2024-25-H1"]
    manifest = load_manifest(folder)
    figure = next(f for f in manifest["figures"] if f["id"] == "grant_lines:MOJ-VICTIMS-CORE:forecast_full_year")
    con = duckdb.connect(str(office["warehouse"]), read_only=True)
    try:
        trace = trace_figure(con, manifest, figure)
    finally:
        con.close()
    assert trace.reconciles and trace.formula == "spend_year_to_date + forecast_remaining"
    parts = {p.field: p for p in trace.parts}
    remaining = parts["forecast_remaining"]
    assert remaining.kind == "additive" and remaining.traced_total == D("16250.00")
    by_kind = {}
    for c in remaining.contributions:
        by_kind.setdefault(c["kind"], []).append(c)
    # B1 13,200.00 and B2's 2,450.00, each from its register row; U1's run rate from its ledger line.
    assert sorted((c["agreement_ref"], c["amount"]) for c in by_kind["agreement forecast"]) == [
        ("B1", "13200.00"), ("B2", "2450.00")]
    assert all(c["file"] == "agreements/register.xlsx" for c in by_kind["agreement forecast"])
    assert [(c["transaction_id"], c["amount"]) for c in by_kind["run rate of spend outside agreements"]] == [
        ("U1", "600.00")]
    assert any(f["file"].startswith("ledger/") for f in trace.files)
