"""Provider quarterly returns: every rule, with a hand-made failing workbook, names the exact cell."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from dagster_project.cli import main
from dagster_project.demo.commissioning import Agreement, Provider
from dagster_project.demo.returns import fill
from dagster_project.periods import Quarter
from dagster_project.returns import template as t
from dagster_project.returns.feedback import write_feedback
from dagster_project.returns.validation import validate

REGISTER = {"A1": (dt.date(2024, 4, 1), dt.date(2026, 3, 31))}
TODAY = dt.date(2026, 1, 1)


@pytest.fixture
def good(tmp_path, tenant):
    provider = Provider("P1", "Test Charity", "Charity", "1000001", None, ("Leeds",), "Small")
    agreement = Agreement("A1", provider, "Outreach", "domestic_abuse", "All", ("Leeds",), "Contract", "Lead",
                          "Open tender", dt.date(2024, 4, 1), dt.date(2026, 3, 31), Decimal("80000"), "DR-1", True,
                          True, "Yes", 7, [("MOJ-DASV", Decimal(1))], [],
                          [("Referrals contacted within 2 working days", "90", "%")])
    content = fill(tenant, agreement, Quarter.parse("2024-25-Q2"), random.Random(3))
    content.underspend_explanation = "Staff vacancy"
    path = tmp_path / "A1_2024-25-Q2.xlsx"
    t.write_return(path, content)
    return path


def edit(path, changes: dict[str, object]):
    wb = load_workbook(path)
    for ref, value in changes.items():
        sheet, cell = ref.split("!")
        wb[sheet][cell] = value
    wb.save(path)
    return path


def check(path, register=REGISTER):
    [verdict] = validate([(path, path.name)], register, TODAY)
    return verdict


def places(verdict, severity=None):
    return [p.place for p in verdict.problems if severity is None or p.severity == severity]


def test_a_good_return_is_accepted(good):
    verdict = check(good)
    assert verdict.status == "accepted", [p.sentence() for p in verdict.problems]
    assert verdict.agreement_ref == "A1" and verdict.quarter == "2024-25-Q2"


def test_improved_more_than_assessed(good):
    assessed = load_workbook(good)["Outcomes"]["B5"].value
    verdict = check(edit(good, {"Outcomes!C5": assessed + 3}))
    assert verdict.status == "rejected" and places(verdict) == ["Outcomes!C5"]
    assert "improved cannot be more than" in verdict.errors[0].rule


def test_demographic_characteristic_not_adding_up(good):
    wb = load_workbook(good)
    sex_female = wb["Demographics"]["C13"].value
    verdict = check(edit(good, {"Demographics!C13": sex_female + 5}))
    assert places(verdict, "error") == ["Demographics!C13:C15"]
    assert "Sex adds up to" in str(verdict.errors[0].value)


@pytest.mark.parametrize("value", [-1, "ten", 2.5, "12 approx"])
def test_counts_must_be_whole_numbers(good, value):
    changes = {"Activity!D6": value}
    verdict = check(edit(good, changes))
    assert "Activity!D6" in places(verdict, "error")
    assert any("whole numbers" in p.rule for p in verdict.errors)


def test_money_must_be_pounds_and_pence(good):
    verdict = check(edit(good, {"Finance!B5": "£1,200"}))
    assert "Finance!B5" in places(verdict, "error")


def test_spend_categories_must_add_up_to_the_total(good):
    total = load_workbook(good)["Finance"]["C11"].value
    verdict = check(edit(good, {"Finance!C11": round(total + 100, 2)}))
    assert places(verdict, "error") == ["Finance!C11"]
    assert "add up to the Total row" in verdict.errors[0].rule


def test_spend_over_110_percent_of_budget_warns(good):
    ws = load_workbook(good)["Finance"]
    budget, spend, total = ws["B4"].value, ws["C4"].value, ws["C11"].value
    high = round(budget / 4 * 1.5, 2)
    verdict = check(edit(good, {"Finance!C4": high, "Finance!C11": round(total - spend + high, 2)}))
    assert verdict.status == "accepted_with_warnings"
    assert "Finance!C4" in places(verdict, "warning")


def test_unexplained_underspend_warns(good):
    ws = load_workbook(good)["Finance"]
    budget = ws["B11"].value
    forecasts = {f"Finance!D{r}": round(ws[f"B{r}"].value * 0.7, 2) for r in range(4, 11)}
    total = round(sum(Decimal(str(v)) for v in forecasts.values()), 2)
    verdict = check(edit(good, {**forecasts, "Finance!D11": float(total), "Finance!B13": None}))
    assert budget > 0 and verdict.status == "accepted_with_warnings"
    assert places(verdict, "warning") == ["Finance!B13"]
    assert "underspend" in verdict.warnings[0].rule


def test_kpi_actual_without_target_warns(good):
    verdict = check(edit(good, {"KPIs!B4": None}))
    assert places(verdict, "warning") == ["KPIs!B4"]


def test_last_years_template_is_rejected(good):
    verdict = check(edit(good, {"Cover!B3": "PQR-2023.1"}))
    assert places(verdict, "error") == ["Cover!B3"] and "not the current template" in verdict.errors[0].rule


def test_renamed_sheet(good):
    wb = load_workbook(good)
    wb["Outcomes"].title = "Outcomes Q2"
    wb.save(good)
    verdict = check(good)
    assert verdict.status == "rejected" and "missing sheet(s): Outcomes" in verdict.errors[0].rule


def test_renamed_row_label(good):
    verdict = check(edit(good, {"Activity!A5": "Sexual offences"}))
    assert any("'Sexual violence' is missing or was renamed" in p.rule for p in verdict.errors)


def test_unknown_agreement_inactive_quarter_and_quarter_not_over(good):
    assert places(check(good, register={"B9": REGISTER["A1"]}), "error") == ["Cover!B4"]
    late = {"A1": (dt.date(2025, 4, 1), dt.date(2026, 3, 31))}
    assert places(check(good, register=late), "error") == ["Cover!B7"]
    [early] = validate([(good, good.name)], REGISTER, dt.date(2024, 8, 1))
    assert "has not ended yet" in early.errors[0].rule and early.errors[0].place == "Cover!B7"


def test_merged_cells(good):
    wb = load_workbook(good)
    wb["Activity"].merge_cells("B4:C4")
    wb.save(good)
    assert "Activity!B4:C4" in places(check(good), "error")


def test_formula_without_a_calculated_value(good):
    verdict = check(edit(good, {"Activity!F4": "=SUM(F5:F6)"}))
    assert "Activity!F4" in places(verdict, "error")
    assert any("formula but no calculated value" in p.rule for p in verdict.errors)


def test_text_that_looks_like_a_formula_is_kept_as_text(good):
    wb = load_workbook(good)
    wb["Finance"]["B13"].value = "=HYPERLINK(\"http://x\")"
    wb["Finance"]["B13"].data_type = "s"
    wb.save(good)
    verdict = check(good)
    assert ("Finance!B13" in places(verdict, "warning")) or ("Finance!B13" in places(verdict, "error"))


def test_huge_sheet_is_refused(good):
    wb = load_workbook(good)
    for row in range(20, 2100):
        wb["KPIs"].cell(row=row, column=1, value=f"extra {row}")
    wb.save(good)
    verdict = check(good)
    assert verdict.rejected and "more than 2,000 rows" in verdict.problems[0].rule


@pytest.mark.parametrize("content, status", [
    (b"", "not_a_return"),
    (b"just text", "not_a_return"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "not_a_return"),
])
def test_files_that_are_not_returns(tmp_path, content, status):
    path = tmp_path / "return.xlsx"
    path.write_bytes(content)
    assert check(path).status == status


def test_another_workbook_is_not_a_return(tmp_path):
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.title = "Budget"
    path = tmp_path / "budget.xlsx"
    wb.save(path)
    assert check(path).status == "not_a_return"


def test_feedback_names_cells_and_marks_the_workbook(good, tmp_path):
    assessed = load_workbook(good)["Outcomes"]["B5"].value
    verdict = check(edit(good, {"Outcomes!C5": assessed + 3, "KPIs!B4": None}))
    written = write_feedback(verdict, good, tmp_path / "fb", "A1")
    text = written[0].read_text()
    assert "NOT ACCEPTED" in text and "Outcomes!C5" in text and "KPIs!B4" in text
    marked = load_workbook(written[1])
    assert marked["Outcomes"]["C5"].fill.fgColor.rgb.endswith("F4B6B6")
    assert "improved cannot be more than" in marked["Outcomes"]["C5"].comment.text


def test_cli_check_exit_codes(good, tmp_path, capsys, isolated):
    assert main(["returns", "check", str(good)]) == 0
    assessed = load_workbook(good)["Outcomes"]["B5"].value
    edit(good, {"Outcomes!C5": assessed + 1})
    assert main(["returns", "check", str(good), "--feedback", str(tmp_path / "fb")]) == 1
    out = capsys.readouterr().out
    assert "Outcomes!C5" in out and (tmp_path / "fb" / f"{good.name}.feedback.txt").exists()
    other = tmp_path / "notes.xlsx"
    other.write_text("not a workbook")
    assert main(["returns", "check", str(other)]) == 1      # not a return: rejected
    assert main(["returns", "check", str(tmp_path / "missing.xlsx")]) == 2
    assert main(["returns", "check", str(tmp_path)]) == 2    # a folder


def test_suites_are_files_and_asset_checks():
    from dagster import AssetKey
    from dagster_project.checks.suites import load_suites
    from dagster_project.definitions import defs

    names = {s.name for s in load_suites("provider_return_")}
    assert names == {"provider_return_counts", "provider_return_money", "provider_return_outcomes",
                     "provider_return_demographics", "provider_return_finance", "provider_return_kpis",
                     "provider_return_activity", "provider_return_hours", "provider_return_immediate_justice"}
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys
              if key.asset_key == AssetKey(["raw", "provider_return_cells"])}
    assert names <= checks
