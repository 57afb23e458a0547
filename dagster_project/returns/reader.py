"""Read a provider quarterly monitoring return (xlsx) into cells: the first step of read -> validate -> land.

One cell row per input cell, located as ``Sheet!B7``, with the row and column labels the
provider saw: ``(sheet, cell, row_group, row_label, column_label, value)``. Values, never
formulas. A workbook that is not a return at all (no cover, missing sheets, a header that is
not the template's) is refused with :class:`BadInput`; rule checks on the figures are
``returns.validation``'s job, and landing the cells is ``extract.provider_returns``'.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl.utils import get_column_letter

from dagster_project.extract.landing import BadInput
from dagster_project.extract.workbooks import cell_text, open_workbook
from dagster_project.returns import template as t


def read_cells(path: Path, name: str) -> tuple[list[tuple], list[str]]:
    """The return's cell rows, and each row's locator (``Sheet!B7``); :class:`BadInput` if it is no return."""
    wb = open_workbook(path, name)
    try:
        if t.COVER_SHEET not in wb.sheetnames:
            raise BadInput(name, f"there is no Cover sheet: this does not look like the quarterly monitoring return "
                                 f"template (sheets found: {', '.join(wb.sheetnames)})")
        rows: list[tuple] = []
        cover = wb[t.COVER_SHEET]
        for offset, values in enumerate(cover.iter_rows(min_row=t.COVER_FIRST_ROW, max_row=t.COVER_FIRST_ROW + 20,
                                                        max_col=2, values_only=True)):
            label = cell_text(values[0]) if values else None
            if label:
                value = cell_text(values[1]) if len(values) > 1 else None
                rows.append((t.COVER_SHEET, f"B{t.COVER_FIRST_ROW + offset}", None, label.strip(), "Value", value))
        if not any(r[3] == "Agreement reference" for r in rows):
            raise BadInput(name, "the Cover sheet has no 'Agreement reference' in column A", f"{t.COVER_SHEET}!A4")
        # The version on the cover says which layout to read (an unknown one is read as the current
        # template; validation refuses the version). The Immediate Justice sheet is read when present:
        # whether the agreement needs it is the validation's question, with the register to hand.
        version = next((r[5] for r in rows if r[3] == "Template version"), None)
        grids = t.grids(version, immediate_justice=t.IMMEDIATE_JUSTICE.sheet in wb.sheetnames)
        required = [g.sheet for g in grids if g is not t.IMMEDIATE_JUSTICE]
        missing = [s for s in required if s not in wb.sheetnames]
        if missing:
            raise BadInput(name, f"missing sheet(s): {', '.join(missing)}; sheets must not be renamed or removed "
                                 f"(sheets found: {', '.join(wb.sheetnames)})")
        for grid in grids:
            rows += _grid_cells(wb[grid.sheet], grid, name)
        return rows, [f"{r[0]}!{r[1]}" for r in rows]
    finally:
        wb.close()


def _grid_cells(ws, grid: t.Grid, name: str) -> list[tuple]:
    n_labels = len(grid.labels)
    out = []
    header: list[str | None] = []
    for number, values in enumerate(ws.iter_rows(min_row=t.HEADER_ROW, values_only=True), start=t.HEADER_ROW):
        if number > t.HEADER_ROW + 2000:
            raise BadInput(name, "the sheet has more than 2,000 rows; a return never needs that many",
                           f"{grid.sheet}!A{number}")
        texts = [cell_text(v) for v in values]
        if number == t.HEADER_ROW:
            header = [(h or "").strip() for h in texts]
            expected = list(grid.labels + grid.values)
            if header[: len(expected)] != expected:
                raise BadInput(name, f"header row does not match the template; expected {', '.join(expected)}",
                               f"{grid.sheet}!A{t.HEADER_ROW}")
            continue
        labels = [(x or "").strip() for x in texts[:n_labels]]
        first = labels[0] if labels else ""
        if first == t.UNDERSPEND_LABEL and grid is t.FINANCE:
            out.append((grid.sheet, f"B{number}", None, t.UNDERSPEND_LABEL, "Value", texts[1] if len(texts) > 1 else None))
            continue
        if not any(labels):
            continue
        group, label = (labels[0], labels[1]) if n_labels == 2 else (None, labels[0])
        for offset, column in enumerate(grid.values):
            index = n_labels + offset
            value = texts[index] if index < len(texts) else None
            out.append((grid.sheet, f"{get_column_letter(index + 1)}{number}", group, label, column, value))
    return out
