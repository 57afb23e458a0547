"""The marts on a small hand-built office, against figures worked out by hand.

Every expected number below was computed on paper from the inputs written here, not by
running the models' SQL another way. The inputs exercise: overlapping exports, a credit
note split across priorities (the spare penny), the West Yorkshire plan change on
1 December 2024, an accrual reversed in the next year, a ledger line with no agreement, a
ring-fence breach, a resubmitted provider return, and disclosure control.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from dagster_project.demo.generator import write_register
from dagster_project.returns import template as t
from dagster_project.tenants import load_tenant
from tests.small_office import (LEDGER_HEADER, TEST_CHARITY, agreement, build_office, people_in_leeds, rows, write,
                                write_allocations, write_leeds_reference)

D = Decimal


def build_inbox(tenant):
    inbox = tenant.inbox
    write_allocations(inbox, ("MOJ-VICTIMS-CORE", "100000.00", "MOJ-1"), ("HO-VRU", "50000.00", "HO-1"))
    charity = TEST_CHARITY
    agreements = [
        agreement("A1", charity, "victims_all_crime", dt.date(2024, 4, 1), dt.date(2026, 3, 31), "60000",
                  [("MOJ-VICTIMS-CORE", D(1))],
                  [("WY-PCP-2021", "WY21-VICTIMS", D(1)), ("WY-PCP-2024", "WY24-VICTIMS", D("0.75")),
                   ("WY-PCP-2024", "WY24-SAFE", D("0.25"))], posts=[("IDVA", D("2.5"))]),
        agreement("A2", charity, "violence_reduction", dt.date(2024, 4, 1), dt.date(2025, 3, 31), "30000",
                  [("HO-VRU", D("0.6")), ("CSF", D("0.4"))],
                  [("WY-PCP-2021", "WY21-SAFE", D(1)), ("WY-PCP-2024", "WY24-SAFE", D(1))],
                  posts=[("ISVA", D("1"))]),
        agreement("A3", charity, "community_safety_grant", dt.date(2024, 4, 1), dt.date(2025, 3, 31), "10000",
                  [("HO-VRU", D(1))],
                  [("WY-PCP-2021", "WY21-PLACES", D(1)), ("WY-PCP-2024", "WY24-PLACES", D(1))]),
    ]
    write_register(agreements, inbox / "agreements" / "register.xlsx")
    write(inbox / "ledger" / "gl_2024-11.csv", LEDGER_HEADER + "\n"
          "L1,15/11/2024,2024-25 P08,CC-MOJ-VICTIMS-CORE,5400,Test Charity,A1,INV,5000.00,Nov\n"
          "L2,20/11/2024,2024-25 P08,CC-HO-VRU,5400,Test Charity,A2,INV,2500.00,Nov\n"
          "L3,30/11/2024,2024-25 P08,CC-HO-VRU,5400,Test Charity,A3,INV,1000.00,Nov\n"
          "L4,29/11/2024,2024-25 P08,CC-HO-VRU,5490,Venue Ltd,,INV,123.45,Venue hire\n")
    write(inbox / "ledger" / "gl_2024-12.csv", LEDGER_HEADER + "\n"
          "L3,30/11/2024,2024-25 P08,CC-HO-VRU,5400,Test Charity,A3,INV,1000.00,Nov\n"
          "L5,01/12/2024,2024-25 P09,CC-MOJ-VICTIMS-CORE,5400,Test Charity,A1,INV,5000.00,Dec\n"
          "L6,10/12/2024,2024-25 P09,CC-MOJ-VICTIMS-CORE,5400,Test Charity,A1,CRN,-333.33,Credit\n"
          "L7,31/03/2025,2024-25 P12,CC-HO-VRU,5400,Test Charity,A2,ACR,2500.00,Accrual Mar\n")
    write(inbox / "ledger" / "gl_2025-04.csv", LEDGER_HEADER + "\n"
          "L8,01/04/2025,2025-26 P01,CC-HO-VRU,5400,Test Charity,A2,REV,-2500.00,Reverse accrual\n"
          "L9,15/04/2025,2025-26 P01,CC-HO-VRU,5400,Test Charity,A2,INV,2500.00,Mar invoice\n")
    write_leeds_reference(inbox)
    write(inbox / "police" / "2024-06" / "2024-06-west-yorkshire-street.csv",
          "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
          "Last outcome category,Context\n"
          "a1,2024-06,West Yorkshire Police,West Yorkshire Police,-1.5,53.8,On or near X,E01011229,Leeds 001A,Burglary,,\n"
          "a2,2024-06,West Yorkshire Police,West Yorkshire Police,-1.5,53.8,On or near X,E01011229,Leeds 001A,Burglary,,\n"
          "a3,2024-06,West Yorkshire Police,West Yorkshire Police,,,No Location,,,Burglary,,\n")
    # Robberies in April and May 2024: with June's file, police data covers 2024-25 Q1, but not the
    # same quarter of 2023: last year's count is not available, never 0.
    for month, crime_id in (("2024-04", "r1"), ("2024-05", "r2")):
        write(inbox / "police" / month / f"{month}-west-yorkshire-street.csv",
              "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
              "Last outcome category,Context\n"
              f"{crime_id},{month},West Yorkshire Police,West Yorkshire Police,-1.5,53.8,On or near X,E01011229,"
              "Leeds 001A,Robbery,,\n")
    supported = 12
    for name, referrals, completed in (("first", 14, "2025-01-10"), ("resubmitted", 15, "2025-01-20")):
        values = {("Activity", ("Domestic abuse",), "Service users supported"): supported,
                  ("Activity", ("Domestic abuse",), "Referrals received"): referrals,
                  ("Outcomes", (t.OUTCOME_MEASURES[0],), "Service users assessed"): 10,
                  ("Outcomes", (t.OUTCOME_MEASURES[0],), "Service users improved"): 7}
        for characteristic in t.DEMOGRAPHICS:
            values[("Demographics", (characteristic, t.NOT_STATED), "Service users")] = supported
        values[("Demographics", ("Ethnicity", t.NOT_STATED), "Service users")] = supported - 11
        values[("Demographics", ("Ethnicity", "White"), "Service users")] = 9
        values[("Demographics", ("Ethnicity", "Asian, Asian British or Asian Welsh"), "Service users")] = 2
        values[("Demographics", ("District", "Leeds"), "Service users")] = supported
        # The Finance sheet's Total row restates the categories: provider spend is 3500.50, not 7001.00.
        values[("Finance", ("Staff costs",), "Spend this quarter")] = D("3000.00")
        values[("Finance", ("Premises",), "Spend this quarter")] = D("500.50")
        values[("Finance", (t.FINANCE_TOTAL,), "Spend this quarter")] = D("3500.50")
        t.write_return(inbox / "provider_returns" / f"A1_2024-25-Q3_{name}.xlsx", t.ReturnContent(
            agreement_ref="A1", provider="Test Charity", service="Service A1", quarter="2024-25-Q3",
            districts=tuple(d.name for d in tenant.districts), kpis=(("Service users completing support", "70"),),
            completed_by="Tester", date_completed=completed, values=values,
            template_version=t.PREVIOUS_VERSION))   # the earlier template: no new service users by group

    # Q4: 10 supported, of whom 4 are new this quarter (6 carried on from Q3). The half-year and the
    # year count 12 (everyone in Q3) + 4 (new in Q4) = 16 people, not 12 + 10 = 22.
    values = people_in_leeds(supported=10, new=4, referrals=6)
    # Of the 4 new people, 3 are White and 1 did not say.
    values[("Demographics", ("Ethnicity", "White"), t.NEW_SERVICE_USERS)] = 3
    values[("Demographics", ("Ethnicity", t.NOT_STATED), t.NEW_SERVICE_USERS)] = 1
    t.write_return(inbox / "provider_returns" / "A1_2024-25-Q4.xlsx", t.ReturnContent(
        agreement_ref="A1", provider="Test Charity", service="Service A1", quarter="2024-25-Q4",
        districts=tuple(d.name for d in tenant.districts), kpis=(("Service users completing support", "70"),),
        completed_by="Tester", date_completed="2025-04-10", values=values))
    # A letter for a year the ledger does not cover (no line is posted in 2023-24): its spend,
    # underspend and carry-forward are not available, not the whole allocation.
    write(inbox / "funding" / "allocations_2023-24.csv",
          "stream_id,financial_year,allocation,award_reference,award_date,source\n"
          "MOJ-VICTIMS-CORE,2023-24,90000.00,MOJ-0,2023-03-01,test\n")


@pytest.fixture(scope="module")
def marts(module_tenants):
    return build_office(build_inbox)



def test_spend_by_priority_by_hand(marts):
    got = rows(marts, """select financial_year, plan_id, priority_id, stream_id, spend from marts.spend_by_priority
                         order by 1, 2 nulls first, 3, 4""")
    assert got == [
        ("2024-25", None, "UNATTRIBUTED", "HO-VRU", D("123.45")),
        ("2024-25", "WY-PCP-2021", "WY21-PLACES", "HO-VRU", D("1000.00")),
        ("2024-25", "WY-PCP-2021", "WY21-SAFE", "CSF", D("1000.00")),
        ("2024-25", "WY-PCP-2021", "WY21-SAFE", "HO-VRU", D("1500.00")),
        ("2024-25", "WY-PCP-2021", "WY21-VICTIMS", "MOJ-VICTIMS-CORE", D("5000.00")),
        ("2024-25", "WY-PCP-2024", "WY24-SAFE", "CSF", D("1000.00")),
        ("2024-25", "WY-PCP-2024", "WY24-SAFE", "HO-VRU", D("1500.00")),
        ("2024-25", "WY-PCP-2024", "WY24-SAFE", "MOJ-VICTIMS-CORE", D("1166.67")),
        ("2024-25", "WY-PCP-2024", "WY24-VICTIMS", "MOJ-VICTIMS-CORE", D("3500.00")),
        ("2025-26", "WY-PCP-2024", "WY24-SAFE", "CSF", D("0.00")),
        ("2025-26", "WY-PCP-2024", "WY24-SAFE", "HO-VRU", D("0.00")),
    ]
    assert rows(marts, "select sum(spend) from marts.spend_by_priority where financial_year = '2024-25'") == [
        (D("15790.12"),)]


def test_unmatched_ledger_line_is_kept(marts):
    assert rows(marts, """select transaction_id, match_status, amount from intermediate.int_ledger_lines_matched
                          where not is_matched""") == [("L4", "no_agreement_reference", D("123.45"))]


def test_funding_position_by_hand(marts):
    got = rows(marts, """select stream_id, allocation, committed, spent, remaining, underspend_to_return,
                                carry_forward, ring_fence_breaches, ring_fence_breach_amount
                         from marts.funding_position where financial_year = '2024-25' order by stream_id""")
    # CSF has no letter for the year: its carry-forward is not available, not 0.
    assert got == [
        ("CSF", None, D("12000.00"), D("2000.00"), None, None, None, 0, D("0.00")),
        ("HO-VRU", D("50000.00"), D("28000.00"), D("4123.45"), D("45876.55"), D("45876.55"), D("0.00"), 1,
         D("1000.00")),
        ("MOJ-VICTIMS-CORE", D("100000.00"), D("60000.00"), D("9666.67"), D("90333.33"), D("90333.33"), D("0.00"),
         0, D("0.00")),
    ]


def test_funding_position_year_the_ledger_does_not_cover(marts):
    got = rows(marts, """select allocation, ledger_covers_year, spent, remaining, underspend_to_return, carry_forward,
                                overspend, utilisation
                         from marts.funding_position
                         where financial_year = '2023-24' and stream_id = 'MOJ-VICTIMS-CORE'""")
    assert got == [(D("90000.00"), False, None, None, None, None, None, None)]
    # A covered year with no letter: spend is known, the overspend is not (nothing to compare with).
    assert rows(marts, """select spent, overspend from marts.funding_position
                           where financial_year = '2024-25' and stream_id = 'CSF'""") == [(D("2000.00"), None)]


def test_commissioned_services_by_hand(marts):
    got = rows(marts, """select agreement_ref, actual_spend, value_in_year, service_users_supported,
                                referrals_received, outcomes_assessed, outcomes_improved, outcome_rate,
                                returns_received, returns_expected, primary_priority_id, rag_status
                         from marts.commissioned_services where financial_year = '2024-25' order by 1""")
    # The primary priority is that of the plan in force for most of the year's active months: April to
    # November 2024 (8 months) under WY-PCP-2021 against December to March (4) under WY-PCP-2024, so the
    # 2021 plan's largest weight: A1 WY21-VICTIMS, A2 WY21-SAFE, A3 WY21-PLACES (each weight 1).
    assert got == [
        # 12 in Q3 + 4 new in Q4 = 16 people; referrals 15 (Q3 resubmitted) + 6 (Q4) = 21.
        ("A1", D("9666.67"), D("60000.00"), 16, 21, 10, 7, D("0.7000"), 2, 4, "WY21-VICTIMS", "Red"),
        ("A2", D("5000.00"), D("30000.00"), 0, 0, 0, 0, None, 0, 4, "WY21-SAFE", "Red"),
        ("A3", D("1000.00"), D("10000.00"), 0, 0, 0, 0, None, 0, 4, "WY21-PLACES", "Red"),
    ]


def test_resubmission_supersedes(marts):
    got = rows(marts, """select source_file, submission_rank, is_current from intermediate.int_provider_returns_received
                         where quarter = '2024-25-Q3' order by submission_rank""")
    assert got == [("provider_returns/A1_2024-25-Q3_resubmitted.xlsx", 1, True),
                   ("provider_returns/A1_2024-25-Q3_first.xlsx", 2, False)]


def test_edi_representation_by_hand(marts):
    got = rows(marts, """select group_name, service_users, share_of_stated, population_share, representation_ratio,
                                representation_flag, suppress_in_publication
                         from marts.edi_representation where characteristic = 'Ethnicity' and service_users > 0
                         order by group_name""")
    # The year, each person once: Q3 (White 9, Asian 2, Not stated 1) + Q4's new (White 3, Not stated 1).
    # Asian 2 and Not stated 2 are counts of 1-4 (hidden); the smallest count above 4, White 12, is hidden
    # too, so the hidden cells do not all lie in 1-4 (before, White's share 12/14 = 0.8571 was published:
    # 12 / 0.8571 = 14 stating gave Not stated 16 - 14 = 2 and Asian 14 - 12 = 2). Not stated is hidden,
    # so no share or ratio is published. The census shares (Leeds, all ages: the register does not say
    # which ages A1 serves) stay: Asian 150/1000 = 0.15, White 800/1000 = 0.80.
    assert got == [
        ("Asian, Asian British or Asian Welsh", 2, None, D("0.1500"), None, "Suppressed", True),
        ("Not stated", 2, None, None, None, "Suppressed", True),
        ("White", 12, None, D("0.8000"), None, "Suppressed", True),
    ]


def test_value_for_money_by_hand(marts):
    got = rows(marts, """select cost_per_service_user, cost_per_improved_outcome, budget_utilisation, underspend,
                                provider_reported_spend
                         from marts.value_for_money where agreement_ref = 'A1' and financial_year = '2024-25'""")
    # A1 sent 2 of its 4 returns (Q3 and Q4): its 9666.67 of spend covers the year, its 16 people
    # half of it, so there is no cost per service user or per improved outcome (not 9666.67 / 16).
    # 2024-25 is closed (ended before 15 May 2025; the ledger holds March): 9666.67 / 60000 =
    # 0.16111..; underspend 60000.00 - 9666.67 = 50333.33; provider spend 3000.00 + 500.50 (the
    # Total row restates them; Q4 gives no finance).
    assert got == [(None, None, D("0.1611"), D("50333.33"), D("3500.50"))]


def test_crime_context_by_hand(marts):
    got = rows(marts, """select district_code, crime_type, crimes, population, rate_per_1000
                         from marts.crime_context order by district_code, crime_type""")
    assert got == [("E08000035", "Burglary", 2, 1000, D("2.00")), ("E08000035", "Robbery", 2, 1000, D("2.00")),
                   ("UNKNOWN", "Burglary", 1, None, None)]


def test_vru_same_quarter_last_year_without_police_data_is_not_available(marts):
    q1 = pack_figures("west_yorkshire", "ho-vru", "2024-25-Q1")
    # April, May and June 2024 are covered: r1 and r2 are Leeds robberies. No 2023 data: not 0.
    assert q1["crime_context:E08000035|Robbery:crimes_in_period"] == "2"
    assert q1["crime_context:E08000035|Robbery:crimes_same_quarter_last_year"] is None
    assert q1["crime_context:E08000035|Robbery:change"] is None


def test_docs_site_builds_offline(marts, tmp_path):
    from dagster_project.dbt_project import MANIFEST_PATH, ensure_manifest, generate_docs

    ensure_manifest()
    before = MANIFEST_PATH.stat()
    page = generate_docs(marts, tmp_path / "docs", load_tenant("west_yorkshire").as_of)   # the refresh's parse
    html = page.read_text(encoding="utf-8")
    assert "spend_by_priority" in html and "reconciles to the ledger to the penny" in html
    # Its overview page says what the warehouse holds (dbt/models/overview.md), not dbt's default.
    assert "# The commissioning warehouse" in html and "Where the figures come from" in html
    # The shared manifest, which a refresh in another process may be reading, is left alone.
    after = MANIFEST_PATH.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_dbt_unit_tests_pass(marts):
    # Refreshes leave dbt's unit tests out; this runs all of them, once, on a copy of a built office.
    from dagster_project.dbt_project import load_manifest, run_unit_tests

    statuses = run_unit_tests(marts, load_tenant("west_yorkshire").as_of)   # the refresh's vars: its parse
    assert set(statuses) == set(load_manifest()["unit_tests"]) and len(statuses) >= 10
    assert {uid: s for uid, s in statuses.items() if s != "pass"} == {}


def test_every_model_and_column_is_described(marts):
    from dagster_project.dbt_project import load_manifest

    built: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in rows(marts, "select table_schema, table_name, column_name from information_schema.columns"):
        built.setdefault((schema, table), set()).add(column)
    missing = []
    for node in load_manifest()["nodes"].values():
        if node["resource_type"] != "model":
            continue
        if not node.get("description"):
            missing.append(f"{node['name']} (model)")
        documented = {name for name, column in node["columns"].items() if column.get("description")}
        actual = built.get((node["schema"], node["name"]), set())
        assert actual, f"{node['name']} was not built"
        missing += [f"{node['name']}.{c}" for c in sorted(actual - documented)]
    assert missing == []


# --- the return packs of the small office, figures worked out by hand ------------------------
# Streams in the packs: MOJ-VICTIMS-CORE and MOJ-DASV (reported_in moj-victims), HO-VRU (ho-vru,
# match funding 0%). Allocation letters exist only for MOJ-VICTIMS-CORE (100000.00) and HO-VRU
# (50000.00) in 2024-25; every other allocation is not available, never 0.

def pack_figures(tenant_slug: str, pack: str, period: str, draft: bool = False) -> dict[str, str | None]:
    from dagster_project.packs.render import render_pack
    folder = render_pack(load_tenant(tenant_slug), pack, period, draft=draft)
    import json
    return {f["id"]: f["value"] for f in json.loads((folder / "manifest.json").read_text())["figures"]}


def test_moj_grant_lines_forecast_by_hand(marts):
    h1 = pack_figures("west_yorkshire", "moj-victims", "2024-25-H1")
    # No spend in H1: A1 (60000.00 a year, all MOJ-VICTIMS-CORE, its term running past March) commits
    # 60000.00 x 12 / 12 = 60000.00 this year, none of it paid by September, so 60000.00 is still to
    # pay; no line outside agreements is booked to the line (L4 is HO-VRU's). Forecast 0 + 60000.00;
    # underspend = 100000 - 60000 = 40000. (The old formula spread it over the 6 months left: 30000.00.)
    assert h1["grant_lines:MOJ-VICTIMS-CORE:spend_year_to_date"] == "0.00"
    assert D(h1["grant_lines:MOJ-VICTIMS-CORE:forecast_full_year"]) == D("60000.00")
    assert D(h1["grant_lines:MOJ-VICTIMS-CORE:forecast_underspend"]) == D("40000.00")
    h2 = pack_figures("west_yorkshire", "moj-victims", "2024-25-H2")
    # L1 5000.00 + L5 5000.00 + L6 -333.33 = 9666.67; the year has ended, so nothing more is
    # forecast: 9666.67.
    assert h2["grant_lines:MOJ-VICTIMS-CORE:allocation"] == "100000.00"
    assert h2["grant_lines:MOJ-VICTIMS-CORE:spend_in_period"] == "9666.67"
    assert D(h2["grant_lines:MOJ-VICTIMS-CORE:forecast_full_year"]) == D("9666.67")
    assert D(h2["grant_lines:MOJ-VICTIMS-CORE:forecast_underspend"]) == D("90333.33")
    # MOJ-DASV has no allocation letter and no agreement: its allocation and underspend are not
    # available (so are the totals over them); its forecast is 0 spent + 0 committed.
    assert h2["grant_lines:MOJ-DASV:allocation"] is None
    assert h2["grant_lines:MOJ-DASV:forecast_underspend"] is None
    assert D(h2["grant_lines:MOJ-DASV:forecast_full_year"]) == D("0")
    assert h2["grant_lines:total:allocation"] is None and h2["grant_lines:total:forecast_underspend"] is None
    assert D(h2["grant_lines:total:forecast_full_year"]) == D("9666.67")


def test_moj_outcomes_demographics_and_activity_by_hand(marts):
    h2 = pack_figures("west_yorkshire", "moj-victims", "2024-25-H2")
    measure = t.OUTCOME_MEASURES[0]
    # The resubmitted Q3 return supersedes the first: 10 assessed, 7 improved, 7 / 10.
    assert h2[f"outcomes:{measure}:assessed"] == "10" and h2[f"outcomes:{measure}:improved"] == "7"
    assert D(h2[f"outcomes:{measure}:improvement_rate"]) == D("0.7000")
    # Ethnicity, each person once: Q3's White 9, Asian 2, Not stated 1, plus Q4's new people (White 3,
    # Not stated 1): White 12 and Asian 2 of the 14 who stated; Not stated 2 has no share.
    assert h2["demographics:Ethnicity|White:victims_supported"] == "12"
    assert D(h2["demographics:Ethnicity|White:share_of_stated"]) == D("0.8571")      # 12 / 14 = 0.85714..
    assert D(h2["demographics:Ethnicity|Asian, Asian British or Asian Welsh:share_of_stated"]) == D("0.1429")
    assert h2["demographics:Ethnicity|Not stated:victims_supported"] == "2"
    assert h2["demographics:Ethnicity|Not stated:share_of_stated"] is None
    # Every characteristic adds up to the 16 victims supported.
    assert sum(int(v) for k, v in h2.items() if k.startswith("demographics:Sex|")
               and k.endswith(":victims_supported")) == 16
    # Referrals 15 in the resubmission (14 in the superseded first) + 6 in Q4; victims 12 in Q3 plus
    # the 4 new in Q4 (the other 6 of Q4's 10 were supported in Q3 already) = 16, not 22.
    assert h2["activity:A1|Domestic abuse:referrals_received"] == "21"
    assert h2["activity:A1|Domestic abuse:victims_supported"] == "16"


def test_vru_summary_and_spend_by_hand(marts):
    q3 = pack_figures("west_yorkshire", "ho-vru", "2024-25-Q3")
    # L2 2500 x 0.6 = 1500.00 + L3 1000.00 (once, though in two exports) + L4 123.45 (no agreement,
    # booked to CC-HO-VRU, account 5490: core function) = 2623.45; interventions 2500.00.
    assert q3["summary:all:allocation"] == "50000.00"
    assert q3["summary:all:spend_in_period"] == "2623.45" and q3["summary:all:spend_year_to_date"] == "2623.45"
    assert D(q3["summary:all:interventions_share_year_to_date"]) == D("0.9529")     # 2500 / 2623.45 = 0.95294..
    # 2024-25's grant conditions (tenant.yml): match funding 30% of the grant spent, 10% on evaluation.
    assert D(q3["summary:all:match_funding_required_year_to_date"]) == D("787.04")   # 2623.45 x 0.30 = 787.035
    assert q3["summary:all:match_funding_year_to_date"] == "0.00"         # VRU-MATCH has no line
    assert D(q3["summary:all:evaluation_share_year_to_date"]) == D("0")
    assert q3["spend:Core function:spend_in_period"] == "123.45"
    assert q3["spend:Interventions:spend_in_period"] == "2500.00"
    assert q3["spend:Evaluation:spend_in_period"] == "0.00"
    q4 = pack_figures("west_yorkshire", "ho-vru", "2024-25-Q4")
    # L7 accrual 2500 x 0.6 = 1500.00 in March; year to date 4123.45, of which 4000.00 interventions.
    assert q4["summary:all:spend_in_period"] == "1500.00" and q4["summary:all:spend_year_to_date"] == "4123.45"
    assert D(q4["summary:all:interventions_share_year_to_date"]) == D("0.9701")     # 4000 / 4123.45 = 0.97006..
    # 2025-26 Q1 (not ended at the tenant's as_of date, so a draft): the reversal L8 -1500.00 and
    # the invoice L9 +1500.00 cancel; no 2025-26 letter, and no spend to take a share of.
    q1 = pack_figures("west_yorkshire", "ho-vru", "2025-26-Q1", draft=True)
    assert q1["summary:all:spend_year_to_date"] == "0.00"
    assert q1["summary:all:allocation"] is None
    assert q1["summary:all:interventions_share_year_to_date"] is None


def test_reconciliation_explains_booked_and_attributed_spend(marts):
    got = rows(marts, """select booked_to_stream_cost_centres, attributed_from_other_cost_centres,
                                attributed_to_other_streams, ledger_spend, explanation
                         from returns.rpt_ho_vru__reconciliation where period = '2024-25-Q3'""")
    # Booked to CC-HO-VRU in Oct-Dec: L2 2500.00 + L3 1000.00 + L4 123.45 = 3623.45; 40% of L2
    # (1000.00) belongs to CSF by A2's funding split; nothing booked elsewhere is VRU's: 2623.45.
    assert got == [(D("3623.45"), D("0.00"), D("1000.00"), D("2623.45"),
                    "Booked to the stream's cost centres £3,623.45, plus £0.00 of lines booked to other cost centres "
                    "that agreements funded by this stream share, less £1,000.00 of lines booked here that belong "
                    "to other streams by agreements' funding splits, is the ledger spend £2,623.45. Each line is "
                    "split to the penny, the spare penny to its largest part.")]
    [(explanation,)] = rows(marts, """select explanation from returns.rpt_moj_victims__reconciliation
                                      where period = '2024-25-H2' and stream_id = 'MOJ-VICTIMS-CORE'""")
    assert explanation == "All of the spend is booked to the stream's own cost centres."



def pack_manifest(tenant_slug: str, pack: str, period: str, draft: bool = False) -> dict:
    import json

    from dagster_project.packs.render import render_pack
    folder = render_pack(load_tenant(tenant_slug), pack, period, draft=draft)
    return json.loads((folder / "manifest.json").read_text())


def test_pack_warnings_by_hand(marts):
    vru = pack_manifest("west_yorkshire", "ho-vru", "2024-25-Q3")
    assert [(w["rule"], w["message"]) for w in vru["warnings"]] == [
        ("evaluation_share", "Evaluation is 0.0% of spend so far this year; the grant conditions require at least "
                             "10.0% of the year's spend on evaluation by the year's end."),
        ("match_funding", "Partners' match funding so far this year is £0.00, below the £787.04 the grant "
                          "conditions require (30.0% of the grant spent)."),
    ]
    moj = pack_manifest("west_yorkshire", "moj-victims", "2024-25-H2")
    # 100000.00 - 9666.67 forecast = 90333.33 > 5% of 100000.00; DASV and ISVA-IDVA have no letter: not judged.
    assert [(w["rule"], w["row"]) for w in moj["warnings"]] == [("forecast_underspend", "MOJ-VICTIMS-CORE")]
    assert moj["warnings"][0]["message"].startswith(
        "MoJ Victims' Services Core Grant: the forecast underspend of £90,333.33 is more than 5% of the allocation "
        "of £100,000.00")


def test_overspend_warning_by_hand():
    from dagster_project.packs.spec import spec_for
    from dagster_project.packs.warnings import section_warnings

    grant_lines = next(s for s in spec_for("moj-victims", "2024-25-H2").sections if s.id == "grant_lines")
    row = {"stream_id": "S", "stream_name": "Line S", "allocation": D("1000.00"), "spend_year_to_date": D("1200.50"),
           "forecast_underspend": D("0"), "returned_if_unspent": 1, "outside_stream_years": 0,
           "committed": D("0")}
    assert section_warnings(grant_lines, [row], lambda r: r["stream_id"]) == [{
        "rule": "overspend", "section": "grant_lines", "row": "S",
        "message": "Line S: £1,200.50 spent so far this year is more than the allocation of £1,000.00. The MoJ will "
                   "not fund the difference; move spend to another line or stream before the return is signed."}]
    # No allocation letter: the rule cannot be judged, so no warning (and no false comfort of 0).
    assert section_warnings(grant_lines, [dict(row, allocation=None)], lambda r: r["stream_id"]) == []


def test_posts_and_grant_lines_by_year(marts):
    h2 = pack_figures("west_yorkshire", "moj-victims", "2024-25-H2")
    # A1 funds 2.5 FTE IDVA, all from MOJ-VICTIMS-CORE; A2's ISVA post is paid by VRU and CSF: not MoJ's.
    assert h2["posts:A1|IDVA:funded_fte"] == "2.50"
    assert not [k for k in h2 if k.startswith("posts:A2")]
    assert h2["posts:total:funded_fte"] == "2.50"
    # 2024-25 has the two ring-fenced lines; the merged line exists from 2025-26 only.
    assert "grant_lines:MOJ-ISVA-IDVA:spend_in_period" in h2
    assert not [k for k in h2 if k.startswith("grant_lines:MOJ-RINGFENCED:")]
    h1 = pack_figures("west_yorkshire", "moj-victims", "2025-26-H1", draft=True)
    assert "grant_lines:MOJ-RINGFENCED:spend_in_period" in h1
    assert not [k for k in h1 if k.startswith(("grant_lines:MOJ-DASV:", "grant_lines:MOJ-ISVA-IDVA:"))]


def test_cover_says_reporting_date_and_load(marts):
    manifest = pack_manifest("west_yorkshire", "moj-victims", "2024-25-H2")
    from dagster_project.packs.render import out_dir
    page = (out_dir("west_yorkshire", "moj-victims", "2024-25-H2") / "moj-victims.html").read_text()
    assert f"reporting date 15 May 2025; built from load {manifest['as_of_load']}, landed " in page
    assert ".%f" not in page and not re.search(r"landed \d+ \w+ \d{4} \d\d:\d\d:\d\d", page)


def test_immediate_justice_overspend_warning_by_hand():
    from dagster_project.packs.spec import spec_for
    from dagster_project.packs.warnings import section_warnings

    summary = next(s for s in spec_for("ho-immediate-justice", "2024-25-Q4").sections if s.id == "summary")
    rows = [{"stream_id": "HO-IJ", "allocation": D("1000000.00"), "spend_year_to_date": D("1000000.01")},
            {"stream_id": "HO-IJ-2", "allocation": D("500.00"), "spend_year_to_date": D("500.00")}]
    assert section_warnings(summary, rows, lambda r: r["stream_id"]) == [{
        "rule": "overspend", "section": "summary", "row": "HO-IJ",
        "message": "HO-IJ: £1,000,000.01 spent so far this year is more than the allocation of £1,000,000.00: the "
                   "Home Office does not fund spend above the allocation."}]
