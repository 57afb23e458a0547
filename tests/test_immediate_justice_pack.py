"""The Home Office Immediate Justice pack on a small hand-built office, against figures worked out by hand.

Two Immediate Justice agreements funded by one stream: J1 returns on template PQR-2025.1 with the Immediate
Justice sheet for 2024-25 Q2 and Q3; J2 returns on PQR-2024.2 (no such sheet) for Q2, so its participants
and hours come from Activity and the hours KPI. No return is made for Q1. Every expected number below
was added up on paper from the cells written here. The stream is the office's HO-IJ renamed
JUSTICE-NOW: a pack finds its streams by the pack they are reported in (tenant.yml reported_in),
never by their ids.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import duckdb
import pytest

from dagster_project.demo.commissioning import Agreement, Provider
from dagster_project.demo.generator import write_register
from dagster_project.returns import template as t
from dagster_project.tenants import load_tenant
from tests.small_office import LEDGER_HEADER, build_office, write, write_allocations, write_leeds_reference

D = Decimal
STREAM = "JUSTICE-NOW"      # HO-IJ in the shipped tenant.yml
HOURS_KPI = "Hours of reparation completed"
CR, O22, CC = t.DISPOSAL_ROUTES
# (referrals, within 48h, after 48h, completed, did not complete, adults, children, hours, victims consulted,
#  victims offered restorative contact)
J1_Q2 = {CR: (10, 6, 2, 5, 1, 6, 2, 37.5, 4, 2), O22: (5, 3, 1, 3, 0, 4, 0, 24, 2, 1), CC: (3, 1, 1, 1, 1, 2, 0, 8, 1, 0)}
J1_Q3 = {CR: (4, 0, 0, 0, 0, 0, 0, 0, 0, 0)}          # Outcome 22 and conditional caution left blank


def agreement(ref, provider, value):
    return Agreement(ref=ref, provider=provider, service_name=f"Immediate Justice {ref}", category="immediate_justice",
                     cohort="People who commit anti-social behaviour", districts=("Leeds",), agreement_type="Contract",
                     role="Lead", procurement_route="Open tender", start=dt.date(2024, 4, 1), end=dt.date(2026, 3, 31),
                     annual_value=D(value), decision_record="DR-1", eia_done=True, dpia_done=True,
                     modern_slavery="Yes", social_value_score=8, funding=[(STREAM, D(1))],
                     priorities=[("WY-PCP-2021", "WY21-SAFE", D(1)), ("WY-PCP-2024", "WY24-SAFE", D(1))],
                     kpis=[(HOURS_KPI, "300", "hours")])


def people(values, supported, new=None):
    """Activity (all anti-social behaviour) and demographics consistent with it."""
    values[("Activity", ("Anti-social behaviour",), "Service users supported")] = supported
    values[("Activity", ("Anti-social behaviour",), "Referrals received")] = supported + 3
    if new is not None:
        values[("Activity", ("Anti-social behaviour",), "New cases")] = new
    for characteristic in (*t.DEMOGRAPHICS, "District"):
        group = "Leeds" if characteristic == "District" else t.NOT_STATED
        values[("Demographics", (characteristic, group), t.SERVICE_USERS)] = supported
        if new is not None:
            values[("Demographics", (characteristic, group), t.NEW_SERVICE_USERS)] = new
    return values


def ij_sheet(values, figures):
    for route, row in figures.items():
        for column, n in zip(t.IMMEDIATE_JUSTICE.values, row):
            values[(t.IMMEDIATE_JUSTICE.sheet, (route,), column)] = n
    return values


def build_inbox(tenant):
    inbox = tenant.inbox
    write_allocations(inbox, (STREAM, "500000.00", "IJ-1"))
    cic = Provider("P1", "Reparation CIC", "CIC", None, "01234567", ("Leeds",), "Small")
    write_register([agreement("J1", cic, "120000"), agreement("J2", cic, "60000")],
                   inbox / "agreements" / "register.xlsx")
    write(inbox / "ledger" / "gl_2024-08.csv", LEDGER_HEADER + "\n"
          "L1,15/08/2024,2024-25 P05,CC-HO-IJ,5400,Reparation CIC,J1,INV,10000.00,Aug\n")
    write_leeds_reference(inbox)
    write(inbox / "police" / "2024-06" / "2024-06-west-yorkshire-street.csv",
          "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
          "Last outcome category,Context\n"
          "a1,2024-06,West Yorkshire Police,West Yorkshire Police,-1.5,53.8,On or near X,E01011229,Leeds 001A,Burglary,,\n")
    districts = tuple(d.name for d in tenant.districts)
    returns = [
        # J1 Q2 on PQR-2025.1: its hours KPI (99) is not used, the sheet gives the hours.
        ("J1", "2024-25-Q2", t.TEMPLATE_VERSION,
         ij_sheet(people({("KPIs", (HOURS_KPI,), "Actual"): 99}, 16, 14), J1_Q2)),
        ("J1", "2024-25-Q3", t.TEMPLATE_VERSION, ij_sheet(people({}, 2, 0), J1_Q3)),
        # J2 Q2 on PQR-2024.2: 9 service users supported, 5 of them new this quarter, 40 hours of
        # reparation (KPI).
        ("J2", "2024-25-Q2", t.PREVIOUS_VERSION, people({("KPIs", (HOURS_KPI,), "Actual"): 40}, 9, new=5)),
    ]
    for ref, quarter, version, values in returns:
        t.write_return(inbox / "provider_returns" / f"{ref}_{quarter}.xlsx", t.ReturnContent(
            agreement_ref=ref, provider="Reparation CIC", service=f"Immediate Justice {ref}", quarter=quarter,
            districts=districts, kpis=((HOURS_KPI, "300"),), completed_by="Tester", date_completed="2025-01-10",
            values=values, template_version=version, immediate_justice=True))


@pytest.fixture(scope="module")
def office(module_tenants):
    config = module_tenants / "sources" / "west_yorkshire" / "tenant.yml"
    config.write_text(re.sub(r"(?<!CC-)\bHO-IJ\b", STREAM, config.read_text()))
    warehouse = build_office(build_inbox)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        feedback = con.execute("""select source_file, status, rule from meta.provider_return_feedback
                                  where status not in ('accepted', 'accepted_with_warnings')""").fetchall()
    finally:
        con.close()
    assert not feedback, feedback
    return warehouse


def figures(period: str) -> dict[str, str | None]:
    from dagster_project.packs.render import render_pack
    folder = render_pack(load_tenant("west_yorkshire"), "ho-immediate-justice", period)
    return {f["id"]: f["value"] for f in json.loads((folder / "manifest.json").read_text())["figures"]}


def test_summary_from_the_sheet_and_from_an_earlier_template(office):
    q2 = figures("2024-25-Q2")
    # J1 started 6+2 + 3+1 + 1+1 = 14 (its sheet), J2's 5 new cases (PQR-2024.2 Activity: the people who
    # started this quarter, not the 9 supported): 19.
    assert q2[f"summary:{STREAM}:participants"] == "19"
    # J1 hours 37.5 + 24 + 8 = 69.5 (its sheet; its KPI 99 not counted), J2 KPI 40: 109.50.
    assert D(q2[f"summary:{STREAM}:hours_of_reparation"]) == D("109.50")
    assert q2[f"summary:{STREAM}:allocation"] == "500000.00" and q2[f"summary:{STREAM}:spend_in_period"] == "10000.00"
    assert D(q2[f"summary:{STREAM}:allocation_remaining"]) == D("490000.00")
    q3 = figures("2024-25-Q3")
    # J1 reports nobody started (0 + 0) and 0 hours: 0, not "not available".
    assert q3[f"summary:{STREAM}:participants"] == "0" and D(q3[f"summary:{STREAM}:hours_of_reparation"]) == 0
    q1 = figures("2024-25-Q1")
    # No return for Q1: not available, never 0.
    assert q1[f"summary:{STREAM}:participants"] is None and q1[f"summary:{STREAM}:hours_of_reparation"] is None


def test_measures_by_disposal_route_by_hand(office):
    q2 = figures("2024-25-Q2")
    cr = {k.split(":")[2]: v for k, v in q2.items() if k.startswith(f"measures:{CR}:")}
    assert (cr["referrals"], cr["started_within_48_hours"], cr["started_after_48_hours"]) == ("10", "6", "2")
    assert D(cr["started"]) == 8 and D(cr["share_started_within_48_hours"]) == D("0.7500")      # 6 / 8
    assert (cr["completed"], cr["not_completed"], cr["adults"], cr["children"]) == ("5", "1", "6", "2")
    assert D(cr["completion_rate"]) == D("0.6250")                                               # 5 / 8
    assert D(cr["hours_of_reparation"]) == D("37.50")
    assert (cr["victims_consulted"], cr["victims_restorative_contact"]) == ("4", "2")
    assert D(q2[f"measures:{O22}:share_started_within_48_hours"]) == D("0.7500")                  # 3 / 4
    assert D(q2[f"measures:{O22}:completion_rate"]) == D("0.7500")                                # 3 / 4
    assert D(q2[f"measures:{CC}:share_started_within_48_hours"]) == D("0.5000")                   # 1 / 2
    assert D(q2[f"measures:{CC}:completion_rate"]) == D("0.5000")                                 # 1 / 2
    # Totals: referrals 10 + 5 + 3 = 18, started 8 + 4 + 2 = 14, hours 69.50; J2 (no sheet) adds nothing here.
    assert D(q2["measures:total:referrals"]) == 18 and D(q2["measures:total:started"]) == 14
    assert D(q2["measures:total:hours_of_reparation"]) == D("69.50")
    assert D(q2["measures:total:victims_consulted"]) == 7


def test_measures_not_available_is_never_zero(office):
    q3 = figures("2024-25-Q3")
    # 4 referrals, nobody started: the 48-hour share and completion rate divide by 0, not available.
    assert q3[f"measures:{CR}:referrals"] == "4" and q3[f"measures:{CR}:started_within_48_hours"] == "0"
    assert q3[f"measures:{CR}:share_started_within_48_hours"] is None
    assert q3[f"measures:{CR}:completion_rate"] is None
    # Routes the return left blank: not available, and so the totals over them.
    assert q3[f"measures:{O22}:referrals"] is None and q3[f"measures:{CC}:hours_of_reparation"] is None
    assert q3["measures:total:referrals"] is None
    q1 = figures("2024-25-Q1")
    assert all(q1[f"measures:{route}:referrals"] is None for route in t.DISPOSAL_ROUTES)


def test_each_measure_is_the_sum_of_the_cells_it_names(office):
    con = duckdb.connect(str(office), read_only=True)
    try:
        rows = con.execute("""select field, source_locator, amount, source_file
                              from returns.rpt_ho_immediate_justice__contributions
                              where period = '2024-25-Q2' and section = 'measures' and row_key = ?
                              order by source_locator""", [CR]).fetchall()
        participants = con.execute("""select source_file, source_locator, amount
                                      from returns.rpt_ho_immediate_justice__contributions
                                      where period = '2024-25-Q2' and section = 'summary' and field = 'participants'
                                      order by source_file, source_locator""").fetchall()
    finally:
        con.close()
    assert [(f, loc, amount) for f, loc, amount, _ in rows if f == "referrals"] == [
        ("referrals", "Immediate Justice!B4", D("10.00"))]
    assert {f for f, *_ in rows} == {"referrals", "started_within_48_hours", "started_after_48_hours", "completed",
                                     "not_completed", "adults", "children", "hours_of_reparation",
                                     "victims_consulted", "victims_restorative_contact"}
    assert all(source.endswith("J1_2024-25-Q2.xlsx") for *_, source in rows)
    # Participants: J1's six start cells (C and D of rows 4 to 6) and J2's Activity new cases cell.
    assert [(f.rsplit("/", 1)[-1], loc) for f, loc, _ in participants] == [
        ("J1_2024-25-Q2.xlsx", f"Immediate Justice!{c}{r}") for c, r in
        sorted((c, r) for r in (4, 5, 6) for c in "CD")] + [("J2_2024-25-Q2.xlsx", "Activity!D13")]
    assert sum(a for *_, a in participants) == 19


def test_issued_templates_have_the_sheet_only_for_immediate_justice(office, tmp_path):
    from openpyxl import load_workbook

    from dagster_project.cli import main
    from dagster_project.returns import service

    path = tmp_path / "J1.xlsx"
    assert main(["returns", "template", "--agreement", "J1", "--quarter", "2024-25-Q4", "--out", str(path)]) == 0
    wb = load_workbook(path)
    assert wb.sheetnames[-1] == "Immediate Justice" and wb["Cover"]["B3"].value == "PQR-2025.1"
    assert [c.value for c in wb["Immediate Justice"]["A"][3:6]] == list(t.DISPOSAL_ROUTES)
    # Checked against the landed register, the same workbook without its sheet is sent back.
    del wb["Immediate Justice"]
    wb.save(path)
    verdict, with_register = service.check_file(load_tenant("west_yorkshire"), path, today=dt.date(2025, 5, 15))
    assert with_register and verdict.rejected
    assert any(p.sheet == "Immediate Justice" and "J1 is an Immediate Justice agreement" in p.rule
               for p in verdict.errors)
