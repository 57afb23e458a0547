"""The provider quarterly monitoring return: its layout, and a writer for the xlsx.

One layout serves the template a provider fills, the demo generator and the reader, so
the three cannot drift apart. Each data sheet is a grid: a header in row 3, label
column(s) on the left, input cells to their right. Input cells are unlocked and shaded;
everything else is protected.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from dagster_project.safe_text import set_text
from dagster_project.xlsx_files import save_workbook

TEMPLATE_VERSION = "PQR-2025.1"
PREVIOUS_VERSION = "PQR-2024.2"
ACCEPTED_VERSIONS = (TEMPLATE_VERSION, PREVIOUS_VERSION)
# The quarters each accepted version may be used for: (first, last), None where open. PQR-2024.2 has
# no "New service users" column and no Immediate Justice sheet, so it is kept only for the quarters it
# was issued for (up to the end of 2024-25); PQR-2025.1 may be used for any quarter, a late return for
# an old quarter included.
VALID_QUARTERS: dict[str, tuple[str | None, str | None]] = {
    PREVIOUS_VERSION: (None, "2024-25-Q4"),
    TEMPLATE_VERSION: (None, None),
}
HEADER_ROW = 3


def version_covers(version: str, quarter: str) -> bool:
    """Whether a return of this template version may be sent for the quarter (labels like 2024-25-Q2)."""
    first, last = VALID_QUARTERS[version]
    return (first is None or first <= quarter) and (last is None or quarter <= last)


def valid_quarters_text(version: str) -> str:
    first, last = VALID_QUARTERS[version]
    if first and last:
        return f"quarters {first} to {last}"
    if last:
        return f"quarters up to {last}"
    if first:
        return f"quarters from {first}"
    return "any quarter"

CRIME_TYPES = (
    "Domestic abuse", "Sexual violence", "Violence (not domestic)", "Stalking and harassment", "Hate crime",
    "Burglary", "Robbery", "Theft and fraud", "Criminal damage and arson", "Anti-social behaviour",
    "Modern slavery", "Other crime",
)
OUTCOME_MEASURES = (
    "Improved health and wellbeing", "Better able to cope with everyday life", "Feel safer",
    "Better informed and empowered", "Improved experience of the criminal justice system",
)
SPEND_CATEGORIES = (
    "Staff costs", "Volunteer costs", "Premises", "Travel", "Training and supervision",
    "Management and overheads", "Other direct costs",
)
FINANCE_TOTAL = "Total"
NOT_STATED = "Not stated"
DEMOGRAPHICS: dict[str, tuple[str, ...]] = {
    "Age band": ("Under 18", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75 and over", NOT_STATED),
    "Sex": ("Female", "Male", NOT_STATED),
    "Ethnicity": ("Asian, Asian British or Asian Welsh", "Black, Black British, Black Welsh, Caribbean or African",
                  "Mixed or Multiple ethnic groups", "White", "Other ethnic group", NOT_STATED),
    "Disability": ("Disabled", "Not disabled", NOT_STATED),
    "Sexual orientation": ("Straight or heterosexual", "Gay or lesbian", "Bisexual", "Other sexual orientation",
                           NOT_STATED),
    "Religion": ("No religion", "Christian", "Buddhist", "Hindu", "Jewish", "Muslim", "Sikh", "Other religion",
                 NOT_STATED),
}
OUTSIDE_AREA = "Outside the area"


@dataclass(frozen=True)
class Grid:
    sheet: str
    labels: tuple[str, ...]          # header(s) of the label column(s)
    values: tuple[str, ...]          # header(s) of the input columns


COVER_SHEET = "Cover"
COVER_FIELDS = ("Template version", "Agreement reference", "Provider", "Service", "Quarter",
                "Completed by", "Date completed", "Submission type")
SUBMISSION_TYPES = ("First submission", "Resubmission")
PROVIDER_COVER_FIELDS = ("Completed by", "Date completed", "Submission type")
COVER_FIRST_ROW = 3
UNDERSPEND_LABEL = "Underspend explanation"

ACTIVITY = Grid("Activity", ("Crime type",),
                ("Referrals received", "Referrals accepted", "New cases", "Closed cases", "Service users supported"))
OUTCOMES = Grid("Outcomes", ("Outcome measure",), ("Service users assessed", "Service users improved"))
# "Service users": everyone supported in the quarter; "New service users" (from PQR-2025.1): those whose
# support started in the quarter, so a half-year is counted without counting a person twice. Other
# sessions read these exact header texts.
SERVICE_USERS, NEW_SERVICE_USERS = "Service users", "New service users"
DEMOGRAPHIC_GRID = Grid("Demographics", ("Characteristic", "Group"), (SERVICE_USERS, NEW_SERVICE_USERS))
DEMOGRAPHIC_GRID_2024 = Grid("Demographics", ("Characteristic", "Group"), (SERVICE_USERS,))
FINANCE = Grid("Finance", ("Spend category",), ("Annual budget", "Spend this quarter", "Forecast full year"))
KPIS = Grid("KPIs", ("KPI",), ("Target", "Actual"))

# The Immediate Justice sheet (PQR-2025.1, agreements of service category immediate_justice only): the
# Home Office return's measures for the quarter, one row per disposal route. Every people column counts
# the people whose referral was received in the quarter, as they stand when the return is completed;
# hours count the hours of reparation delivered in the quarter.
IMMEDIATE_JUSTICE_CATEGORY = "immediate_justice"
DISPOSAL_ROUTES = ("Community resolution", "Outcome 22 (deferred prosecution)", "Conditional caution")
IJ_REFERRALS, IJ_WITHIN_48, IJ_AFTER_48 = "Referrals received", "Started within 48 hours", "Started after 48 hours"
IJ_COMPLETED, IJ_NOT_COMPLETED = "Completed", "Did not complete"
IJ_ADULTS, IJ_CHILDREN = "Adults (18 and over)", "Children (under 18)"
IJ_HOURS = "Hours of reparation delivered"
IJ_VICTIMS_CONSULTED = "Victims consulted on the reparation"
IJ_VICTIMS_RESTORATIVE = "Victims who took part in or were offered restorative contact"
IMMEDIATE_JUSTICE = Grid("Immediate Justice", ("Disposal route",),
                         (IJ_REFERRALS, IJ_WITHIN_48, IJ_AFTER_48, IJ_COMPLETED, IJ_NOT_COMPLETED, IJ_ADULTS,
                          IJ_CHILDREN, IJ_HOURS, IJ_VICTIMS_CONSULTED, IJ_VICTIMS_RESTORATIVE))

GRIDS = (ACTIVITY, OUTCOMES, DEMOGRAPHIC_GRID, FINANCE, KPIS)          # the current template, every agreement
GRIDS_2024 = (ACTIVITY, OUTCOMES, DEMOGRAPHIC_GRID_2024, FINANCE, KPIS)
SHEETS = ("Guidance", COVER_SHEET) + tuple(g.sheet for g in GRIDS)
ALL_SHEETS = SHEETS + (IMMEDIATE_JUSTICE.sheet,)                       # every sheet any accepted version has


def grids(version: str, immediate_justice: bool = False) -> tuple[Grid, ...]:
    """The grids of a template version; an Immediate Justice agreement's PQR-2025.1 has one more.
    An unknown version is read with the current layout (validation then refuses the version)."""
    if version == PREVIOUS_VERSION:
        return GRIDS_2024
    return GRIDS + ((IMMEDIATE_JUSTICE,) if immediate_justice else ())


def demographic_rows(districts: tuple[str, ...]) -> list[tuple[str, str]]:
    rows = [(c, g) for c, groups in DEMOGRAPHICS.items() for g in groups]
    rows += [("District", d) for d in (*districts, OUTSIDE_AREA, NOT_STATED)]
    return rows


@dataclass
class ReturnContent:
    """What a return holds: cover facts plus grid values keyed by (row labels, column)."""

    agreement_ref: str
    provider: str
    service: str
    quarter: str
    districts: tuple[str, ...]
    kpis: tuple[tuple[str, str], ...] = ()              # (KPI, target)
    completed_by: str = ""
    date_completed: str = ""
    values: Mapping[tuple[str, tuple[str, ...], str], object] | None = None   # (sheet, labels, column) -> value
    underspend_explanation: str | None = None
    submission_type: str = "First submission"
    template_version: str = TEMPLATE_VERSION
    immediate_justice: bool = False        # the agreement's service category is immediate_justice

    @property
    def grids(self) -> tuple[Grid, ...]:
        return grids(self.template_version, self.immediate_justice)

    def rows_for(self, grid: Grid) -> list[tuple[str, ...]]:
        return rows_for(grid, self.districts, self.kpis)


def rows_for(grid: Grid, districts: tuple[str, ...] = (), kpis: tuple[tuple[str, str], ...] = ()) -> list[tuple[str, ...]]:
    if grid.sheet == ACTIVITY.sheet:
        return [(c,) for c in CRIME_TYPES]
    if grid.sheet == OUTCOMES.sheet:
        return [(m,) for m in OUTCOME_MEASURES]
    if grid.sheet == DEMOGRAPHIC_GRID.sheet:
        return demographic_rows(districts)
    if grid.sheet == FINANCE.sheet:
        return [(c,) for c in (*SPEND_CATEGORIES, FINANCE_TOTAL)]
    if grid.sheet == KPIS.sheet:
        return [(k,) for k, _ in kpis]
    if grid.sheet == IMMEDIATE_JUSTICE.sheet:
        return [(r,) for r in DISPOSAL_ROUTES]
    raise KeyError(grid.sheet)


GUIDANCE_2024 = (
    "How to complete this quarterly monitoring return",
    "",
    "1. Fill in the shaded cells only. Other cells are locked so the return can be read automatically.",
    "2. Enter whole numbers of people (not percentages). Leave a cell blank only if it does not apply.",
    "3. Demographics: each characteristic (age band, sex, ethnicity, ...) should add up to the number of "
    "service users supported this quarter. Use 'Not stated' for people who did not say.",
    "4. Outcomes: 'improved' cannot be more than 'assessed' for the same measure.",
    "5. Finance: enter pounds and pence without the £ sign. Explain any underspend of more than 10%.",
    "6. Do not rename, add or remove sheets, rows or columns.",
    "7. If you need to correct a return you have sent, send the whole workbook again: the latest one counts.",
)
GUIDANCE = (
    "How to complete this quarterly monitoring return",
    "",
    "1. Fill in the shaded cells only. Other cells are locked so the return can be read automatically.",
    "2. Enter whole numbers of people (not percentages). Leave a cell blank only if it does not apply.",
    "3. Activity: 'New cases' are the people whose support started this quarter. 'Service users supported' "
    "in a quarter are the people open at the start of the quarter plus the quarter's New cases; so for each "
    "crime type New cases cannot be more than Service users supported.",
    "4. Demographics: for each characteristic (age band, sex, ethnicity, ...) the 'Service users' column "
    "adds up to the service users supported this quarter, and the 'New service users' column (the people in "
    "each group whose support started this quarter) adds up to the quarter's New cases total. Use 'Not stated' "
    "for people who did not say.",
    "5. Outcomes: 'improved' cannot be more than 'assessed' for the same measure.",
    "6. Finance: enter pounds and pence without the £ sign. Explain any underspend of more than 10%.",
    "7. Do not rename, add or remove sheets, rows or columns.",
    "8. If you need to correct a return you have sent, send the whole workbook again: the latest one counts.",
)
GUIDANCE_IMMEDIATE_JUSTICE = (
    "9. Immediate Justice (this agreement only): one row per disposal route. The people columns count the "
    "people whose referral was received this quarter, as they stand when you complete the return: started "
    "within 48 hours of the police decision plus started after 48 hours cannot be more than referrals "
    "received; completed plus did not complete cannot be more than started; adults plus children (under 18) "
    "equal the people who started. 'Hours of reparation delivered' are the hours delivered this quarter (0 or "
    "more; halves and quarters allowed). 'Victims consulted' and 'Victims who took part in or were offered "
    "restorative contact' count victims of the offences referred this quarter.",
)


def guidance_lines(version: str, immediate_justice: bool = False) -> tuple[str, ...]:
    if version == PREVIOUS_VERSION:
        return GUIDANCE_2024
    return GUIDANCE + (GUIDANCE_IMMEDIATE_JUSTICE if immediate_justice else ())


def write_return(path: Path, content: ReturnContent) -> None:
    """Write the workbook. With ``content.values`` empty it is the blank template."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.cell_range import MultiCellRange
    from openpyxl.worksheet.datavalidation import DataValidation

    fill, unlocked = PatternFill("solid", fgColor="FFF2CC"), Protection(locked=False)
    bold = Font(bold=True)
    values = content.values or {}
    wb = Workbook()
    guidance = wb.active
    guidance.title = "Guidance"
    for i, line in enumerate(guidance_lines(content.template_version, content.immediate_justice), start=1):
        guidance.cell(row=i, column=1, value=line).font = bold if i == 1 else Font()
    guidance.column_dimensions["A"].width = 120

    cover = wb.create_sheet(COVER_SHEET)
    cover["A1"] = "Quarterly monitoring return"
    cover["A1"].font = Font(bold=True, size=14)
    cover_values = {
        "Template version": content.template_version, "Agreement reference": content.agreement_ref,
        "Provider": content.provider, "Service": content.service, "Quarter": content.quarter,
        "Completed by": content.completed_by or None, "Date completed": content.date_completed or None,
        "Submission type": content.submission_type,
    }
    for offset, label in enumerate(COVER_FIELDS):
        row = COVER_FIRST_ROW + offset
        cover.cell(row=row, column=1, value=label).font = bold
        cell = set_text(cover.cell(row=row, column=2), cover_values[label])
        if label in PROVIDER_COVER_FIELDS:
            cell.fill, cell.protection = fill, unlocked
        if label == "Submission type":
            choice = DataValidation(type="list", formula1='"' + ",".join(SUBMISSION_TYPES) + '"', allow_blank=False,
                                    showErrorMessage=True, error="Choose First submission or Resubmission.")
            cover.add_data_validation(choice)
            choice.add(cell)
        if label == "Date completed":
            on_date = DataValidation(type="date", operator="greaterThan", formula1="43831", showErrorMessage=True,
                                     error="Enter the date you completed the return, e.g. 15/07/2024.")
            cover.add_data_validation(on_date)
            on_date.add(cell)
    cover.column_dimensions["A"].width = 24
    cover.column_dimensions["B"].width = 48
    cover.protection.sheet = True

    for grid in content.grids:
        ws = wb.create_sheet(grid.sheet)
        hours = None
        if grid is IMMEDIATE_JUSTICE:
            hours = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", showErrorMessage=True,
                                   error="Enter hours, 0 or more (e.g. 7.5).")
            ws.add_data_validation(hours)
        if grid is FINANCE:
            rule = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", showErrorMessage=True,
                                  error="Enter pounds and pence, 0 or more, without the £ sign.")
        else:
            rule = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", showErrorMessage=True,
                                  error="Enter a whole number of people, 0 or more.")
        ws.add_data_validation(rule)
        set_text(ws.cell(row=1, column=1), f"{grid.sheet} - {content.quarter}").font = Font(bold=True, size=12)
        headers = grid.labels + grid.values
        for col, header in enumerate(headers, start=1):
            c = ws.cell(row=HEADER_ROW, column=col, value=header)
            c.font, c.alignment = bold, Alignment(wrap_text=True)
        rows = content.rows_for(grid)
        # Each rule's cells are set at once: DataValidation.add checks each new cell against all before it.
        rule_cells, hours_cells = [], []
        for r, labels in enumerate(rows, start=HEADER_ROW + 1):
            for col, label in enumerate(labels, start=1):
                set_text(ws.cell(row=r, column=col), label)
            for offset, column in enumerate(grid.values):
                col = len(grid.labels) + offset + 1
                if grid is KPIS and column == "Target":
                    value = dict(content.kpis).get(labels[0])
                    set_text(ws.cell(row=r, column=col), _number(value))
                    continue
                cell = set_text(ws.cell(row=r, column=col), values.get((grid.sheet, labels, column)))
                cell.fill, cell.protection = fill, unlocked
                if grid is IMMEDIATE_JUSTICE and column == IJ_HOURS:
                    hours_cells.append(cell.coordinate)
                elif not (grid is KPIS and column == "Actual"):
                    rule_cells.append(cell.coordinate)
                if grid is FINANCE:
                    cell.number_format = '"£"#,##0.00'
        rule.sqref = MultiCellRange(" ".join(rule_cells))
        if hours is not None:
            hours.sqref = MultiCellRange(" ".join(hours_cells))
        if grid is FINANCE:
            r = HEADER_ROW + len(rows) + 2
            ws.cell(row=r, column=1, value=UNDERSPEND_LABEL).font = bold
            cell = set_text(ws.cell(row=r, column=2), content.underspend_explanation)
            cell.fill, cell.protection = fill, unlocked
        ws.column_dimensions["A"].width = 40
        for col in range(2, len(headers) + 1):
            ws.column_dimensions[chr(64 + col)].width = 18
        ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=len(grid.labels) + 1)
        ws.protection.sheet = True
    wb.properties.title = f"Quarterly monitoring return {content.agreement_ref} {content.quarter}"
    wb.properties.keywords = content.template_version
    save_workbook(wb, path)


def _number(value):
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number.is_integer() else number
