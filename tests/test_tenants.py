"""Tenant configuration: the three shipped tenants parse, and bad files fail clearly."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from dagster_project import settings
from dagster_project.cli import main
from dagster_project.tenants import ConfigError, available_tenants, load_tenant, parse_tenant


def test_three_tenants_are_configured():
    assert available_tenants() == ["avon_and_somerset", "south_yorkshire", "west_yorkshire"]


def test_west_yorkshire_plan_change_in_2024():
    wy = load_tenant("west_yorkshire")
    assert [len(p.priorities) for p in wy.plans] == [4, 3]
    assert wy.plan_on(dt.date(2024, 11, 30)).id == "WY-PCP-2021"
    assert wy.plan_on(dt.date(2024, 12, 1)).id == "WY-PCP-2024"
    assert "Safety of Women and Girls" in wy.plans[1].cross_cutting
    assert [d.code for d in wy.districts] == ["E08000032", "E08000033", "E08000034", "E08000035", "E08000036"]


def test_district_code_crosswalks():
    sy = load_tenant("south_yorkshire")
    barnsley = next(d for d in sy.districts if d.name == "Barnsley")
    assert barnsley.all_codes == ("E08000038", "E08000016")
    somerset = next(d for d in load_tenant("avon_and_somerset").districts if d.name == "Somerset")
    assert set(somerset.other_codes) == {"E07000187", "E07000188", "E07000189", "E07000246"}


def test_funding_stream_rules_are_typed():
    wy = load_tenant("west_yorkshire")
    vru = wy.stream("HO-VRU")
    assert vru.carry_forward is False and vru.ring_fence == ("violence_reduction",)
    moj = [a for a in wy.demo.allocations if a.stream_id == "MOJ-VICTIMS-CORE" and a.financial_year == "2018-19"]
    assert str(moj[0].amount) == "2672833.00"
    condition = next(c for c in vru.conditions if c.financial_year == "2024-25")
    assert condition.match_funding_pct == Decimal("30") and condition.evaluation_min_pct == Decimal("10")
    assert isinstance(wy.as_of, dt.date) and isinstance(wy.plans[0].valid_from, dt.date)
    assert wy.inbox == wy.folder / "inbox" and wy.demo.map_centre == (-1.65, 53.78)
    assert hash(wy) == hash(load_tenant("west_yorkshire"))       # frozen and hashable, as the dataclasses were


def _document() -> dict:
    return yaml.safe_load((settings.SOURCES_DIR / "west_yorkshire" / "tenant.yml").read_text())


def _error(document, path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        parse_tenant(document, path)
    return str(info.value)


@pytest.mark.parametrize("mutate, key, words", [
    (lambda d: d.pop("districts"), "districts", "missing"),
    (lambda d: d["plans"][1].update(valid_from="1st December 2024"), "plans[1].valid_from", "not a date"),
    (lambda d: d["districts"][0].update(code="Bradford"), "districts[0].code", "ONS code"),
    (lambda d: d["funding_streams"][0]["ring_fence"].append("policing"), "funding_streams[0].ring_fence[5]",
     "not a service category"),
    (lambda d: d["funding_streams"][2].update(carry_forward="no"), "funding_streams[2].carry_forward", "true or false"),
    (lambda d: d["plans"][1].update(valid_from="2024-06-01"), "plans", "overlaps"),
    (lambda d: d["funding_streams"][0].update(match_funding_pct=0.1), "funding_streams[0].match_funding_pct", "float"),
    (lambda d: d["funding_streams"][1].update(funder="Treasury"), "funding_streams[1].funder", "not one of"),
    (lambda d: d["demo"]["allocations"].update({"NOPE": {}}), "demo.allocations.NOPE", "not a funding stream"),
    (lambda d: d["publication"].update(prefix="wypcc"), "publication.prefix", "not a 360Giving prefix"),
    (lambda d: d["publication"].pop("org_identifier"), "publication.org_identifier", "missing"),
])
def test_bad_config_names_file_and_key(mutate, key, words):
    document = _document()
    mutate(document)
    path = settings.SOURCES_DIR / "west_yorkshire" / "tenant.yml"
    message = _error(document, path)
    assert str(path) in message and f": {key}: " in message and words in message


WEST_YORKSHIRE = settings.SOURCES_DIR / "west_yorkshire" / "tenant.yml"


@pytest.mark.parametrize("mutate, key, found, expected", [
    (lambda d: d["funding_streams"][4]["conditions"]["2024-25"].update(match_pct="30"),     # unknown key
     "funding_streams[4].conditions.2024-25.match_pct", "unknown key", "match_funding_pct, evaluation_min_pct, source"),
    (lambda d: d["demo"].update(financial_years="two"),                                      # wrong type
     "demo.financial_years", "found 'two'", "a whole number of at least 1"),
    (lambda d: d["police_force"].update(reported_by="West Yorkshire Police"),                # wrong type: a list
     "police_force.reported_by", "found 'West Yorkshire Police'", "a list"),
    (lambda d: d.update(as_of="15/05/2025"),                                                 # bad date
     "as_of", "'15/05/2025' is not a date", "a date like 2024-04-01"),
    (lambda d: d["plans"][0].pop("title"),                                                   # missing required key
     "plans[0].title", "missing", "text"),
    (lambda d: d.pop("police_force"),                                                        # missing section
     "police_force", "missing", "a mapping with keys name, slug, reported_by"),
    (lambda d: d["funding_streams"][5].update(match_funding_for="HO-VRUU"),                  # bad cross-reference
     "funding_streams[5].match_funding_for", "'HO-VRUU' is not a funding stream of this tenant", "one of: MOJ-"),
    (lambda d: d["funding_streams"][1].update(last_year="2021-22"),                          # bad range
     "funding_streams[1].last_year", "2021-22 is before first_year 2022-23", "first_year or later"),
])
def test_each_problem_is_one_line_naming_file_key_found_and_expected(mutate, key, found, expected):
    document = _document()
    mutate(document)
    (line,) = _error(document, WEST_YORKSHIRE).splitlines()
    assert line.startswith(f"{WEST_YORKSHIRE}: {key}: {found}; expected ") and expected in line


def test_every_problem_in_the_file_is_reported_at_once():
    document = _document()
    document["plans"][1]["valid_from"] = "soon"
    document["districts"][2].pop("name")
    document["funding_streams"][2]["carry_forward"] = "no"
    with pytest.raises(ConfigError) as info:
        parse_tenant(document, WEST_YORKSHIRE)
    assert [key for key, _ in info.value.problems] == [
        "districts[2].name", "plans[1].valid_from", "funding_streams[2].carry_forward"]
    assert all(line.startswith(f"{WEST_YORKSHIRE}: ") for line in str(info.value).splitlines())
    assert info.value.key == "districts[2].name" and info.value.path == str(WEST_YORKSHIRE)


def test_unknown_keys_are_ignored_outside_grant_conditions():
    document = _document()
    document["colour"] = "blue"
    document["funding_streams"][0]["notes"] = "kept elsewhere"
    document["demo"]["allocations"]["CSF"]["2023-24"]["approved_by"] = "panel"
    assert parse_tenant(document, WEST_YORKSHIRE).stream("CSF").name.startswith("Community Safety Fund")


def test_a_key_set_to_nothing_counts_as_absent():
    document = _document()
    document["funding_streams"][0]["ring_fence"] = None
    document["as_of"] = None
    tenant = parse_tenant(document, WEST_YORKSHIRE)
    assert tenant.funding_streams[0].ring_fence == () and tenant.as_of is None
    document["name"] = None
    assert _error(document, WEST_YORKSHIRE) == f"{WEST_YORKSHIRE}: name: missing; expected text"


def test_unknown_tenant_lists_known_ones():
    with pytest.raises(ConfigError, match="unknown tenant 'greater_nowhere'.*west_yorkshire"):
        load_tenant("greater_nowhere")


def test_invalid_yaml_names_the_line(isolated):
    bad = settings.SOURCES_DIR / "broken" / "tenant.yml"
    bad.parent.mkdir()
    bad.write_text("tenant: broken\nname: [unclosed\n")
    with pytest.raises(ConfigError, match=r"tenant.yml: line \d+: not valid YAML"):
        load_tenant("broken")


def test_cli_exits_2_on_unknown_tenant(capsys):
    assert main(["run", "--tenant", "greater_nowhere"]) == 2
    assert "unknown tenant" in capsys.readouterr().err
