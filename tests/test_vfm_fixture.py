"""value_for_money on like terms, on a small hand-built office, against figures worked out by hand.

The office (West Yorkshire's configuration, reporting date 15 May 2025):

* victims_all_crime (headline outcome "Better able to cope with everyday life"): V1, V2 and V3 ran
  January to March 2025 (one return each, all in) and V4 ran the whole of 2024-25 but sent only
  3 of its 4 quarterly returns.
* domestic_abuse (headline "Feel safer"): D1 and D2, January to March 2025: two services only.
* community_safety_grant: Y1 from April 2025, in 2025-26, a year in progress: the ledger holds
  April 2025 only.

The ledger holds every month of 2024-25 up to March 2025 (closed: it ended before the reporting
date) and April 2025. Every expected figure was worked out on paper from the inputs written here.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from dagster_project.demo.commissioning import Agreement
from dagster_project.demo.generator import write_register
from dagster_project.returns import template as t
from dagster_project.tenants import load_tenant
from tests.small_office import (LEDGER_HEADER, TEST_CHARITY, build_office, write, write_allocations,
                                write_leeds_reference)

D = Decimal
HEALTH, COPE, SAFER, INFORMED, CJS = t.OUTCOME_MEASURES
Q4_2025 = (dt.date(2025, 1, 1), dt.date(2025, 3, 31))


def agreement(ref, category, start, end, value, stream):
    """An agreement of the one test provider, paid wholly from one stream."""
    provider = TEST_CHARITY
    return Agreement(ref=ref, provider=provider, service_name=f"Service {ref}", category=category, cohort="All",
                     districts=("Leeds",), agreement_type="Contract", role="Lead", procurement_route="Open tender",
                     start=start, end=end, annual_value=D(value), decision_record="DR-1", eia_done=True,
                     dpia_done=True, modern_slavery="Yes", social_value_score=8, funding=[(stream, D(1))],
                     priorities=[("WY-PCP-2024", "WY24-VICTIMS", D(1))],
                     kpis=[("Service users completing support", "70", "%")], posts=[])


def write_quarter(tenant, ref, quarter, completed, supported, new_cases=None, outcomes=None):
    """One current return: people supported and new this quarter (all of them new where not said:
    the service's first quarter), each person 'Not stated' in every characteristic, and
    (measure -> (assessed, improved)) outcomes."""
    new_cases = supported if new_cases is None else new_cases
    values = {("Activity", ("Domestic abuse",), "Service users supported"): supported,
              ("Activity", ("Domestic abuse",), "New cases"): new_cases}
    counted = {t.SERVICE_USERS: supported, t.NEW_SERVICE_USERS: new_cases}
    for column, people in counted.items():
        for characteristic in t.DEMOGRAPHICS:
            values[("Demographics", (characteristic, t.NOT_STATED), column)] = people
        values[("Demographics", ("District", "Leeds"), column)] = people
    for measure, (assessed, improved) in (outcomes or {}).items():
        values[("Outcomes", (measure,), "Service users assessed")] = assessed
        values[("Outcomes", (measure,), "Service users improved")] = improved
    t.write_return(tenant.inbox / "provider_returns" / f"{ref}_{quarter}.xlsx", t.ReturnContent(
        agreement_ref=ref, provider="Test Charity", service=f"Service {ref}", quarter=quarter,
        districts=tuple(d.name for d in tenant.districts), kpis=(("Service users completing support", "70"),),
        completed_by="Tester", date_completed=completed, values=values))


def build_inbox(tenant):
    inbox = tenant.inbox
    write_allocations(inbox, ("MOJ-VICTIMS-CORE", "100000.00", "MOJ-1"))
    write_register([
        # Value in 2024-25 = annual value x 3 months / 12.
        agreement("V1", "victims_all_crime", *Q4_2025, "40000", "MOJ-VICTIMS-CORE"),    # 10000.00
        agreement("V2", "victims_all_crime", *Q4_2025, "48000", "MOJ-VICTIMS-CORE"),    # 12000.00
        agreement("V3", "victims_all_crime", *Q4_2025, "60000", "MOJ-VICTIMS-CORE"),    # 15000.00
        agreement("V4", "victims_all_crime", dt.date(2024, 4, 1), dt.date(2025, 3, 31), "24000",
                  "MOJ-VICTIMS-CORE"),                                                    # 24000.00
        agreement("D1", "domestic_abuse", *Q4_2025, "20000", "MOJ-VICTIMS-CORE"),       # 5000.00
        agreement("D2", "domestic_abuse", *Q4_2025, "28000", "MOJ-VICTIMS-CORE"),       # 7000.00
        agreement("Y1", "community_safety_grant", dt.date(2025, 4, 1), dt.date(2026, 3, 31), "36000", "CSF"),
    ], inbox / "agreements" / "register.xlsx")
    # One export for 2024-25 (its last line in March 2025), one for April 2025.
    write(inbox / "ledger" / "gl_2025-03.csv", LEDGER_HEADER + "\n"
          "T1,28/06/2024,2024-25 P03,CC-MOJ-VICTIMS-CORE,5400,Test Charity,V4,INV,6000.00,Q1\n"
          "T2,27/09/2024,2024-25 P06,CC-MOJ-VICTIMS-CORE,5400,Test Charity,V4,INV,6000.00,Q2\n"
          "T3,20/12/2024,2024-25 P09,CC-MOJ-VICTIMS-CORE,5400,Test Charity,V4,INV,6000.00,Q3\n"
          "T4,28/03/2025,2024-25 P12,CC-MOJ-VICTIMS-CORE,5400,Test Charity,V4,INV,6000.00,Q4\n"
          "T5,31/03/2025,2024-25 P12,CC-MOJ-VICTIMS-CORE,5400,Test Charity,V1,INV,9000.00,Q4\n"
          "T6,31/03/2025,2024-25 P12,CC-MOJ-VICTIMS-CORE,5400,Test Charity,V2,INV,12000.00,Q4\n"
          "T7,31/03/2025,2024-25 P12,CC-MOJ-VICTIMS-CORE,5400,Test Charity,V3,INV,13750.00,Q4\n"
          "T8,31/03/2025,2024-25 P12,CC-MOJ-VICTIMS-CORE,5400,Test Charity,D1,INV,4500.00,Q4\n"
          "T9,31/03/2025,2024-25 P12,CC-MOJ-VICTIMS-CORE,5400,Test Charity,D2,INV,7000.00,Q4\n")
    write(inbox / "ledger" / "gl_2025-04.csv", LEDGER_HEADER + "\n"
          "T10,15/04/2025,2025-26 P01,CC-CSF,5400,Test Charity,Y1,INV,2500.00,April\n")
    write_leeds_reference(inbox)

    # V1: 10 people; on the five outcome measures 6 + 5 + 7 + 8 + 4 = 30 "improved", three times
    # the people served. Its headline (cope) counts 5.
    write_quarter(tenant, "V1", "2024-25-Q4", "2025-04-10", 10, outcomes={
        HEALTH: (10, 6), COPE: (10, 5), SAFER: (10, 7), INFORMED: (10, 8), CJS: (10, 4)})
    write_quarter(tenant, "V2", "2024-25-Q4", "2025-04-10", 12, outcomes={COPE: (12, 8)})
    write_quarter(tenant, "V3", "2024-25-Q4", "2025-04-10", 11, outcomes={COPE: (11, 5)})
    # V4: Q1 10 people, Q2 6 new, Q3 4 new (20 people in the three quarters); no Q4 return.
    write_quarter(tenant, "V4", "2024-25-Q1", "2024-07-10", 10)
    write_quarter(tenant, "V4", "2024-25-Q2", "2024-10-10", 14, new_cases=6)
    write_quarter(tenant, "V4", "2024-25-Q3", "2025-01-10", 12, new_cases=4)
    write_quarter(tenant, "D1", "2024-25-Q4", "2025-04-10", 7, outcomes={SAFER: (7, 3)})
    write_quarter(tenant, "D2", "2024-25-Q4", "2025-04-10", 9, outcomes={SAFER: (9, 4)})


@pytest.fixture(scope="module")
def warehouse(module_tenants):
    # The figures below assume this reporting date.
    assert load_tenant("west_yorkshire").as_of == dt.date(2025, 5, 15)
    return build_office(build_inbox)


def vfm(warehouse, columns: str, where: str = "true"):
    """Rows of marts.value_for_money, by year and agreement."""
    con = duckdb.connect(str(warehouse), read_only=True)   # closed at once: dbt may need to write next
    try:
        return con.execute(f"select agreement_ref, {columns} from marts.value_for_money where {where} "
                           "order by financial_year, agreement_ref").fetchall()
    finally:
        con.close()


def test_cost_per_user_only_when_every_return_is_in(warehouse):
    got = vfm(warehouse, """actual_spend, service_users_supported, returns_received, returns_expected,
                            cost_per_service_user, cost_per_user_not_available_reason""",
              "financial_year = '2024-25' and agreement_ref in ('V1', 'V4')")
    assert got == [
        # 9000.00 / 10 people = 900.00
        ("V1", D("9000.00"), 10, 1, 1, D("900.00"), None),
        # 6000.00 x 4 = 24000.00 of spend for the year, but people for Q1-Q3 only (10 + 6 + 4 = 20):
        # 24000.00 / 20 = 1200.00 would set a year's spend against three quarters' people.
        ("V4", D("24000.00"), 20, 3, 4, None, "3 of 4 returns received"),
    ]


def test_category_median_only_over_three_services_with_a_cost(warehouse):
    got = vfm(warehouse, """services_in_category, services_with_cost_per_user, cost_per_service_user,
                            category_median_cost_per_user, cost_per_user_to_median,
                            cost_per_user_to_median_not_available_reason""",
              "financial_year = '2024-25' and service_category in ('victims_all_crime', 'domestic_abuse')")
    two = "2 of the 2 services in the category have a cost per service user this year; a median needs 3"
    assert got == [
        # D1 4500.00 / 7 = 642.857.. -> 642.86; D2 7000.00 / 9 = 777.777.. -> 777.78. Two services:
        # no median (a median of two always puts them at mirror images of 1).
        ("D1", 2, 2, D("642.86"), None, None, two),
        ("D2", 2, 2, D("777.78"), None, None, two),
        # V1 900.00, V2 12000.00 / 12 = 1000.00, V3 13750.00 / 11 = 1250.00 (V4 has none):
        # median of 900.00, 1000.00, 1250.00 = 1000.00.
        ("V1", 4, 3, D("900.00"), D("1000.00"), D("0.900"), None),       # 900 / 1000
        ("V2", 4, 3, D("1000.00"), D("1000.00"), D("1.000"), None),      # 1000 / 1000
        ("V3", 4, 3, D("1250.00"), D("1000.00"), D("1.250"), None),      # 1250 / 1000
        ("V4", 4, 3, None, D("1000.00"), None, "no cost per service user: 3 of 4 returns received"),
    ]


def test_cost_per_improved_outcome_counts_the_headline_measure_only(warehouse):
    got = vfm(warehouse, """headline_outcome, headline_outcome_assessed, headline_outcome_improved,
                            headline_outcome_rate, cost_per_improved_outcome, category_median_cost_per_outcome,
                            cost_per_outcome_to_median, cost_per_outcome_not_available_reason""",
              "financial_year = '2024-25'")
    assert got == [
        # 4500.00 / 3 = 1500.00; 3 / 7 = 0.42857.. ; two services: no median.
        ("D1", SAFER, 7, 3, D("0.4286"), D("1500.00"), None, None, None),
        # 7000.00 / 4 = 1750.00; 4 / 9 = 0.44444..
        ("D2", SAFER, 9, 4, D("0.4444"), D("1750.00"), None, None, None),
        # 9000.00 / 5 improved on coping = 1800.00 (not 9000.00 / 30 = 300.00 over five measures).
        # Median of 1800.00, 1500.00, 2750.00 = 1800.00.
        ("V1", COPE, 10, 5, D("0.5000"), D("1800.00"), D("1800.00"), D("1.000"), None),
        # 12000.00 / 8 = 1500.00; 1500 / 1800 = 0.8333..
        ("V2", COPE, 12, 8, D("0.6667"), D("1500.00"), D("1800.00"), D("0.833"), None),
        # 13750.00 / 5 = 2750.00; 2750 / 1800 = 1.52777..
        ("V3", COPE, 11, 5, D("0.4545"), D("2750.00"), D("1800.00"), D("1.528"), None),
        # V4 reported no outcomes, and not every return is in.
        ("V4", COPE, None, None, None, None, D("1800.00"), None, "3 of 4 returns received"),
    ]
    # No one served is counted as improved more than once: improved never exceeds people served.
    assert vfm(warehouse, "headline_outcome_improved, service_users_supported",
               "headline_outcome_improved > service_users_supported") == []


def test_year_in_progress_compares_spend_with_the_months_the_ledger_covers(warehouse):
    got = vfm(warehouse, """financial_year, value_in_year, ledger_months_covered, year_closed, value_in_ledger_months,
                            actual_spend, budget_utilisation, underspend, underspend_not_available_reason,
                            cost_per_user_not_available_reason""",
              "agreement_ref in ('V1', 'V4', 'Y1')")
    assert got == [
        # 2024-25 is closed (it ended before 15 May 2025; the ledger holds March): the whole year.
        # 9000.00 / 10000.00 = 0.9000; underspend 10000.00 - 9000.00 = 1000.00.
        ("V1", "2024-25", D("10000.00"), 12, True, D("10000.00"), D("9000.00"), D("0.9000"), D("1000.00"), None,
         None),
        # 24000.00 / 24000.00 = 1.0000; nothing unspent.
        ("V4", "2024-25", D("24000.00"), 12, True, D("24000.00"), D("24000.00"), D("1.0000"), D("0.00"), None,
         "3 of 4 returns received"),
        # 2025-26: the ledger holds April 2025 only. April's value is 36000.00 x 1 / 12 = 3000.00;
        # 2500.00 / 3000.00 = 0.83333.. (not 2500.00 / 36000.00 = 0.0694 against the whole year).
        # The year's underspend is not known until it closes (not 36000.00 - 2500.00 = 33500.00).
        ("Y1", "2025-26", D("36000.00"), 1, False, D("3000.00"), D("2500.00"), D("0.8333"), None,
         "year not closed: the ledger holds 1 of 12 months (to April 2025)", "0 of 4 returns received"),
    ]
