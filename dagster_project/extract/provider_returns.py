"""Provider quarterly monitoring returns (xlsx) -> ``raw.provider_return_cells``.

Long format: one raw row per input cell, located as ``Sheet!B7``, with the row and
column labels the provider saw. Values, never formulas. A workbook that is not a return
at all (no cover, missing sheets) is refused here; rule checks on the figures are the
validation step's job.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
from openpyxl.utils import get_column_letter

from dagster_project.extract.landing import BadInput, Provenance
from dagster_project.extract.workbooks import cell_text, insert_rows, open_workbook
from dagster_project.returns import template as t
from dagster_project.settings import TenantPaths

TABLE = "provider_return_cells"
COLUMNS = ("sheet", "cell", "row_group", "row_label", "column_label", "value")


def read_cells(path: Path, name: str) -> tuple[list[tuple], list[str]]:
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


def load_return(con: duckdb.DuckDBPyConnection, path: Path, prov: Provenance) -> int:
    rows, locators = read_cells(path, prov.source_file)
    return insert_rows(con, TABLE, COLUMNS, rows, prov, locators)


def register_dates(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[dt.date, dt.date]]:
    """Agreement dates from the latest agreements register loaded."""
    rows = con.execute("""
        select agreement_ref,
               coalesce(try_cast(start_date as date), cast(try_strptime(start_date, '%d/%m/%Y') as date)),
               coalesce(try_cast(end_date as date), cast(try_strptime(end_date, '%d/%m/%Y') as date))
        from raw.agreements
        qualify _source_sha256 = first_value(_source_sha256) over (order by _loaded_at desc, _source_file desc)
    """).fetchall()
    return {ref: (start, end) for ref, start, end in rows if start and end}


def register_categories(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each agreement's service category, from the latest agreements register loaded."""
    rows = con.execute("""
        select agreement_ref, service_category
        from raw.agreements
        qualify _source_sha256 = first_value(_source_sha256) over (order by _loaded_at desc, _source_file desc)
    """).fetchall()
    return {ref: category for ref, category in rows if ref}


class ReturnScreen:
    """Validates a batch of new returns before loading (see ``landing.Screen``) and keeps the feedback."""

    def __init__(self, paths: TenantPaths, today: dt.date | None = None):
        self.paths, self.today = paths, today
        self.verdicts: dict = {}

    def screen(self, con, files):
        from dagster_project.returns.validation import validate

        verdicts = validate(files, register_dates(con), self.today, categories=register_categories(con))
        self.verdicts = {v.file: v for v in verdicts}
        return self.verdicts

    def load(self, con, path: Path, prov: Provenance) -> int:
        verdict = self.verdicts.get(prov.source_file)
        if verdict is None or not verdict.rows:
            return load_return(con, path, prov)
        rows = verdict.rows
        return insert_rows(con, TABLE, COLUMNS, rows, prov, [f"{r[0]}!{r[1]}" for r in rows])

    def quarantined(self, con, verdict, kept: Path, sha: str, load_id: str) -> None:
        from dagster_project.returns.feedback import write_feedback

        written = write_feedback(verdict, kept, kept.parent, kept.name)
        self._record(con, verdict, sha, load_id, written[0])

    def loaded(self, con, verdict, prov: Provenance, path: Path) -> None:
        from dagster_project.returns.feedback import write_feedback

        feedback = None
        if verdict.warnings:
            folder = self.paths.root / "feedback" / "provider_returns"
            stem = f"{prov.loaded_at:%Y%m%dT%H%M%S}-{prov.sha256[:8]}__{path.name}"
            feedback = write_feedback(verdict, path, folder, stem)[0]
        self._record(con, verdict, prov.sha256, prov.load_id, feedback)

    def _record(self, con, verdict, sha: str, load_id: str, feedback: Path | None) -> None:
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        problems = verdict.problems or [None]
        con.executemany("insert into meta.provider_return_feedback values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            [sha, verdict.file, verdict.status, p and p.severity, p and p.sheet, p and p.cell,
             None if p is None or p.value is None else str(p.value), p and p.rule, p and p.fix, load_id, now,
             str(feedback) if feedback else None] for p in problems])
