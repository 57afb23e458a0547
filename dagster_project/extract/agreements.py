"""The commissioning team's agreements register (one xlsx workbook, a sheet per list).

Each sheet has its header in row 1 and one record per row below. A new version of the
register is simply a new file: it lands beside the old ones and staging reads the
latest. Raw rows carry the row's locator (``Agreements!A7``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.extract.landing import BadInput, Provenance
from dagster_project.extract.workbooks import cell_text, insert_rows, open_workbook


MONEY = re.compile(r"^-?\d+(\.\d{1,2})?$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
DATE = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})$")
KINDS = {
    "money": (MONEY, "an amount in pounds with at most two decimals, without £ or commas"),
    "number": (NUMBER, "a number, e.g. 0.75"),
    "date": (DATE, "a date (an Excel date, or text as DD/MM/YYYY)"),
    "yes_no": (re.compile(r"^(Yes|No|N/A)$"), "Yes, No or N/A"),
}


@dataclass(frozen=True)
class SheetSpec:
    sheet: str
    table: str
    header: tuple[str, ...]
    columns: tuple[str, ...]
    required: tuple[str, ...]
    kinds: tuple[tuple[str, str], ...] = ()     # (column, kind in KINDS)


REGISTER_SHEETS = (
    SheetSpec("Providers", "providers",
              ("Provider ID", "Provider name", "Organisation type", "Charity number", "Company number",
               "Districts served", "Size band"),
              ("provider_id", "provider_name", "organisation_type", "charity_number", "company_number",
               "districts_served", "size_band"),
              ("provider_id", "provider_name", "organisation_type")),
    SheetSpec("Agreements", "agreements",
              ("Agreement ref", "Provider ID", "Service name", "Service category", "Cohort", "Districts",
               "Agreement type", "Commissioning role", "Procurement route", "Start date", "End date",
               "Annual value", "Total value", "Decision record", "EIA done", "DPIA done",
               "Modern slavery assessment", "Social value score"),
              ("agreement_ref", "provider_id", "service_name", "service_category", "cohort", "districts",
               "agreement_type", "commissioning_role", "procurement_route", "start_date", "end_date",
               "annual_value", "total_value", "decision_record", "eia_done", "dpia_done",
               "modern_slavery_assessment", "social_value_score"),
              ("agreement_ref", "provider_id", "service_category", "start_date", "end_date", "annual_value"),
              (("start_date", "date"), ("end_date", "date"), ("annual_value", "money"), ("total_value", "money"),
               ("eia_done", "yes_no"), ("dpia_done", "yes_no"), ("modern_slavery_assessment", "yes_no"),
               ("social_value_score", "number"))),
    SheetSpec("Funding split", "agreement_funding",
              ("Agreement ref", "Stream ID", "Share"),
              ("agreement_ref", "stream_id", "share"),
              ("agreement_ref", "stream_id", "share"), (("share", "number"),)),
    SheetSpec("Priority weights", "agreement_priorities",
              ("Agreement ref", "Plan ID", "Priority ID", "Weight"),
              ("agreement_ref", "plan_id", "priority_id", "weight"),
              ("agreement_ref", "plan_id", "priority_id", "weight"), (("weight", "number"),)),
    SheetSpec("KPIs", "agreement_kpis",
              ("Agreement ref", "KPI", "Target", "Unit"),
              ("agreement_ref", "kpi", "target", "unit"),
              ("agreement_ref", "kpi"), (("target", "number"),)),
)


def column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(index + 1)


def read_sheet_rows(wb, spec: SheetSpec, name: str) -> tuple[list[tuple], list[str]]:
    if spec.sheet not in wb.sheetnames:
        raise BadInput(name, f"no sheet named '{spec.sheet}'; the register needs sheets: "
                             + ", ".join(s.sheet for s in REGISTER_SHEETS) + f" (found: {', '.join(wb.sheetnames)})")
    ws = wb[spec.sheet]
    rows_iter = ws.iter_rows(values_only=True)
    header = [cell_text(v) for v in next(rows_iter, ())]
    header = [h.strip() if h else "" for h in header][: len(spec.header)]
    if header != list(spec.header):
        raise BadInput(name, f"header does not match; expected {', '.join(spec.header)} in columns A to "
                             f"{column_letter(len(spec.header) - 1)} (found {', '.join(h or '(blank)' for h in header)})",
                       f"{spec.sheet}!1:1")
    rows, locators = [], []
    for number, values in enumerate(rows_iter, start=2):
        texts = tuple(cell_text(v) for v in values[: len(spec.header)])
        texts = texts + (None,) * (len(spec.header) - len(texts))
        if all(t is None for t in texts):
            continue
        for column in spec.required:
            i = spec.columns.index(column)
            if texts[i] is None:
                raise BadInput(name, f"'{spec.header[i]}' is empty; a value is required",
                               f"{spec.sheet}!{column_letter(i)}{number}")
        for column, kind in spec.kinds:
            i = spec.columns.index(column)
            pattern, expected = KINDS[kind]
            if texts[i] is not None and not pattern.match(texts[i]):
                raise BadInput(name, f"'{spec.header[i]}' is {texts[i]!r}; expected {expected}",
                               f"{spec.sheet}!{column_letter(i)}{number}")
        rows.append(texts)
        locators.append(f"{spec.sheet}!A{number}")
    return rows, locators


def load_register(con: duckdb.DuckDBPyConnection, path: Path, prov: Provenance) -> int:
    wb = open_workbook(path, prov.source_file)
    try:
        total = 0
        for spec in REGISTER_SHEETS:
            rows, locators = read_sheet_rows(wb, spec, prov.source_file)
            if spec.table == "agreements" and not rows:
                raise BadInput(prov.source_file, "the Agreements sheet has no agreements", f"{spec.sheet}!A2")
            total += insert_rows(con, spec.table, spec.columns, rows, prov, locators)
        return total
    finally:
        wb.close()
