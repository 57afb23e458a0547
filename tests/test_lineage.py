"""Audit trail: every figure of every pack is the exact sum of its sources, or its formula over
parts traced in turn; a ledger line is traced forward. (A past pack re-rendered after later data:
test_refresh.)"""
from __future__ import annotations

import json
from decimal import Decimal

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.lineage.audit_page import write_audit_page
from dagster_project.lineage.trace import load_manifest, trace_figure
from dagster_project.packs.render import render_pack
from dagster_project.settings import TenantPaths
from tests.figure_walk import walk_rendered_packs

PACKS = (("moj-victims", "2024-25-H1"), ("ho-vru", "2024-25-Q3"), ("ho-immediate-justice", "2024-25-Q2"))


@pytest.fixture(scope="module")
def wy(module_demo_copy):
    """A copy of the demo West Yorkshire office for this module, with three packs rendered again."""
    tenant = module_demo_copy("west_yorkshire")
    folders = {pack: render_pack(tenant, pack, period) for pack, period in PACKS}
    return {"tenant": tenant, "folders": folders}


def warehouse():
    return duckdb.connect(str(TenantPaths.for_tenant("west_yorkshire").warehouse), read_only=True)


def test_every_figure_is_the_exact_sum_or_formula_of_its_sources(wy):
    packs = wy["folders"]["moj-victims"].parent.parent
    assert {p.name for p in packs.iterdir() if p.is_dir()} >= {pack for pack, _ in PACKS}
    kinds = walk_rendered_packs(packs, TenantPaths.for_tenant("west_yorkshire").warehouse)
    assert kinds["additive"] >= 50 and kinds["derived"] >= 10 and kinds["total"] >= 2, kinds


def test_a_forecast_is_traced_through_its_formula_to_ledger_lines_and_agreements(wy, capsys):
    folder = wy["folders"]["moj-victims"]
    assert main(["trace", str(folder), "grant_lines:MOJ-VICTIMS-CORE:forecast_underspend", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["kind"] == "derived" and result["formula"] == "max(allocation - forecast_full_year, 0)"
    parts = {p["field"]: p for p in result["parts"]}
    allocation, forecast = parts["allocation"], parts["forecast_full_year"]
    assert {c["kind"] for c in allocation["contributions"]} == {"funding allocation letter"}
    assert forecast["kind"] == "derived"
    parts = {p["field"]: p for p in forecast["parts"]}
    # The forecast is spend so far plus what is forecast for the rest of the year: each agreement's
    # forecast (its register row) and the run rate of spend outside agreements (its ledger lines).
    spent, remaining = parts["spend_year_to_date"], parts["forecast_remaining"]
    assert {c["kind"] for c in spent["contributions"]} <= {"ledger line part"}
    assert remaining["kind"] == "additive"
    assert "agreement forecast" in {c["kind"] for c in remaining["contributions"]}
    assert {c["kind"] for c in remaining["contributions"]} <= {"agreement forecast",
                                                              "run rate of spend outside agreements"}
    assert main(["trace", str(folder), "grant_lines:MOJ-VICTIMS-CORE:forecast_underspend"]) == 0
    text = capsys.readouterr().out
    assert "= max(allocation - forecast_full_year, 0)" in text and "(matches the figure)" in text


def test_same_quarter_last_year_is_a_count_of_police_records(wy, capsys):
    folder = wy["folders"]["ho-vru"]
    figure = next(f for f in load_manifest(folder)["figures"]
                  if f["id"].endswith(":crimes_same_quarter_last_year") and ":total:" not in f["id"])
    assert main(["trace", str(folder), figure["id"], "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    # The demo's police data starts in April 2023, so 2023-24 Q3 is covered: a count, not "not available".
    assert figure["value"] is not None
    assert {c["kind"] for c in result["contributions"]} == {"police record"}
    assert len(result["contributions"]) == int(figure["value"])
    assert all(c["crime_month"].startswith("2023-") for c in result["contributions"])


def test_money_figures_trace_to_ledger_lines_and_landed_files(wy, capsys):
    folder = wy["folders"]["moj-victims"]
    assert main(["trace", str(folder), "grant_lines:MOJ-VICTIMS-CORE:spend_in_period", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["reconciles"] and result["kind"] == "additive"
    assert {c["kind"] for c in result["contributions"]} == {"ledger line part"}
    assert all(f["landed"].startswith("landing/ledger/") for f in result["files"])
    assert any(c["plan_title"].startswith("Police and Crime Plan") for c in result["context"])
    # by sheet!cell too, in text
    sheet_cell = next(f for f in load_manifest(folder)["figures"]
                      if f["id"] == "grant_lines:MOJ-VICTIMS-CORE:spend_in_period")
    assert main(["trace", str(folder), f"{sheet_cell['sheet']}!{sheet_cell['cell']}"]) == 0
    assert "(matches the figure)" in capsys.readouterr().out


def test_return_figures_trace_to_cells(wy, capsys):
    folder = wy["folders"]["moj-victims"]
    figure = next(f for f in load_manifest(folder)["figures"] if f["id"].startswith("activity:")
                  and f["id"].endswith(":victims_supported") and Decimal(f["value"]) > 0)
    assert main(["trace", str(folder), figure["id"], "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    # Each person once in the half-year: the first quarter's Service users supported (column F), then
    # the next quarter's New cases (column D).
    quarters = sorted({c["file"].split("/")[1] for c in result["contributions"]})
    assert result["contributions"]
    for c in result["contributions"]:
        first = c["file"].split("/")[1] == quarters[0]
        assert c["locator"].startswith("Activity!F" if first else "Activity!D"), c


def test_a_transaction_traced_forward_to_pack_figures(wy, capsys):
    manifest = load_manifest(wy["folders"]["moj-victims"])
    con = warehouse()
    try:
        trace = trace_figure(con, manifest, next(f for f in manifest["figures"]
                                                 if f["id"] == "grant_lines:MOJ-VICTIMS-CORE:spend_in_period"))
    finally:
        con.close()
    transaction = trace.contributions[0]["transaction_id"]
    parts = [c for c in trace.contributions if c["transaction_id"] == transaction]
    assert main(["trace", "--transaction", transaction, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    figures = {(f["pack"], f["figure"]) for f in result["feeds"]}
    # every part of the line that adds to the figure (a line split across priorities has several)
    part = next(f["part"] for f in result["feeds"] if f["figure"] == "grant_lines:MOJ-VICTIMS-CORE:spend_in_period")
    assert Decimal(part) == sum(Decimal(c["amount"]) for c in parts)
    assert ("moj-victims", "grant_lines:MOJ-VICTIMS-CORE:spend_in_period") in figures
    assert ("moj-victims", "grant_lines:total:spend_in_period") in figures
    # and the derived figures whose formulas read what it adds to
    through = {f["figure"]: f["through"] for f in result["feeds"] if f["through"]}
    assert "spend_year_to_date" in through["grant_lines:MOJ-VICTIMS-CORE:forecast_full_year"]


def test_audit_page_lists_every_figure(wy):
    folder = wy["folders"]["ho-immediate-justice"]
    page = write_audit_page(folder, TenantPaths.for_tenant("west_yorkshire").warehouse).read_text()
    manifest = load_manifest(folder)
    assert '<html lang="en">' in page and "<details>" in page
    for figure in manifest["figures"]:
        if not figure["id"].startswith("reconciliation:"):
            assert figure["id"] in page
    assert "allocation - spend_year_to_date" in page          # a derived figure opens to its formula
    assert "Figures not traced" not in page
    for item in manifest["inputs"][:3]:
        assert item["sha256"] in page
