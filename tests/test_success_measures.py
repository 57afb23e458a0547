"""The VRU success measures: three publications landed in their layouts, the tenant's force picked out,
and the figures of the VRU return's Success measures section, against figures worked out by hand.

The files are written here, small enough to add up on paper:

hospital admissions (HES X99), West Yorkshire:
  2023-24 Q3: Leeds Under 18 2, Leeds 25 and over 5, Bradford 18-24 3     -> 10, under 25: 5
  2024-25 Q3: Leeds Under 18 1, Leeds 18-24 4, Bradford 25 and over 6,
              Bradford Unknown 1                                          -> 12, under 25: 5
  2024-25 Q2: Leeds 25 and over 7 (nothing for 2023-24 Q2)                -> 7, under 25: 0
  Merseyside 2024-25 Q3: Liverpool 18-24 50                               -> not West Yorkshire's
knife or sharp instrument offences, West Yorkshire:
  2023/24 Q3: 100 + 120 = 220;  2024/25 Q3: 110 + 95 = 205;  Merseyside 300 left out
homicides, West Yorkshire:
  2023/24 Q3: domestic 35-44 1, non-domestic 16-24 2, non-domestic 45-54 0  -> 3 (under 25: 2);
              non-domestic 2 (under 25: 2)
  2024/25 Q3: domestic under 16 1, non-domestic 16-24 3, non-domestic 25-34 2 -> 6 (under 25: 4);
              non-domestic 5 (under 25: 3)
  a file of Merseyside rows only (2024/25 Q2, 4 victims) adds nothing: West Yorkshire's 2024-25 Q2
  homicides stay not available.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.extract.families import BY_NAME
from dagster_project.extract.ingest import ingest_family
from dagster_project.load_ids import new_load_id
from dagster_project.pipeline import run_refresh
from dagster_project.tenants import load_tenant
from tests.small_office import build_office
from tests.test_landing import query
from tests.test_marts_fixture import build_inbox

HES_HEADER = ("Financial Year,Quarter,Police Force Area,Community Safety Partnership,Cause Code,Age Group,"
              "Finished Admission Episodes")
KNIFE_HEADER = ("Financial Year,Financial Quarter,Force Name,Offence Description,Offence Group,Offence Subgroup,"
                "Offence Code,Number of Offences")
HOMICIDE_HEADER = ("Financial Year,Financial Quarter,Police Force Area,Domestic Homicide,Victim Age Group,"
                   "Number of Homicides")

HES = [
    "2023-24,Q3,West Yorkshire,Leeds,X99,Under 18,2",
    "2023-24,Q3,West Yorkshire,Leeds,X99,25 and over,5",
    "2023-24,Q3,West Yorkshire,Bradford,X99,18-24,3",
    "2024-25,Q3,West Yorkshire,Leeds,X99,Under 18,1",
    "2024-25,Q3,West Yorkshire,Leeds,X99,18-24,4",
    "2024-25,Q3,West Yorkshire,Bradford,X99,25 and over,6",
    "2024-25,Q3,West Yorkshire,Bradford,X99,Unknown,1",
    "2024-25,Q3,Merseyside,Liverpool,X99,18-24,50",
    "2024-25,Q2,West Yorkshire,Leeds,X99,25 and over,7",
]
KNIFE = [
    "2023/24,3,West Yorkshire,Assault with injury,Violence against the person,Violence with injury,,100",
    "2023/24,3,West Yorkshire,Robbery of personal property,Robbery,Robbery,,120",
    "2024/25,3,West Yorkshire,Assault with injury,Violence against the person,Violence with injury,,110",
    "2024/25,3,West Yorkshire,Robbery of personal property,Robbery,Robbery,,95",
    "2024/25,3,Merseyside,Assault with injury,Violence against the person,Violence with injury,,300",
]
HOMICIDES = [
    "2023/24,3,West Yorkshire,Domestic,35 to 44,1",
    "2023/24,3,West Yorkshire,Non-domestic,16 to 24,2",
    "2023/24,3,West Yorkshire,Non-domestic,45 to 54,0",
    "2024/25,3,West Yorkshire,Domestic,Under 16,1",
    "2024/25,3,West Yorkshire,Non-domestic,16 to 24,3",
    "2024/25,3,West Yorkshire,Non-domestic,25 to 34,2",
]
MERSEYSIDE_ONLY = ["2024/25,2,Merseyside,Non-domestic,16 to 24,4"]


def write(path: Path, header: str, lines: list[str]) -> bytes:
    data = ("\r\n".join([header, *lines]) + "\r\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def write_success_measures(inbox: Path) -> dict[str, bytes]:
    base = inbox / "success_measures"
    return {
        "hes": write(base / "hospital_admissions" / "hes_x99.csv", HES_HEADER, HES),
        "knife": write(base / "knife_crime" / "knife_offences.csv", KNIFE_HEADER, KNIFE),
        "homicides": write(base / "homicides" / "homicide_index.csv", HOMICIDE_HEADER, HOMICIDES),
        "merseyside": write(base / "homicides" / "homicide_index_merseyside.csv", HOMICIDE_HEADER, MERSEYSIDE_ONLY),
    }


# --- landing: each layout lands with file, sha256 and line; a bad line refuses the whole file -------------

@pytest.mark.parametrize("family, table, name, count_column, expected", [
    ("hospital_admissions", "hes_sharp_object_admissions", "success_measures/hospital_admissions/hes_x99.csv",
     "finished_admission_episodes", [("line 2", "2"), ("line 9", "50"), ("line 10", "7")]),
    ("knife_crime", "knife_sharp_instrument_offences", "success_measures/knife_crime/knife_offences.csv",
     "number_of_offences", [("line 2", "100"), ("line 6", "300")]),
    ("homicides", "homicide_index_counts", "success_measures/homicides/homicide_index.csv",
     "number_of_homicides", [("line 2", "1"), ("line 7", "2")]),
])
def test_each_layout_lands_with_file_and_line(tenant, family, table, name, count_column, expected):
    files = write_success_measures(tenant.inbox)
    data = files[{"hospital_admissions": "hes", "knife_crime": "knife", "homicides": "homicides"}[family]]
    report = ingest_family(tenant, BY_NAME[family], new_load_id())
    rows_in_file = {"hospital_admissions": 9, "knife_crime": 5, "homicides": 6}[family]
    assert (name, rows_in_file) in report.landed and report.quarantined == []
    got = query(tenant, f"""select _source_locator, {count_column}, _source_sha256 from raw.{table}
                            where _source_file = ? order by cast(substr(_source_locator, 6) as int)""", [name])
    assert len(got) == rows_in_file   # every force's rows are kept in raw
    assert {sha for _, _, sha in got} == {hashlib.sha256(data).hexdigest()}
    by_line = {loc: value for loc, value, _ in got}
    for locator, value in expected:
        assert by_line[locator] == value


def test_a_bad_line_refuses_the_file_naming_file_line_and_what_was_expected(tenant):
    lines = list(HES)
    lines[3] = "2024-25,Q3,West Yorkshire,Leeds,X99,Under 18,*"        # line 5: a suppressed count
    write(tenant.inbox / "success_measures" / "hospital_admissions" / "hes_suppressed.csv", HES_HEADER, lines)
    report = ingest_family(tenant, BY_NAME["hospital_admissions"], new_load_id())
    assert report.landed == []
    [(_, reason)] = report.quarantined
    assert reason.startswith("success_measures/hospital_admissions/hes_suppressed.csv: ")
    assert "line 5, column 'Finished Admission Episodes': '*' is not a whole number" in reason
    # nothing of the file half-landed
    assert query(tenant, "select count(*) from raw.hes_sharp_object_admissions") == [(0,)]


@pytest.mark.parametrize("family, header, line, words", [
    ("knife_crime", KNIFE_HEADER, "2024-25,3,West Yorkshire,Robbery of personal property,Robbery,Robbery,,95",
     "line 3, column 'Financial Year': '2024-25' is not a financial year as YYYY/YY"),
    ("homicides", HOMICIDE_HEADER, "2024/25,3,West Yorkshire,Non-domestic,18-24,3",
     "line 3, column 'Victim Age Group': '18-24' is not a victim age group: one of Under 16, 16 to 24"),
])
def test_bad_lines_in_the_home_office_layouts(tenant, family, header, line, words):
    first = {"knife_crime": KNIFE, "homicides": HOMICIDES}[family][0]
    write(tenant.inbox / "success_measures" / family / "bad.csv", header, [first, line])
    report = ingest_family(tenant, BY_NAME[family], new_load_id())
    assert report.landed == []
    [(_, reason)] = report.quarantined
    assert reason.startswith(f"success_measures/{family}/bad.csv: ") and words in reason


def test_a_file_in_another_layout_is_refused_at_its_header(tenant):
    write(tenant.inbox / "success_measures" / "knife_crime" / "wrong.csv", HOMICIDE_HEADER, HOMICIDES)
    report = ingest_family(tenant, BY_NAME["knife_crime"], new_load_id())
    [(_, reason)] = report.quarantined
    assert "wrong.csv: line 1: header does not match" in reason and "Expected exactly: " + KNIFE_HEADER in reason


# --- the warehouse: a hand-built office with the ledger of tests/test_marts_fixture ----------------------

@pytest.fixture(scope="module")
def office(module_tenants):
    return build_office(build_inbox, lambda tenant: write_success_measures(tenant.inbox))


def rows(warehouse, sql):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


MEASURES = ("sharp_object_admissions", "knife_enabled_serious_violence", "homicides", "non_domestic_homicides")


def section(warehouse, period):
    got = rows(warehouse, f"""select measure_id, value_in_period, value_same_quarter_last_year,
                                     value_under_25_in_period, value_under_25_same_quarter_last_year
                              from returns.rpt_ho_vru__success_measures where period = '{period}'
                              order by measure_order""")
    return {m: tuple(v) for m, *v in got}


def test_success_measures_for_a_quarter_and_the_same_quarter_last_year(office):
    assert section(office, "2024-25-Q3") == {
        "sharp_object_admissions": (12, 10, 5, 5),
        "knife_enabled_serious_violence": (205, 220, None, None),   # no age in the publication
        "homicides": (6, 3, 4, 2),
        "non_domestic_homicides": (5, 2, 3, 2),
    }


def test_not_available_when_last_year_is_missing_and_another_forces_file_adds_nothing(office):
    assert section(office, "2024-25-Q2") == {
        "sharp_object_admissions": (7, None, 0, None),
        "knife_enabled_serious_violence": (None, None, None, None),
        "homicides": (None, None, None, None),       # Merseyside's 4 victims are not West Yorkshire's
        "non_domestic_homicides": (None, None, None, None),
    }
    # The Merseyside file landed whole, yet contributes to no figure.
    assert rows(office, """select count(*) from raw.homicide_index_counts
                           where _source_file like '%merseyside.csv'""") == [(1,)]
    assert rows(office, """select count(*) from returns.rpt_ho_vru__contributions
                           where source_file like '%merseyside.csv' or detail like '%Merseyside%'""") == [(0,)]


def test_each_figure_is_its_contributions_with_file_and_line(office):
    got = rows(office, """select field, source_kind, amount, source_file, source_locator
                          from returns.rpt_ho_vru__contributions
                          where section = 'success_measures' and period = '2024-25-Q3'
                            and row_key = 'non_domestic_homicides' order by field, source_locator""")
    f = "success_measures/homicides/homicide_index.csv"
    assert [(field, kind, int(amount), file, loc) for field, kind, amount, file, loc in got] == [
        ("value_in_period", "homicide index row", 3, f, "line 6"),
        ("value_in_period", "homicide index row", 2, f, "line 7"),
        ("value_same_quarter_last_year", "homicide index row", 2, f, "line 3"),
        ("value_same_quarter_last_year", "homicide index row", 0, f, "line 4"),
        ("value_under_25_in_period", "homicide index row", 3, f, "line 6"),
        ("value_under_25_same_quarter_last_year", "homicide index row", 2, f, "line 3"),
    ]
    checks = rows(office, """select status from returns.rpt_check_results
                             where name like 'figures_add_up_rpt_ho_vru__success_measures%'""")
    assert checks and {s for (s,) in checks} == {"pass"}


def test_the_mart_gives_the_same_figures(office):
    got = rows(office, """select financial_quarter, measure_id, value, value_under_25, value_same_quarter_last_year,
                                 value_under_25_same_quarter_last_year
                          from marts.vru_success_measures where financial_quarter in ('2024-25-Q2', '2024-25-Q3')
                          order by financial_quarter, measure_order""")
    assert got == [
        ("2024-25-Q2", "sharp_object_admissions", 7, 0, None, None),
        ("2024-25-Q2", "knife_enabled_serious_violence", None, None, None, None),
        ("2024-25-Q2", "homicides", None, None, None, None),
        ("2024-25-Q2", "non_domestic_homicides", None, None, None, None),
        ("2024-25-Q3", "sharp_object_admissions", 12, 5, 10, 5),
        ("2024-25-Q3", "knife_enabled_serious_violence", 205, None, 220, None),
        ("2024-25-Q3", "homicides", 6, 4, 3, 2),
        ("2024-25-Q3", "non_domestic_homicides", 5, 3, 2, 2),
    ]


def test_change_on_last_year_is_a_formula_and_not_available_without_last_year(office):
    from dagster_project.packs.render import render_pack
    tenant = load_tenant("west_yorkshire")

    def figures(period):
        manifest = json.loads((render_pack(tenant, "ho-vru", period) / "manifest.json").read_text())
        return {f["id"]: f for f in manifest["figures"] if f["id"].startswith("success_measures:")}

    q3, q2 = figures("2024-25-Q3"), figures("2024-25-Q2")
    # 12 - 10, 205 - 220, 6 - 3, 5 - 2; under 25: 5 - 5, (no age), 4 - 2, 3 - 2
    for measure, change, change_25 in (("sharp_object_admissions", "2", "0"),
                                       ("knife_enabled_serious_violence", "-15", None),
                                       ("homicides", "3", "2"), ("non_domestic_homicides", "3", "1")):
        assert q3[f"success_measures:{measure}:change_on_last_year"]["value"] == change
        assert q3[f"success_measures:{measure}:change_under_25_on_last_year"]["value"] == change_25
    assert q3["success_measures:knife_enabled_serious_violence:value_under_25_in_period"]["not_available"] == (
        "the publication gives no age for this measure, or nothing for the quarter has landed")
    # 2024-25 Q2 has 7 admissions but no 2023-24 Q2 behind it: last year and the change are not available, never 0
    assert q2["success_measures:sharp_object_admissions:value_in_period"]["value"] == "7"
    for field in ("value_same_quarter_last_year", "change_on_last_year"):
        figure = q2[f"success_measures:sharp_object_admissions:{field}"]
        assert figure["value"] is None and figure["not_available"]
    assert "a year earlier" in q2["success_measures:sharp_object_admissions:change_on_last_year"]["not_available"]


def test_a_revised_publication_replaces_the_quarter_it_gives_again(office):
    """Runs last: lands a later HES file that gives 2024-25 Q3 again (revised: Leeds under 18 2, Bradford
    25 and over 8 -> 10, under 25: 2). Its rows replace the first file's for that quarter only; 2023-24 Q3
    (10, under 25: 5) still comes from the first file."""
    tenant = load_tenant("west_yorkshire")
    write(tenant.inbox / "success_measures" / "hospital_admissions" / "hes_x99_revised.csv", HES_HEADER,
          ["2024-25,Q3,West Yorkshire,Leeds,X99,Under 18,2", "2024-25,Q3,West Yorkshire,Bradford,X99,25 and over,8"])
    assert run_refresh("west_yorkshire", new_load_id(), log_level="WARNING", packs=False).success
    assert section(office, "2024-25-Q3")["sharp_object_admissions"] == (10, 10, 2, 5)
    assert rows(office, """select distinct source_file from returns.rpt_ho_vru__contributions
                           where section = 'success_measures' and period = '2024-25-Q3'
                             and row_key = 'sharp_object_admissions' and field = 'value_in_period'""") == [
        ("success_measures/hospital_admissions/hes_x99_revised.csv",)]
