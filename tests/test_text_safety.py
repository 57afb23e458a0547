"""Text from outside (providers, the register, the ledger) is text in everything we write.

For every character a spreadsheet reads as the start of a formula, a hostile string goes
through each writer and is read back: the provider return template (issued through
``pccw returns template`` from a register entry), the marked feedback copy, and a pack's xlsx
and html.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
from decimal import Decimal
from types import SimpleNamespace

import duckdb
import pytest
from markupsafe import escape
from openpyxl import Workbook, load_workbook

from dagster_project import settings
from dagster_project.cli import main
from dagster_project.demo.commissioning import Agreement, Provider
from dagster_project.demo.returns import fill
from dagster_project.packs.render import SectionData, render_html, write_xlsx
from dagster_project.packs.spec import spec_for
from dagster_project.periods import Quarter
from dagster_project.returns import service
from dagster_project.returns import template as t
from dagster_project.returns.feedback import write_feedback
from dagster_project.returns.validation import validate
from dagster_project.safe_text import FORMULA_PREFIXES, set_text
from dagster_project.settings import TenantPaths
from dagster_project.xlsx_files import save_workbook

HOSTILE = {
    "=": '=HYPERLINK("http://x","click")',
    "+": "+1+1",
    "-": "-2+3",
    "@": "@SUM(A1)",
    "\t": "\t=1+1",
    "\r": "\r=1+1",
}
PREFIXES = pytest.mark.parametrize("prefix", list(HOSTILE), ids=["eq", "plus", "minus", "at", "tab", "cr"])
QUARTER = "2024-25-Q2"
START, END = dt.date(2024, 4, 1), dt.date(2026, 3, 31)
TODAY = dt.date(2026, 1, 1)
# The Cover rows the register fills in (template.COVER_FIELDS from row 3).
COVER_ROW = {label: f"B{t.COVER_FIRST_ROW + i}" for i, label in enumerate(t.COVER_FIELDS)}


def register_texts(prefix: str) -> dict[str, str]:
    """Register text that starts with ``prefix``: agreement reference, provider, service and KPI names."""
    hostile = HOSTILE[prefix]
    return {"ref": hostile + " A1", "provider": hostile, "service": hostile + " service", "kpi": hostile + " KPI"}


def honest_content(tenant, texts: dict[str, str]) -> t.ReturnContent:
    """What an honest provider would enter for this agreement (the demo generator's figures)."""
    provider = Provider("P1", texts["provider"], "Charity", "1000001", None, (tenant.districts[0].name,), "Small")
    agreement = Agreement(texts["ref"], provider, texts["service"], "domestic_abuse", "All",
                          (tenant.districts[0].name,), "Contract", "Lead", "Open tender", START, END,
                          Decimal("80000"), "DR-1", True, True, "Yes", 7, [("MOJ-DASV", Decimal(1))], [],
                          [(texts["kpi"], "90", "%")])
    return fill(tenant, agreement, Quarter.parse(QUARTER), random.Random(3))


def all_cells(wb):
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def assert_no_formulas(wb):
    formulas = [f"{c.parent.title}!{c.coordinate}={c.value!r}" for c in all_cells(wb) if c.data_type == "f"]
    assert not formulas, formulas


def assert_text(cell, expected: str):
    where = f"{cell.parent.title}!{cell.coordinate}"
    assert cell.data_type == "s", f"{where} is stored as {cell.data_type!r}, not as text: {cell.value!r}"
    assert cell.value == expected, f"{where}: {cell.value!r} != {expected!r}"


# --- the rule itself -----------------------------------------------------------------------------------------


def test_the_prefixes_are_one_constant_and_every_one_is_tested():
    assert set(FORMULA_PREFIXES) == set(HOSTILE) == {"=", "+", "-", "@", "\t", "\r"}
    assert all(text.startswith(prefix) for prefix, text in HOSTILE.items())


@PREFIXES
def test_set_text_stores_a_string_never_a_formula(tmp_path, prefix):
    wb = Workbook()
    ws = wb.active
    assert set_text(ws["A1"], HOSTILE[prefix]) is ws["A1"]
    for ref, value in (("A2", 12), ("A3", -3.5), ("A4", None), ("A5", dt.datetime(2024, 7, 15)), ("A6", "plain")):
        set_text(ws[ref], value)
    save_workbook(wb, tmp_path / "x.xlsx")
    back = load_workbook(tmp_path / "x.xlsx").active
    assert_text(back["A1"], HOSTILE[prefix])
    assert (back["A2"].value, back["A2"].data_type) == (12, "n")
    assert (back["A3"].value, back["A3"].data_type) == (-3.5, "n")
    assert back["A4"].value is None
    assert back["A5"].value == dt.datetime(2024, 7, 15) and back["A5"].is_date
    assert_text(back["A6"], "plain")



# --- the provider return template ----------------------------------------------------------------------------


def tiny_warehouse(tenant, texts: dict[str, str]) -> None:
    """Just what ``pccw returns template`` and ``pccw returns check`` read: one agreement, its KPI, its dates."""
    path = TenantPaths.for_tenant(tenant.slug).warehouse
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema returns")
        con.execute("create schema raw")
        con.execute("""create table returns.rpt_provider_return__agreements
                       (agreement_ref varchar, provider_name varchar, service_name varchar, start_date date,
                        end_date date, service_category varchar)""")
        con.execute("insert into returns.rpt_provider_return__agreements values (?, ?, ?, ?, ?, 'domestic_abuse')",
                    [texts["ref"], texts["provider"], texts["service"], START, END])
        con.execute("""create table returns.rpt_provider_return__kpis
                       (agreement_ref varchar, kpi varchar, target decimal(18, 4), unit varchar)""")
        con.execute("insert into returns.rpt_provider_return__kpis values (?, ?, 90, '%')",
                    [texts["ref"], texts["kpi"]])
        con.execute("""create table raw.agreements (agreement_ref varchar, start_date varchar, end_date varchar,
                       service_category varchar, _source_sha256 varchar, _loaded_at timestamp, _source_file varchar)""")
        con.execute("""insert into raw.agreements
                       values (?, '2024-04-01', '2026-03-31', 'domestic_abuse', 'x', ?, 'agreements.xlsx')""",
                    [texts["ref"], dt.datetime(2024, 4, 2)])
    finally:
        con.close()


def fill_honestly(path, content: t.ReturnContent) -> None:
    """Type the figures into the shaded (unlocked) cells only, as a provider does, and save."""
    wb = load_workbook(path)
    cover = wb[t.COVER_SHEET]
    cover[COVER_ROW["Completed by"]] = "Sam Jones"
    cover[COVER_ROW["Date completed"]] = dt.datetime(2024, 10, 15)
    typed = 0
    for grid in t.GRIDS:
        ws = wb[grid.sheet]
        for row in ws.iter_rows(min_row=t.HEADER_ROW + 1):
            labels = tuple(c.value for c in row[:len(grid.labels)])
            if labels and labels[0] == t.UNDERSPEND_LABEL:
                row[1].value = content.underspend_explanation
                continue
            for offset, column in enumerate(grid.values):
                cell = row[len(grid.labels) + offset]
                value = content.values.get((grid.sheet, labels, column))
                if value is not None and not cell.protection.locked:
                    cell.value = value
                    typed += 1
    assert typed > 100
    wb.save(path)


@PREFIXES
def test_issued_template_keeps_register_text_as_text_and_an_honest_return_passes(tenant, tmp_path, prefix):
    texts = register_texts(prefix)
    tiny_warehouse(tenant, texts)
    path = tmp_path / "template.xlsx"
    assert main(["returns", "template", "--tenant", tenant.slug, "--agreement", texts["ref"], "--quarter", QUARTER,
                 "--out", str(path)]) == 0

    wb = load_workbook(path)
    cover = wb[t.COVER_SHEET]
    assert_text(cover[COVER_ROW["Agreement reference"]], texts["ref"])
    assert_text(cover[COVER_ROW["Provider"]], texts["provider"])
    assert_text(cover[COVER_ROW["Service"]], texts["service"])
    assert_text(wb[t.KPIS.sheet][f"A{t.HEADER_ROW + 1}"], texts["kpi"])
    assert cover[COVER_ROW["Provider"]].protection.locked and cover.protection.sheet
    assert_no_formulas(wb)

    fill_honestly(path, honest_content(tenant, texts))
    verdict, with_register = service.check_file(tenant, path, today=TODAY)
    assert with_register
    assert not verdict.rejected and not verdict.errors, [p.sentence() for p in verdict.errors]
    assert not [p for p in verdict.problems if p.sheet == t.COVER_SHEET], [p.sentence() for p in verdict.problems]
    assert verdict.agreement_ref == texts["ref"] and verdict.quarter == QUARTER


@PREFIXES
def test_return_writer_stores_every_outside_text_as_text(tenant, tmp_path, prefix):
    hostile = HOSTILE[prefix]
    texts = register_texts(prefix)
    content = dataclasses.replace(
        honest_content(tenant, texts), districts=(hostile + " district", tenant.districts[0].name),
        completed_by=hostile + " person", date_completed=hostile + " date", underspend_explanation=hostile + " why")
    content.values = {**content.values, (t.ACTIVITY.sheet, (t.CRIME_TYPES[0],), "New cases"): hostile + " cases"}
    path = tmp_path / "return.xlsx"
    t.write_return(path, content)
    wb = load_workbook(path)
    assert_no_formulas(wb)
    cover = wb[t.COVER_SHEET]
    for label, expected in (("Agreement reference", texts["ref"]), ("Provider", texts["provider"]),
                            ("Service", texts["service"]), ("Completed by", hostile + " person"),
                            ("Date completed", hostile + " date")):
        assert_text(cover[COVER_ROW[label]], expected)
    assert_text(wb[t.KPIS.sheet][f"A{t.HEADER_ROW + 1}"], texts["kpi"])
    districts = [c for c in wb[t.DEMOGRAPHIC_GRID.sheet]["B"] if c.value == hostile + " district"]
    assert len(districts) == 1
    assert_text(districts[0], hostile + " district")
    assert_text(wb[t.ACTIVITY.sheet][f"D{t.HEADER_ROW + 1}"], hostile + " cases")
    underspend = next(r for r in wb[t.FINANCE.sheet].iter_rows() if r[0].value == t.UNDERSPEND_LABEL)[1]
    assert_text(underspend, hostile + " why")


# --- the marked feedback copy --------------------------------------------------------------------------------


@PREFIXES
def test_marked_copy_keeps_outside_text_as_text(tenant, tmp_path, prefix):
    hostile = HOSTILE[prefix]
    texts = register_texts(prefix)
    content = honest_content(tenant, texts)
    content.completed_by, content.underspend_explanation = hostile + " person", hostile + " why"
    measure = (t.OUTCOME_MEASURES[0],)
    assessed = content.values[(t.OUTCOMES.sheet, measure, "Service users assessed")]
    content.values[(t.OUTCOMES.sheet, measure, "Service users improved")] = assessed + 3   # an error to mark
    path = tmp_path / "return.xlsx"
    t.write_return(path, content)
    [verdict] = validate([(path, path.name)], {texts["ref"]: (START, END)}, TODAY)
    assert verdict.rejected and f"{t.OUTCOMES.sheet}!C4" in [p.place for p in verdict.errors]

    written = write_feedback(verdict, path, tmp_path / "fb", "return")
    assert [p.name for p in written] == ["return.feedback.txt", "return.marked.xlsx"]
    marked = load_workbook(written[1])
    assert_no_formulas(marked)
    assert marked[t.OUTCOMES.sheet]["C4"].fill.fgColor.rgb.endswith("F4B6B6")
    cover = marked[t.COVER_SHEET]
    for label, expected in (("Agreement reference", texts["ref"]), ("Provider", texts["provider"]),
                            ("Service", texts["service"]), ("Completed by", hostile + " person")):
        assert_text(cover[COVER_ROW[label]], expected)
    assert_text(marked[t.KPIS.sheet][f"A{t.HEADER_ROW + 1}"], texts["kpi"])
    underspend = next(r for r in marked[t.FINANCE.sheet].iter_rows() if r[0].value == t.UNDERSPEND_LABEL)[1]
    assert_text(underspend, hostile + " why")


# --- return packs: xlsx and html -----------------------------------------------------------------------------


def pack_context(text: str) -> dict:
    """A tiny hand-built context for the MoJ pack: every text field, key and name holds ``text``."""
    spec = spec_for("moj-victims", "2024-25-H2")
    sections = []
    for section in spec.sections:
        numeric = {c.field for c in section.columns if c.format}
        chart = section.chart or {}
        numeric |= {chart[k] for k in ("value", "compare") if chart.get(k)}
        fields = {c.field for c in section.columns} | set(section.key) | numeric
        labels = chart.get("label") or []
        fields |= set(labels if isinstance(labels, list) else [labels])
        rows = [{f: Decimal("1") if f in numeric else text for f in fields} for _ in range(2)]
        sections.append(SectionData(section, rows, {f: Decimal("2") for f in section.totals}))
    reconciliation = [{"stream_id": text, "reported_spend": Decimal(1), "ledger_spend": Decimal(1),
                       "booked_to_stream_cost_centres": Decimal(1), "attributed_from_other_cost_centres": Decimal(0),
                       "attributed_to_other_streams": Decimal(0), "difference": Decimal(0), "status": text,
                       "explanation": text}]
    for k in spec.reconciliation_key:
        reconciliation[0].setdefault(k, text)
    return {"tenant": SimpleNamespace(name=text, slug="west_yorkshire"), "spec": spec, "period": "2024-25-H2",
            "sections": sections, "reconciliation": reconciliation, "override_reason": text,
            "gate": SimpleNamespace(failures=[text], passed=False, checks=[], invocation_id=None), "as_of": None,
            "changes": [], "previous": None}


@PREFIXES
def test_pack_xlsx_keeps_outside_text_as_text(tmp_path, prefix):
    hostile = HOSTILE[prefix]
    context = pack_context(hostile)
    path = tmp_path / "pack.xlsx"
    figures = write_xlsx(path, context)
    assert figures
    wb = load_workbook(path)
    assert_no_formulas(wb)
    cover = wb["Cover"]
    assert cover["A2"].value == "Organisation"
    assert_text(cover["B2"], hostile)                                    # the tenant's name
    reason = next(r for r in cover.iter_rows() if r[0].value == "RENDERED DESPITE FAILED CHECKS")[1]
    assert_text(reason, hostile)
    failure = next(r for r in cover.iter_rows() if r[0].value == "Failed check")[1]
    assert_text(failure, hostile)
    for data in context["sections"]:
        text_columns = [c for c in data.section.columns if not c.format]
        if not text_columns:
            continue
        ws = wb[data.section.id.replace("_", " ").title()[:31]]
        column = 1 + data.section.columns.index(text_columns[0])
        for r in (4, 5):
            assert_text(ws.cell(row=r, column=column), hostile)
    recon = wb["Reconciliation"]
    assert_text(recon["A4"], hostile)
    assert_text(recon["H4"], hostile)     # status
    assert_text(recon["I4"], hostile)     # explanation


@PREFIXES
def test_pack_html_escapes_outside_text(prefix):
    hostile = HOSTILE[prefix] + ' <script>alert("x")</script> & <b>'
    html = render_html(pack_context(hostile))
    assert "<script" not in html.lower() and "<b>" not in html
    assert "&lt;script&gt;" in html
    shown = str(escape(hostile))
    assert html.count(shown) >= 5                                        # tenant, reason, failure, tables


def test_pack_templates_do_not_mark_text_safe():
    for template in (settings.REPORTS_DIR / "templates").glob("*.j2"):
        source = template.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b", source), template
        assert "autoescape false" not in source.lower(), template
