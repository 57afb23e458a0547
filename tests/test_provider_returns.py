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
    # Text a spreadsheet would run as a formula is kept, as text, with a warning: never rejected, never run.
    assert places(verdict, "warning") == ["Finance!B13"] and places(verdict, "error") == []
    assert "treat as a formula" in verdict.problems[0].rule


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


def test_the_checks_reuse_each_returns_result_from_its_screen_and_find_what_the_whole_table_finds(demo):
    """Landing kept every landed return's failures by suite (it had just judged them). Judging only what was
    not kept gives the verdict that judging every landed cell at once gives: the demo office's returns, plus one
    that reached raw without the screen and has a count that is not a whole number. With one return's results
    forgotten, that return alone is judged again, with the same result."""
    import json

    from dagster_project.checks import provider_returns as checks
    from dagster_project.checks.suites import load_suites, suite_key
    from dagster_project.warehouse import open_reader

    demo.built("west_yorkshire")
    con = open_reader("west_yorkshire")
    try:
        landed = con.execute("""select distinct _source_sha256, _source_file from raw.provider_return_cells
                                order by _source_file, _source_sha256""").fetchall()
        all_cells = checks.read_cells(con)
        suites = load_suites("provider_return_")
        kept_by_suite = {}
        for suite in suites:
            key = suite_key(suite)
            assert key is not None, suite.name
            kept_by_suite[suite.name] = {sha: json.loads(f) for sha, f in con.execute(
                "select sha256, failures from meta.return_suite_results where suite_key = ?", [key]).fetchall()}
        forgotten = landed[3][0]
        one_return = checks.read_cells(con, [forgotten])
    finally:
        con.close()
    assert len(landed) > 150
    # A return that slipped past the screen, with a count that is not a whole number: judged by the checks alone.
    name = landed[3][1]
    broken = [(f"{name}-broken", *row[1:]) for row in one_return]
    at = next(i for i, row in enumerate(broken) if row[1] == "Activity" and str(row[6]).isdigit())
    broken[at] = (*broken[at][:6], "2.5")
    slipped = [(f"{file}\0sha-broken", *rest) for file, *rest in broken]
    with_broken = sorted([*landed, ("sha-broken", f"{name}-broken")], key=lambda r: (r[1], r[0]))
    warned = 0
    for suite in suites:
        kept = kept_by_suite[suite.name]
        assert set(kept) == {sha for sha, _ in landed}, suite.name     # every landed return, none judged again
        whole = checks.judge(suite, all_cells + broken)
        reused, found = checks.judge_by_return(suite, suite_key(suite), with_broken, kept, slipped)
        assert list(found) == [(suite_key(suite), "sha-broken")]
        if suite.name == "provider_return_counts":
            assert [f["cell"] for f in found[(suite_key(suite), "sha-broken")]] == [broken[at][2]]
        assert {k: reused[k] for k in ("passed", "failures", "critical_failures", "returns_checked")} == \
            {k: whole[k] for k in ("passed", "failures", "critical_failures", "returns_checked")}, suite.name
        assert sorted(reused["examples"].splitlines()) == sorted(whole["examples"].splitlines()) or whole["failures"] > 20
        warned += whole["failures"]
        partial = {sha: f for sha, f in kept.items() if sha != forgotten}
        again, found = checks.judge_by_return(suite, suite_key(suite), landed, partial, one_return)
        assert again == checks.judge_by_return(suite, suite_key(suite), landed, kept, [])[0]
        assert list(found) == [(suite_key(suite), forgotten)] and found[(suite_key(suite), forgotten)] == kept[forgotten]
    assert warned > 0           # the broken count is found, so the comparison means something


def test_kept_results_replace_those_of_an_earlier_suite_and_an_old_warehouse_has_none():
    import duckdb

    from dagster_project.checks.suites import keep_results, kept_results
    from dagster_project.meta import ensure_meta

    con = duckdb.connect()
    assert kept_results(con, "provider_return_counts:new") == {}     # a warehouse from before the table
    ensure_meta(con)
    keep_results(con, {("provider_return_counts:old", "s1"): [{"cell": "C4"}],
                       ("provider_return_money:x", "s1"): []})
    keep_results(con, {("provider_return_counts:new", "s2"): []})
    assert kept_results(con, "provider_return_counts:old") == {}     # the suite changed: its old results go
    assert kept_results(con, "provider_return_counts:new") == {"s2": []}
    assert kept_results(con, "provider_return_money:x") == {"s1": []}


# --- Template PQR-2025.1: the Immediate Justice sheet, new service users, the counting rule, and the
# --- window in which PQR-2024.2 is still accepted.

IJ_CATEGORIES = {"A1": "immediate_justice"}
# Typed by hand: (referrals, within 48h, after 48h, completed, did not complete, adults, children, hours,
# victims consulted, victims offered restorative contact) per disposal route, rows 4 to 6, columns B to K.
IJ_FIGURES = {
    "Community resolution": (10, 6, 2, 5, 1, 6, 2, 37.5, 4, 2),
    "Outcome 22 (deferred prosecution)": (5, 3, 1, 3, 0, 4, 0, 24, 2, 1),
    "Conditional caution": (3, 1, 1, 1, 1, 2, 0, 8, 1, 0),
}


def ij_agreement():
    provider = Provider("P2", "Reparation CIC", "CIC", None, "01234567", ("Leeds",), "Small")
    return Agreement("A1", provider, "Immediate Justice", "immediate_justice", "People who commit anti-social behaviour",
                     ("Leeds",), "Contract", "Lead", "Open tender", dt.date(2024, 4, 1), dt.date(2026, 3, 31),
                     Decimal("80000"), "DR-2", True, True, "Yes", 7, [("HO-IJ", Decimal(1))], [],
                     [("Hours of reparation completed", "300", "hours")])


@pytest.fixture
def ij_good(tmp_path, tenant):
    content = fill(tenant, ij_agreement(), Quarter.parse("2024-25-Q3"), random.Random(5))
    assert content.immediate_justice
    values = dict(content.values)
    for route, figures in IJ_FIGURES.items():
        for column, n in zip(t.IMMEDIATE_JUSTICE.values, figures):
            values[(t.IMMEDIATE_JUSTICE.sheet, (route,), column)] = n
    content.values, content.underspend_explanation = values, "Staff vacancy"
    path = tmp_path / "A1_2024-25-Q3.xlsx"
    t.write_return(path, content)
    return path


def ij_check(path, categories=IJ_CATEGORIES):
    [verdict] = validate([(path, path.name)], REGISTER, TODAY, categories=categories)
    return verdict


def test_immediate_justice_return_round_trips(ij_good):
    from dagster_project.extract.provider_returns import read_cells
    wb = load_workbook(ij_good)
    assert wb.sheetnames == [*t.SHEETS, "Immediate Justice"] and wb["Cover"]["B3"].value == "PQR-2025.1"
    assert wb["Immediate Justice"]["B4"].protection.locked is False
    assert any("Immediate Justice" in str(c.value) for c in wb["Guidance"]["A"])
    verdict = ij_check(ij_good)
    assert verdict.status == "accepted", [p.sentence() for p in verdict.problems]
    rows, locators = read_cells(ij_good, ij_good.name)
    ij = {r[1]: r for r in rows if r[0] == "Immediate Justice"}
    assert len(ij) == 30                          # 3 disposal routes x 10 columns, one row per cell
    assert ij["B4"] == ("Immediate Justice", "B4", None, "Community resolution", "Referrals received", "10")
    assert ij["C4"][4:] == ("Started within 48 hours", "6")
    assert ij["I4"][3:] == ("Community resolution", "Hours of reparation delivered", "37.5")
    assert ij["D5"][3:] == ("Outcome 22 (deferred prosecution)", "Started after 48 hours", "1")
    assert ij["H6"][3:] == ("Conditional caution", "Children (under 18)", "0")
    assert ij["K4"][4:] == ("Victims who took part in or were offered restorative contact", "2")
    assert "Immediate Justice!K6" in locators
    # Hand-added: started 6+2, 3+1, 1+1 = 14 of 18 referrals; hours 37.5 + 24 + 8 = 69.5.
    numbers = {(r[3], r[4]): Decimal(r[5]) for r in ij.values()}
    assert sum(numbers[(route, c)] for route in IJ_FIGURES for c in ("Started within 48 hours",
                                                                        "Started after 48 hours")) == 14
    assert sum(numbers[(route, "Hours of reparation delivered")] for route in IJ_FIGURES) == Decimal("69.5")
    # New service users sit beside service users on Demographics, in column D.
    demographics = {(r[2], r[3], r[4]): r[1] for r in rows if r[0] == "Demographics"}
    assert demographics[("Sex", "Female", "Service users")] == "C13"
    assert demographics[("Sex", "Female", "New service users")] == "D13"


@pytest.mark.parametrize("changes, place, words", [
    # started 6 + 2 = 8 > referrals 7
    ({"Immediate Justice!B4": 7}, "Immediate Justice!B4:D4", "cannot be more than referrals received"),
    # completed 5 + did not complete 4 = 9 > started 8
    ({"Immediate Justice!F4": 4}, "Immediate Justice!E4:F4", "Completed plus did not complete cannot be more"),
    # adults 6 + children 3 = 9, started 8
    ({"Immediate Justice!H4": 3}, "Immediate Justice!G4:H4", "Adults plus children (under 18) must add up"),
    ({"Immediate Justice!I5": -2}, "Immediate Justice!I5", "Hours of reparation must be a number of hours"),
    ({"Immediate Justice!J5": 1.5}, "Immediate Justice!J5", "whole numbers"),
])
def test_immediate_justice_rules(ij_good, changes, place, words):
    verdict = ij_check(edit(ij_good, changes))
    assert verdict.status == "rejected"
    assert [p.place for p in verdict.errors] == [place], [p.sentence() for p in verdict.problems]
    assert words in verdict.errors[0].rule


def test_immediate_justice_sheet_left_blank(ij_good):
    blank = {f"Immediate Justice!{c}{r}": None for c in "BCDEFGHIJK" for r in (4, 5, 6)}
    verdict = ij_check(edit(ij_good, blank))
    assert places(verdict, "error") == ["Immediate Justice!B4:K6"]
    assert "No Immediate Justice figures are entered" in verdict.errors[0].rule


def test_immediate_justice_rule_names_both_sides(ij_good):
    verdict = ij_check(edit(ij_good, {"Immediate Justice!B4": 7}))
    assert verdict.errors[0].value == "started 8, referrals 7"
    assert "Immediate Justice!B4:D4 (found: 'started 8, referrals 7')" in verdict.errors[0].sentence()


def test_immediate_justice_agreement_without_the_sheet_is_refused(ij_good):
    wb = load_workbook(ij_good)
    del wb["Immediate Justice"]
    wb.save(ij_good)
    verdict = ij_check(ij_good)
    assert verdict.status == "rejected" and places(verdict, "error") == ["Immediate Justice"]
    assert "A1 is an Immediate Justice agreement" in verdict.errors[0].rule
    assert "must have the 'Immediate Justice' sheet" in verdict.errors[0].rule
    # Offline, without the register, nothing can be said about it.
    assert ij_check(ij_good, categories=None).status == "accepted"


def test_immediate_justice_sheet_on_another_agreement_is_refused(ij_good):
    verdict = ij_check(ij_good, categories={"A1": "victims_all_crime"})
    assert places(verdict, "error") == ["Immediate Justice"] and "not an Immediate Justice" in verdict.errors[0].rule


def test_a_non_immediate_justice_return_has_no_such_sheet(good):
    assert "Immediate Justice" not in load_workbook(good).sheetnames
    assert check(good).status == "accepted"
    [verdict] = validate([(good, good.name)], REGISTER, TODAY, categories={"A1": "domestic_abuse"})
    assert verdict.status == "accepted"


def test_new_cases_more_than_supported(good):
    ws = load_workbook(good)["Activity"]
    assert ws["D3"].value == "New cases" and ws["F3"].value == "Service users supported"
    supported = ws["F4"].value
    verdict = check(edit(good, {"Activity!D4": supported + 1}))
    assert "Activity!D4" in places(verdict, "error")
    [problem] = [p for p in verdict.errors if p.place == "Activity!D4"]
    assert "New cases cannot be more than Service users supported" in problem.rule


def test_new_service_users_not_adding_up_to_new_cases(good):
    wb = load_workbook(good)
    assert wb["Demographics"]["D3"].value == "New service users" and wb["Demographics"]["B13"].value == "Female"
    new_cases = sum(wb["Activity"][f"D{r}"].value for r in range(4, 4 + len(t.CRIME_TYPES)))
    female_new = wb["Demographics"]["D13"].value
    verdict = check(edit(good, {"Demographics!D13": female_new + 2}))
    assert places(verdict, "error") == ["Demographics!D13:D15"]
    assert verdict.errors[0].value == f"Sex new service users add up to {new_cases + 2}"
    assert "'New service users' must add up to the New cases total" in verdict.errors[0].rule


def test_demo_returns_follow_the_counting_rule(tenant):
    """Open at the start of a quarter = supported - closed the quarter before; supported = open + new."""
    agreement = ij_agreement()
    carried: dict = {}
    quarters = [fill(tenant, agreement, Quarter.parse(q), random.Random(9), carried)
                for q in ("2024-25-Q1", "2024-25-Q2")]
    for crime in t.CRIME_TYPES:
        first, second = ({c: v for (s, labels, c), v in q.values.items() if s == "Activity" and labels == (crime,)}
                         for q in quarters)
        open_q2 = first["Service users supported"] - first["Closed cases"]
        assert second["Service users supported"] == open_q2 + second["New cases"]
        assert second["New cases"] <= second["Service users supported"]


def test_children_and_young_people_services_are_mostly_under_18(tenant):
    provider = Provider("P3", "Youth Trust", "Charity", "1000003", None, ("Leeds",), "Small")
    agreement = Agreement("Y1", provider, "Youth work", "violence_reduction", "Young people at risk of serious violence",
                          ("Leeds",), "Grant", "Lead", "Open tender", dt.date(2024, 4, 1), dt.date(2026, 3, 31),
                          Decimal("200000"), "DR-3", True, True, "Yes", 7, [("HO-VRU", Decimal(1))], [], [])
    for seed in range(5):
        values = fill(tenant, agreement, Quarter.parse("2024-25-Q2"), random.Random(seed)).values
        ages = {g: values[("Demographics", ("Age band", g), "Service users")] for g in t.DEMOGRAPHICS["Age band"]}
        assert ages["Under 18"] >= 0.7 * sum(ages.values()), ages


def return_on_the_previous_template(tmp_path, tenant, quarter: str):
    """An Immediate Justice agreement's return for ``quarter``, on template PQR-2024.2."""
    content = fill(tenant, ij_agreement(), Quarter.parse(quarter), random.Random(4))
    content.template_version, content.underspend_explanation = "PQR-2024.2", "Staff vacancy"
    path = tmp_path / f"A1_{quarter}_old.xlsx"
    t.write_return(path, content)
    return path


def test_previous_template_accepted_within_its_window(tmp_path, tenant):
    from dagster_project.extract.provider_returns import read_cells
    path = return_on_the_previous_template(tmp_path, tenant, "2024-25-Q4")
    wb = load_workbook(path)
    assert "Immediate Justice" not in wb.sheetnames and wb["Demographics"]["D3"].value is None
    verdict = ij_check(path)      # an Immediate Justice agreement, on the template of its time: no sheet needed
    assert verdict.status == "accepted", [p.sentence() for p in verdict.problems]
    rows, _ = read_cells(path, path.name)
    assert not [r for r in rows if r[4] == "New service users" or r[0] == "Immediate Justice"]
    assert ("Demographics", "C13", "Sex", "Female", "Service users") in {r[:5] for r in rows}


def test_previous_template_refused_outside_its_window(tmp_path, tenant):
    path = return_on_the_previous_template(tmp_path, tenant, "2025-26-Q1")
    verdict = ij_check(path)
    assert verdict.status == "rejected" and places(verdict, "error") == ["Cover!B3"]
    rule = verdict.errors[0].rule
    assert "A1_2025-26-Q1_old.xlsx" in rule and "Cover!B3" in rule
    assert "PQR-2024.2" in rule and "quarters up to 2024-25-Q4" in rule and "not for 2025-26-Q1" in rule
    assert "PQR-2025.1" in verdict.errors[0].fix


def test_dbt_knows_the_template_immediate_justice_rows_and_columns():
    from dagster_project import settings
    macro = (settings.DBT_DIR / "macros" / "immediate_justice.sql").read_text()
    for text in (*t.DISPOSAL_ROUTES, *t.IMMEDIATE_JUSTICE.values, t.IMMEDIATE_JUSTICE.sheet):
        assert f"'{text}'" in macro, text
