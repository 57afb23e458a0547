"""Provider quarterly monitoring returns (xlsx) -> ``raw.provider_return_cells``.

Long format: one raw row per input cell, located as ``Sheet!B7``, with the row and
column labels the provider saw. Values, never formulas. A workbook that is not a return
at all (no cover, missing sheets) is refused here; rule checks on the figures are the
validation step's job.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
from openpyxl.utils import get_column_letter

from dagster_project.extract.landing import BadInput, Provenance
from dagster_project.extract.workbooks import cell_text, insert_rows, open_workbook
from dagster_project.returns import template as t

TABLE = "provider_return_cells"
COLUMNS = ("sheet", "cell", "row_group", "row_label", "column_label", "value")


def read_cells(path: Path, name: str) -> tuple[list[tuple], list[str]]:
    wb = open_workbook(path, name)
    try:
        missing = [s for s in t.SHEETS if s != "Guidance" and s not in wb.sheetnames]
        if missing:
            raise BadInput(name, f"missing sheet(s): {', '.join(missing)}. This does not look like the quarterly "
                                 f"monitoring return template (sheets found: {', '.join(wb.sheetnames)})")
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
        for grid in t.GRIDS:
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


def load_return(con: duckdb.DuckDBPyConnection, path: Path, prov: Provenance) -> int:
    rows, locators = read_cells(path, prov.source_file)
    return insert_rows(con, TABLE, COLUMNS, rows, prov, locators)
