"""Equality figures (marts.edi_representation) on a small office worked out by hand.

Leeds and Bradford, Census 2021 by age band, ethnicity and disability (written below), and three
agreements with different "Ages served", each with one quarterly return (2024-25 Q1, so the year's
people are that quarter's service users):

* E1 Adult Victims Service, 18 and over, Leeds only: its age bands are compared with Leeds's adults,
  its users from outside the area do not count against Leeds, and the census's all-ages ethnicity is
  no baseline for it.
* E2 Community Safety Grant, ages not stated (so all ages), Leeds and Bradford: baselines weighted by
  where its users live; two hidden 4s get a third hidden cell; a hidden Not stated withholds shares;
  a group expected to hold under 5 people is too few to assess.
* E3 Youth Violence Mentoring, 10 to 24, Leeds only: a band cut by the cohort (under 18 is 10 to 17).
* E4 Victim Care Hub, All ages, Leeds and Bradford, no district given: baselines weighted by the
  districts' population.

Every expected value was worked out on paper from these inputs (arithmetic in the comments).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from dagster_project.demo.commissioning import Agreement, Provider
from dagster_project.demo.generator import write_register
from dagster_project.returns import template as t
from tests.disclosure import Cell, check_edi_tables, exposed_cells
from tests.small_office import LEDGER_HEADER, TEST_CHARITY, build_office, records, write, write_allocations

D = Decimal

# Census 2021 TS007A by five-year band (4 and under, 5-9, ..., 80-84, 85 and over).
AGE_COLUMNS = ("Age: Aged 4 years and under", "Age: Aged 5 to 9 years", "Age: Aged 10 to 14 years",
               "Age: Aged 15 to 19 years", "Age: Aged 20 to 24 years", "Age: Aged 25 to 29 years",
               "Age: Aged 30 to 34 years", "Age: Aged 35 to 39 years", "Age: Aged 40 to 44 years",
               "Age: Aged 45 to 49 years", "Age: Aged 50 to 54 years", "Age: Aged 55 to 59 years",
               "Age: Aged 60 to 64 years", "Age: Aged 65 to 69 years", "Age: Aged 70 to 74 years",
               "Age: Aged 75 to 79 years", "Age: Aged 80 to 84 years", "Age: Aged 85 years and over")
# Leeds, 1,000 people. In the return's bands (15-19 split 30 under 18, 20 aged 18-19):
# Under 18 50+50+50+30 = 180; 18-24 20+100 = 120; 25-34 200; 35-44 100; 45-54 100; 55-64 100;
# 65-74 100; 75 and over 50+25+25 = 100. Adults (18 and over): 1000 - 180 = 820.
# Aged 10 to 24: under 18 part 50 (10-14) + 30 (15-17) = 80; 18-24 120; 200 in all.
LEEDS_AGES = (50, 50, 50, 50, 100, 100, 100, 50, 50, 50, 50, 50, 50, 50, 50, 50, 25, 25)
# Bradford, 500 people (only E2 serves it, for all ages: only its total is used).
BRADFORD_AGES = (50, 50, 50, 50, 50, 25, 25, 25, 25, 25, 25, 25, 25, 10, 10, 10, 10, 10)
# Ethnicity: Asian, Black, Mixed, White, Other.
# Leeds 150, 25, 15, 800, 10 of 1000: 0.15, 0.025, 0.015, 0.80, 0.01.
# Bradford 200, 10, 15, 270, 5 of 500: 0.40, 0.02, 0.03, 0.54, 0.01.
ETHNICITY = {"Leeds": (150, 25, 15, 800, 10), "Bradford": (200, 10, 15, 270, 5)}
# Disability (disabled, not disabled): Leeds 200, 800 (0.2); Bradford 150, 350 (0.3).
DISABILITY = {"Leeds": (200, 800), "Bradford": (150, 350)}
CODES = {"Leeds": "E08000035", "Bradford": "E08000032"}


def write_census(inbox):
    """Census 2021 age, ethnicity and disability for Leeds and Bradford (Nomis bulk layout), and one LSOA
    of each district in the lookup."""
    assert sum(LEEDS_AGES) == 1000 and sum(BRADFORD_AGES) == 500
    ages = {"Leeds": LEEDS_AGES, "Bradford": BRADFORD_AGES}
    write(inbox / "census" / "census2021-ts007a-ltla.csv",
          "date,geography,geography code,Age: Total," + ",".join(AGE_COLUMNS) + "\n"
          + "".join(f"2021,{d},{CODES[d]},{sum(a)}," + ",".join(map(str, a)) + "\n" for d, a in ages.items()))
    write(inbox / "census" / "census2021-ts021-ltla.csv",
          'date,geography,geography code,Ethnic group: Total: All usual residents,'
          '"Ethnic group: Asian, Asian British or Asian Welsh",'
          '"Ethnic group: Black, Black British, Black Welsh, Caribbean or African",'
          'Ethnic group: Mixed or Multiple ethnic groups,Ethnic group: White,Ethnic group: Other ethnic group\n'
          + "".join(f"2021,{d},{CODES[d]},{sum(e)}," + ",".join(map(str, e)) + "\n" for d, e in ETHNICITY.items()))
    write(inbox / "census" / "census2021-ts038-ltla.csv",
          "date,geography,geography code,Disability: Total: All usual residents,"
          "Disability: Disabled under the Equality Act,Disability: Not disabled under the Equality Act\n"
          + "".join(f"2021,{d},{CODES[d]},{sum(x)},{x[0]},{x[1]}\n" for d, x in DISABILITY.items()))
    write(inbox / "lookup" / "lookup.csv",
          "LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD,LAD22NM,LAD22NMW,ObjectId\n"
          "E01011229,Leeds 001A,E01011229,Leeds 001A,U,E08000035,Leeds,,1\n"
          "E01010570,Bradford 001A,E01010570,Bradford 001A,U,E08000032,Bradford,,2\n")


def agreement(ref, name, category, districts, ages_served, provider):
    return Agreement(ref=ref, provider=provider, service_name=name, category=category, cohort="All",
                     districts=districts, agreement_type="Grant", role="Facilitating",
                     procurement_route="Open tender", start=dt.date(2024, 4, 1), end=dt.date(2025, 3, 31),
                     annual_value=D("20000"), decision_record="DR-1", eia_done=True, dpia_done=True,
                     modern_slavery="Yes", social_value_score=8, funding=[("MOJ-VICTIMS-CORE", D(1))],
                     priorities=[("WY-PCP-2021", "WY21-VICTIMS", D(1)), ("WY-PCP-2024", "WY24-VICTIMS", D(1))],
                     kpis=[("Service users completing support", "70", "%")], ages_served=ages_served)


# Each return's people by characteristic (groups not named: none; characteristics not named: all
# Not stated). Every characteristic adds up to the people supported.
RETURNS = {
    "E1": (100, {
        "Age band": {"Under 18": 5, "18-24": 20, "25-34": 25, "35-44": 20, "45-54": 12, "55-64": 8, "65-74": 5,
                     "75 and over": 0, t.NOT_STATED: 5},
        "Ethnicity": {"White": 80, "Asian, Asian British or Asian Welsh": 15, t.NOT_STATED: 5},
        "District": {"Leeds": 88, t.OUTSIDE_AREA: 7, t.NOT_STATED: 5},
    }),
    "E2": (60, {
        "Sex": {"Female": 30, "Male": 30},
        "Ethnicity": {"Asian, Asian British or Asian Welsh": 8,
                      "Black, Black British, Black Welsh, Caribbean or African": 4,
                      "Mixed or Multiple ethnic groups": 4, "White": 34, "Other ethnic group": 0, t.NOT_STATED: 10},
        "Disability": {"Disabled": 15, "Not disabled": 42, t.NOT_STATED: 3},
        "District": {"Leeds": 30, "Bradford": 20, t.OUTSIDE_AREA: 5, t.NOT_STATED: 5},
    }),
    "E3": (40, {
        "Age band": {"Under 18": 25, "18-24": 10, "25-34": 5},
        "Ethnicity": {"White": 30, "Asian, Asian British or Asian Welsh": 10, t.NOT_STATED: 0},
        "District": {"Leeds": 40},
    }),
    "E4": (50, {
        "Ethnicity": {"White": 35, "Asian, Asian British or Asian Welsh": 15},
    }),
}


def build_inbox(tenant):
    inbox = tenant.inbox
    write_allocations(inbox, ("MOJ-VICTIMS-CORE", "100000.00", "MOJ-1"))
    charity = Provider("P1", "Test Charity", "Charity", "1000001", None, ("Leeds", "Bradford"), "Small")
    agreements = [
        agreement("E1", "Adult Victims Service", "victims_all_crime", ("Leeds",), "18 and over", charity),
        agreement("E2", "Community Safety Grant", "community_safety_grant", ("Leeds", "Bradford"), None, charity),
        agreement("E3", "Youth Violence Mentoring", "violence_reduction", ("Leeds",), "10 to 24", charity),
        agreement("E4", "Victim Care Hub", "victims_all_crime", ("Leeds", "Bradford"), "All ages", charity),
    ]
    write_register(agreements, inbox / "agreements" / "register.xlsx")
    write(inbox / "ledger" / "gl_2024-06.csv", LEDGER_HEADER + "\n"
          "L1,15/06/2024,2024-25 P03,CC-MOJ-VICTIMS-CORE,5400,Test Charity,E1,INV,5000.00,Q1\n")
    write_census(inbox)
    districts = tuple(d.name for d in tenant.districts)
    for ref, (people, groups) in RETURNS.items():
        values = {("Activity", ("Domestic abuse",), "Service users supported"): people,
                  ("Activity", ("Domestic abuse",), "New cases"): people}
        for characteristic, names in [*t.DEMOGRAPHICS.items(), ("District", (*districts, t.OUTSIDE_AREA,
                                                                              t.NOT_STATED))]:
            counts = groups.get(characteristic, {t.NOT_STATED: people})
            assert sum(counts.values()) == people, (ref, characteristic)
            for name in names:
                # Everyone is new in the first quarter: new service users = service users.
                for column in (t.SERVICE_USERS, t.NEW_SERVICE_USERS):
                    values[("Demographics", (characteristic, name), column)] = counts.get(name, 0)
        t.write_return(inbox / "provider_returns" / f"{ref}_2024-25-Q1.xlsx", t.ReturnContent(
            agreement_ref=ref, provider="Test Charity", service=next(a.service_name for a in agreements
                                                                      if a.ref == ref),
            quarter="2024-25-Q1", districts=districts, kpis=(("Service users completing support", "70"),),
            completed_by="Tester", date_completed="2024-07-10", values=values))


@pytest.fixture(scope="module")
def edi(module_tenants):
    return build_office(build_inbox)


def table(warehouse, ref, characteristic):
    """{group: (count published, share, population share, ratio, flag)} of one characteristic."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        got = con.execute("""select group_name, published_count, share_of_stated, population_share,
                                    representation_ratio, representation_flag
                             from marts.edi_representation
                             where agreement_ref = ? and characteristic = ? and financial_year = '2024-25'""",
                          [ref, characteristic]).fetchall()
    finally:
        con.close()
    return {g: rest for g, *rest in got if rest[0] != 0 or rest[4] not in ("Not assessed", "Outside the cohort")}


def one(warehouse, sql, params=()):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_adult_cohort_is_compared_with_adults(edi):
    # E1, 18 and over: the under-18s (5) are outside the cohort; Not stated 5; 90 people assessed.
    # Leeds adults 820: 18-24 120 (0.1463), 25-34 200 (0.2439), 35-44..75+ 100 each (0.1220).
    # Ratio = (count/90) / (pop/820) = count x 820 / (90 x pop); expected = 90 x pop / 820 (>= 5 each).
    # 18-24: 20 x 820 / 10800 = 1.5185 (1.519), over-represented; against all ages it would be
    # (20/95) / 0.12 = 1.754. 25-34: 25 x 820 / 18000 = 1.1389. 35-44: 16400 / 9000 = 1.8222.
    # 45-54: 9840 / 9000 = 1.0933. 55-64: 6560 / 9000 = 0.7289, under. 65-74: 4100 / 9000 = 0.4556.
    # 75 and over: 0 / 90 against 0.1220 (expected 10.98): ratio 0, under-represented.
    assert table(edi, "E1", "Age band") == {
        "Under 18": [5, None, None, None, "Outside the cohort"],
        "18-24": [20, D("0.2222"), D("0.1463"), D("1.519"), "Over-represented"],
        "25-34": [25, D("0.2778"), D("0.2439"), D("1.139"), "In line with population"],
        "35-44": [20, D("0.2222"), D("0.1220"), D("1.822"), "Over-represented"],
        "45-54": [12, D("0.1333"), D("0.1220"), D("1.093"), "In line with population"],
        "55-64": [8, D("0.0889"), D("0.1220"), D("0.729"), "Under-represented"],
        "65-74": [5, D("0.0556"), D("0.1220"), D("0.456"), "Under-represented"],
        "75 and over": [0, D("0.0000"), D("0.1220"), D("0.000"), "Under-represented"],
        "Not stated": [5, None, None, None, "Not assessed"],
    }
    # The census's ethnicity (TS021) is of all ages: no baseline for an adult service. Shares of the
    # 95 who stated: 80/95 = 0.8421, 15/95 = 0.1579, none of the other three groups.
    no_baseline = "No census baseline for this cohort"
    assert table(edi, "E1", "Ethnicity") == {
        "White": [80, D("0.8421"), None, None, no_baseline],
        "Asian, Asian British or Asian Welsh": [15, D("0.1579"), None, None, no_baseline],
        "Black, Black British, Black Welsh, Caribbean or African": [0, D("0.0000"), None, None, no_baseline],
        "Mixed or Multiple ethnic groups": [0, D("0.0000"), None, None, no_baseline],
        "Other ethnic group": [0, D("0.0000"), None, None, no_baseline],
        "Not stated": [5, None, None, None, "Not assessed"],
    }
    assert one(edi, """select distinct ages_served from marts.edi_representation where agreement_ref = 'E1'""") == [
        ("18 and over",)]


def test_district_share_is_of_users_in_the_districts_served(edi):
    # E1 serves Leeds only: 88 of the 88 users living in the served districts live in Leeds (1.0000,
    # against Leeds's whole population 1.0000): ratio 1.000. Outside the area and Not stated are shown,
    # not assessed (before: 88 / 95 = 0.926).
    assert table(edi, "E1", "District") == {
        "Leeds": [88, D("1.0000"), D("1.0000"), D("1.000"), "In line with population"],
        "Outside the area": [7, None, None, None, "Not assessed"],
        "Not stated": [5, None, None, None, "Not assessed"],
    }
    # E2 serves Leeds (1,000 people) and Bradford (500), all ages: 30 and 20 of the 50 living there.
    # Leeds 30/50 = 0.6 against 1000/1500 = 0.6667: 0.900; Bradford 0.4 against 0.3333: 1.200.
    assert table(edi, "E2", "District") == {
        "Leeds": [30, D("0.6000"), D("0.6667"), D("0.900"), "In line with population"],
        "Bradford": [20, D("0.4000"), D("0.3333"), D("1.200"), "In line with population"],
        "Outside the area": [5, None, None, None, "Not assessed"],
        "Not stated": [5, None, None, None, "Not assessed"],
    }


def test_baseline_weighted_by_where_users_live_and_two_fours_get_a_third_hidden_cell(edi):
    # E2 ethnicity: Asian 8, Black 4, Mixed 4, White 34, Other 0, Not stated 10 (60 people).
    # Black 4 and Mixed 4 are primary; the smallest count above 4 (Asian 8) is hidden too: before,
    # the two 4s alone were hidden and 60 - 8 - 34 - 0 - 10 = 8 gave both away.
    # Weights: 30 users in Leeds, 20 in Bradford (0.6, 0.4). White 0.6 x 0.80 + 0.4 x 0.54 = 0.696;
    # Other 0.6 x 0.01 + 0.4 x 0.01 = 0.010 (by population it would be 15/1500: the same; White by
    # population would be 1070/1500 = 0.7133). Asian 0.09 + 0.16 = 0.25, Black 0.015 + 0.008 = 0.023,
    # Mixed 0.009 + 0.012 = 0.021. People assessed 50 (Not stated visible, so shares are published).
    # White 34/50 = 0.68, ratio 0.68 / 0.696 = 0.977 (expected 50 x 0.696 = 34.8).
    # Other 0/50, expected 50 x 0.010 = 0.5 people: too few to assess (before: under-represented).
    assert table(edi, "E2", "Ethnicity") == {
        "Asian, Asian British or Asian Welsh": [None, None, D("0.2500"), None, "Suppressed"],
        "Black, Black British, Black Welsh, Caribbean or African": [None, None, D("0.0230"), None, "Suppressed"],
        "Mixed or Multiple ethnic groups": [None, None, D("0.0210"), None, "Suppressed"],
        "White": [34, D("0.6800"), D("0.6960"), D("0.977"), "In line with population"],
        "Other ethnic group": [0, D("0.0000"), D("0.0100"), D("0.000"), "Too few to assess"],
        "Not stated": [10, None, None, None, "Not assessed"],
    }
    assert one(edi, """select distinct baseline_weighting, ages_served from marts.edi_representation
                       where agreement_ref = 'E2' and characteristic = 'Ethnicity'
                         and baseline_weighting is not null""") == [
        ("Where service users live", "Not stated: compared with all ages")]
    assert one(edi, """select expected_users from marts.edi_representation
                       where agreement_ref = 'E2' and group_name = 'White'""") == [(D("34.8"),)]


def test_hidden_not_stated_withholds_the_shares(edi):
    # E2 disability: Disabled 15, Not disabled 42, Not stated 3. Not stated (3) is primary; Disabled
    # (15, the smallest above 4) is hidden with it. The share 42/57 = 0.7368 would give 57 people
    # stating, so Not stated = 60 - 57 = 3: every share and ratio of the table is withheld.
    # Population shares (weights 0.6, 0.4): disabled 0.6 x 0.2 + 0.4 x 0.3 = 0.24, not disabled 0.76.
    assert table(edi, "E2", "Disability") == {
        "Disabled": [None, None, D("0.2400"), None, "Suppressed"],
        "Not disabled": [42, None, D("0.7600"), None, "Shares withheld (disclosure control)"],
        "Not stated": [None, None, None, None, "Suppressed"],
    }


def test_youth_cohort_cuts_the_under_18_band(edi):
    # E3, 10 to 24, Leeds: under 18 means 10 to 17 (50 aged 10-14 + 30 aged 15-17 = 80), 18-24 is 120:
    # 0.4 and 0.6 of 200. Of the 35 in the cohort: under 18 25/35 = 0.7143, ratio 1.786 (expected 14);
    # 18-24 10/35 = 0.2857, ratio 0.476 (expected 21). 25-34 (5) is outside the cohort.
    assert table(edi, "E3", "Age band") == {
        "Under 18": [25, D("0.7143"), D("0.4000"), D("1.786"), "Over-represented"],
        "18-24": [10, D("0.2857"), D("0.6000"), D("0.476"), "Under-represented"],
        "25-34": [5, None, None, None, "Outside the cohort"],
    }
    # No sex in the census: no baseline, as before (E2: 30 and 30, shares 0.5).
    assert table(edi, "E2", "Sex") == {
        "Female": [30, D("0.5000"), None, None, "No census baseline"],
        "Male": [30, D("0.5000"), None, None, "No census baseline"],
    }
    assert table(edi, "E3", "Ethnicity")["White"] == [30, D("0.7500"), None, None,
                                                      "No census baseline for this cohort"]


def test_baseline_weighted_by_population_when_no_district_is_given(edi):
    # E4, all ages, Leeds (1,000) and Bradford (500); its return gives every district Not stated, so the
    # served districts are weighted by their population: Asian (150 + 200) / 1500 = 0.2333, Black
    # 35/1500 = 0.0233, Mixed 30/1500 = 0.0200, White 1070/1500 = 0.7133, Other 15/1500 = 0.0100.
    # Of 50 stating: White 35/50 = 0.70, ratio 0.70 / 0.71333 = 0.981 (expected 35.7); Asian 15/50 = 0.30,
    # ratio 0.30 / 0.23333 = 1.286, over-represented (expected 11.7); Black, Mixed, Other 0, expected
    # 50 x 0.0233 = 1.2, 1.0 and 0.5 people: too few to assess.
    assert table(edi, "E4", "Ethnicity") == {
        "Asian, Asian British or Asian Welsh": [15, D("0.3000"), D("0.2333"), D("1.286"), "Over-represented"],
        "Black, Black British, Black Welsh, Caribbean or African": [0, D("0.0000"), D("0.0233"), D("0.000"),
                                                                    "Too few to assess"],
        "Mixed or Multiple ethnic groups": [0, D("0.0000"), D("0.0200"), D("0.000"), "Too few to assess"],
        "White": [35, D("0.7000"), D("0.7133"), D("0.981"), "In line with population"],
        "Other ethnic group": [0, D("0.0000"), D("0.0100"), D("0.000"), "Too few to assess"],
    }
    assert one(edi, """select distinct baseline_weighting, ages_served from marts.edi_representation
                       where agreement_ref = 'E4' and characteristic = 'Ethnicity'
                         and baseline_weighting is not null""") == [
        ("Population of the districts served", "All ages")]


def test_no_published_table_can_be_solved(edi):
    rows = records(edi, "select * from marts.edi_representation")
    assert len({(r["agreement_ref"], r["characteristic"]) for r in rows}) == 28   # 4 agreements x 7
    assert check_edi_tables(rows) == []


def test_the_solver_finds_what_the_old_rule_gave_away():
    # The old rule on E2's ethnicity: only the two 4s hidden, total 60, visible 8 + 34 + 0 + 10 = 52.
    cells = [Cell("Asian", 8), Cell("Black", None, primary=True), Cell("Mixed", None, primary=True),
             Cell("White", 34), Cell("Other", 0), Cell("Not stated", 10, in_share_base=False)]
    assert exposed_cells(60, cells, shares_published=True, share_base=50) == ["Black = 4", "Mixed = 4"]
    # The old rule on Religion (651 people, 643 visible): two hidden cells that must both be 4.
    assert exposed_cells(651, [Cell("a", 643), Cell("b", None, True), Cell("c", None, True)], False) == [
        "b = 4", "c = 4"]
    # E2's disability with the shares left in: 42 / 0.7368 = 57 stating, so Not stated = 3.
    cells = [Cell("Disabled", None), Cell("Not disabled", 42), Cell("Not stated", None, True, in_share_base=False)]
    assert exposed_cells(60, cells, shares_published=True, share_base=57) == [
        "the base of the shares is published while a hidden cell lies outside it", "Disabled = 15",
        "Not stated = 3"]
    # With the third cell hidden, the 4s are 1 to 4 and Asian 8 to 14: safe.
    safe = [Cell("Asian", None), Cell("Black", None, primary=True), Cell("Mixed", None, primary=True),
            Cell("White", 34), Cell("Other", 0), Cell("Not stated", 10, in_share_base=False)]
    assert exposed_cells(60, safe, shares_published=True, share_base=50) == []


def test_ages_served_must_be_a_known_form(tmp_path):
    from dagster_project.extract.agreements import REGISTER_SHEETS, read_sheet_rows
    from dagster_project.extract.landing import BadInput
    from dagster_project.extract.workbooks import open_workbook

    provider = TEST_CHARITY
    spec = next(s for s in REGISTER_SHEETS if s.sheet == "Agreements")
    good = write_register([agreement("E1", "S", "victims_all_crime", ("Leeds",), "10 to 24", provider)],
                          tmp_path / "good.xlsx")
    rows, _ = read_sheet_rows(open_workbook(good, "good.xlsx"), spec, "good.xlsx")
    assert rows[0][spec.columns.index("ages_served")] == "10 to 24"
    bad = write_register([agreement("E1", "S", "victims_all_crime", ("Leeds",), "18+", provider)],
                         tmp_path / "bad.xlsx")
    with pytest.raises(BadInput) as error:
        read_sheet_rows(open_workbook(bad, "bad.xlsx"), spec, "bad.xlsx")
    assert str(error.value) == ("bad.xlsx: Agreements!S2: 'Ages served' is '18+'; expected All ages, Under 18, "
                                "18 and over, or 10 to 24 (whole years; the first age not above the second)")
    backwards = write_register([agreement("E1", "S", "victims_all_crime", ("Leeds",), "24 to 10", provider)],
                               tmp_path / "backwards.xlsx")
    with pytest.raises(BadInput, match="Agreements!S2: 'Ages served' is '24 to 10'"):
        read_sheet_rows(open_workbook(backwards, "backwards.xlsx"), spec, "backwards.xlsx")


def test_a_register_without_ages_served_still_loads(tmp_path):
    from openpyxl import load_workbook

    from dagster_project.extract.agreements import REGISTER_SHEETS, read_sheet_rows
    from dagster_project.extract.workbooks import open_workbook

    provider = TEST_CHARITY
    path = write_register([agreement("E1", "S", "victims_all_crime", ("Leeds",), "18 and over", provider)],
                          tmp_path / "old.xlsx")
    wb = load_workbook(path)
    wb["Agreements"].delete_cols(19, 2)    # the layout before "Ages served" (and "Award date", added after it)
    wb.save(path)
    spec = next(s for s in REGISTER_SHEETS if s.sheet == "Agreements")
    rows, _ = read_sheet_rows(open_workbook(path, "old.xlsx"), spec, "old.xlsx")
    assert rows[0][spec.columns.index("ages_served")] is None
    assert rows[0][spec.columns.index("award_date")] is None


def test_a_register_without_award_date_still_loads(tmp_path):
    from openpyxl import load_workbook

    from dagster_project.extract.agreements import REGISTER_SHEETS, read_sheet_rows
    from dagster_project.extract.workbooks import open_workbook

    path = write_register([agreement("E1", "S", "victims_all_crime", ("Leeds",), "18 and over", TEST_CHARITY)],
                          tmp_path / "before.xlsx")
    wb = load_workbook(path)
    wb["Agreements"].delete_cols(20)       # the layout with "Ages served" but before "Award date"
    wb.save(path)
    spec = next(s for s in REGISTER_SHEETS if s.sheet == "Agreements")
    rows, _ = read_sheet_rows(open_workbook(path, "before.xlsx"), spec, "before.xlsx")
    assert rows[0][spec.columns.index("ages_served")] == "18 and over"
    assert rows[0][spec.columns.index("award_date")] is None
