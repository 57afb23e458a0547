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
# The ages a service is for (register column "Ages served"): All ages, Under N, N and over, N to M.
AGES = re.compile(r"^(All ages|Under (?P<under>\d{1,3})|(?P<over>\d{1,3}) and over|(?P<lo>\d{1,3}) to (?P<hi>\d{1,3}))$")
DATE = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})$")
KINDS = {
    "money": (MONEY, "an amount in pounds with at most two decimals, without £ or commas"),
    "number": (NUMBER, "a number, e.g. 0.75"),
    "date": (DATE, "a date (an Excel date, or text as DD/MM/YYYY)"),
    "yes_no": (re.compile(r"^(Yes|No|N/A)$"), "Yes, No or N/A"),
    "post_type": (re.compile(r"^(ISVA|IDVA)$"), "ISVA or IDVA"),
    "fte": (re.compile(r"^\d+(\.\d{1,2})?$"), "full-time equivalent posts, e.g. 2.5 (at most two decimals)"),
    "ages": (AGES, "All ages, Under 18, 18 and over, or 10 to 24 (whole years; the first age not above the second)"),
}


@dataclass(frozen=True)
class SheetSpec:
    sheet: str
    table: str
    header: tuple[str, ...]
    columns: tuple[str, ...]
    required: tuple[str, ...]
    kinds: tuple[tuple[str, str], ...] = ()     # (column, kind in KINDS)
    optional: bool = False                        # a register without the sheet has no such rows
    optional_trailing: int = 0                    # the last columns an older register may not have (blank)


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
               "Modern slavery assessment", "Social value score", "Ages served", "Award date"),
              ("agreement_ref", "provider_id", "service_name", "service_category", "cohort", "districts",
               "agreement_type", "commissioning_role", "procurement_route", "start_date", "end_date",
               "annual_value", "total_value", "decision_record", "eia_done", "dpia_done",
               "modern_slavery_assessment", "social_value_score", "ages_served", "award_date"),
              ("agreement_ref", "provider_id", "service_category", "start_date", "end_date", "annual_value"),
              (("start_date", "date"), ("end_date", "date"), ("annual_value", "money"), ("total_value", "money"),
               ("eia_done", "yes_no"), ("dpia_done", "yes_no"), ("modern_slavery_assessment", "yes_no"),
               ("social_value_score", "number"), ("ages_served", "ages"), ("award_date", "date")),
              # "Ages served" (the ages the service is for; the equality baseline uses the census in those
              # ages) and "Award date" (when the decision to award was made; 360Giving publishes it) are
              # optional: an older register without them, or a blank cell, means not stated.
              optional_trailing=2),
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
    # Independent sexual and domestic violence adviser posts an agreement funds (the MoJ return
    # reports the posts its grant lines fund). Optional: older registers have no sheet.
    SheetSpec("Funded posts", "agreement_posts",
              ("Agreement ref", "Post type", "FTE"),
              ("agreement_ref", "post_type", "fte"),
              ("agreement_ref", "post_type", "fte"), (("post_type", "post_type"), ("fte", "fte")), optional=True),
)


def ages_in_order(match: re.Match) -> bool:
    """An "N to M" age range must not run backwards (and "Under 0" holds no one)."""
    if match["lo"] is not None:
        return int(match["lo"]) <= int(match["hi"])
    return match["under"] is None or int(match["under"]) > 0


def column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(index + 1)


def read_sheet_rows(wb, spec: SheetSpec, name: str) -> tuple[list[tuple], list[str]]:
    if spec.sheet not in wb.sheetnames and spec.optional:
        return [], []
    if spec.sheet not in wb.sheetnames:
        raise BadInput(name, f"no sheet named '{spec.sheet}'; the register needs sheets: "
                             + ", ".join(s.sheet for s in REGISTER_SHEETS if not s.optional) + f" (found: {', '.join(wb.sheetnames)})")
    ws = wb[spec.sheet]
    rows_iter = ws.iter_rows(values_only=True)
    header = [cell_text(v) for v in next(rows_iter, ())]
    header = [h.strip() if h else "" for h in header][: len(spec.header)]
    header += [""] * (len(spec.header) - len(header))
    required_width = len(spec.header) - spec.optional_trailing
    if header[:required_width] != list(spec.header[:required_width]) or any(
            h not in ("", expected) for h, expected in zip(header[required_width:], spec.header[required_width:])):
        raise BadInput(name, f"header does not match; expected {', '.join(spec.header)} in columns A to "
                             f"{column_letter(len(spec.header) - 1)} (found {', '.join(h or '(blank)' for h in header)})",
                       f"{spec.sheet}!1:1")
    absent = {i for i in range(required_width, len(spec.header)) if not header[i]}   # an older layout
    rows, locators = [], []
    for number, values in enumerate(rows_iter, start=2):
        texts = tuple(cell_text(v) for v in values[: len(spec.header)])
        texts = texts + (None,) * (len(spec.header) - len(texts))
        texts = tuple(None if i in absent else t for i, t in enumerate(texts))
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
            match = pattern.match(texts[i]) if texts[i] is not None else None
            if texts[i] is not None and (not match or (kind == "ages" and not ages_in_order(match))):
                raise BadInput(name, f"'{spec.header[i]}' is {texts[i]!r}; expected {expected}",
                               f"{spec.sheet}!{column_letter(i)}{number}")
        rows.append(texts)
        locators.append(f"{spec.sheet}!A{number}")
    return rows, locators


def load_register(con: duckdb.DuckDBPyConnection, path: Path, prov: Provenance) -> int:
    wb = open_workbook(path, prov.source_file)
    try:
        sheets = {}
        for spec in REGISTER_SHEETS:
            sheets[spec.table] = (spec, *read_sheet_rows(wb, spec, prov.source_file))
        if not sheets["agreements"][1]:
            raise BadInput(prov.source_file, "the Agreements sheet has no agreements", "Agreements!A2")
        check_references(con, sheets, prov.source_file)
        return sum(insert_rows(con, spec.table, spec.columns, rows, prov, locators)
                   for spec, rows, locators in sheets.values())
    finally:
        wb.close()


def check_references(con: duckdb.DuckDBPyConnection, sheets: dict, name: str) -> None:
    """Every id the register uses must exist: providers, agreements, and the tenant's streams, plans,
    priorities and service categories (from the latest tenant.yml landed), so a typo is caught here,
    naming its cell, rather than breaking the models."""
    def ids(table, column):
        spec, rows, _ = sheets[table]
        return {r[spec.columns.index(column)] for r in rows}

    known = {
        ("agreements", "provider_id"): ids("providers", "provider_id"),
        ("agreement_funding", "agreement_ref"): ids("agreements", "agreement_ref"),
        ("agreement_priorities", "agreement_ref"): ids("agreements", "agreement_ref"),
        ("agreement_kpis", "agreement_ref"): ids("agreements", "agreement_ref"),
        ("agreement_posts", "agreement_ref"): ids("agreements", "agreement_ref"),
    }
    config = _tenant_ids(con)
    if config:
        known[("agreement_funding", "stream_id")] = config["streams"]
        known[("agreement_priorities", "plan_id")] = config["plans"]
        known[("agreement_priorities", "priority_id")] = config["priorities"]
    from dagster_project.tenants import service_categories
    known[("agreements", "service_category")] = set(service_categories())
    for (table, column), allowed in known.items():
        spec, rows, locators = sheets[table]
        i = spec.columns.index(column)
        for row, locator in zip(rows, locators):
            if row[i] not in allowed:
                sheet, cell = locator.split("!")
                choices = ", ".join(sorted(allowed)[:12]) + (" ..." if len(allowed) > 12 else "")
                raise BadInput(name, f"'{spec.header[i]}' is {row[i]!r}, which is not known; expected one of: {choices}",
                               f"{sheet}!{column_letter(i)}{cell[1:]}")


def _tenant_ids(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    try:
        streams = con.execute("""select stream_id from raw.tenant_funding_streams qualify _source_sha256 =
            first_value(_source_sha256) over (order by _loaded_at desc)""").fetchall()
        priorities = con.execute("""select plan_id, priority_id from raw.tenant_priorities qualify _source_sha256 =
            first_value(_source_sha256) over (order by _loaded_at desc)""").fetchall()
    except duckdb.Error:
        return {}
    if not streams:
        return {}
    return {"streams": {s for (s,) in streams}, "plans": {p for p, _ in priorities},
            "priorities": {q for _, q in priorities}}
