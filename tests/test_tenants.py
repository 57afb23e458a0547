"""Tenant configuration: the three shipped tenants parse, and bad files fail clearly."""
from __future__ import annotations

import datetime as dt
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
])
def test_bad_config_names_file_and_key(mutate, key, words):
    document = _document()
    mutate(document)
    path = settings.SOURCES_DIR / "west_yorkshire" / "tenant.yml"
    message = _error(document, path)
    assert str(path) in message and f": {key}: " in message and words in message


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
