"""Provider quarterly monitoring returns (xlsx) -> ``raw.provider_return_cells``: the landing step.

Data flows one way: ``returns.reader`` reads a workbook into cells, ``returns.validation``
judges them (and a batch of returns together), and this module lands the returns the
validation accepted, with the feedback for every return, into the warehouse.

Long format: one raw row per input cell, located as ``Sheet!B7``, with the row and
column labels the provider saw.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from dagster_project.checks.suites import keep_results
from dagster_project.extract.landing import Provenance
from dagster_project.extract.workbooks import insert_rows
from dagster_project.returns.feedback import write_feedback
from dagster_project.returns.reader import read_cells
from dagster_project.returns.validation import validate
from dagster_project.settings import TenantPaths

TABLE = "provider_return_cells"
COLUMNS = ("sheet", "cell", "row_group", "row_label", "column_label", "value")


def load_return(con: duckdb.DuckDBPyConnection, path: Path, prov: Provenance) -> int:
    """Read a return and insert its cells (a return landed without a verdict at hand); the rows inserted."""
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
        """Validate the new returns together, against the latest agreements register; a verdict per file."""
        verdicts = validate(files, register_dates(con), self.today, categories=register_categories(con))
        self.verdicts = {v.file: v for v in verdicts}
        return self.verdicts

    def load(self, con, path: Path, prov: Provenance) -> int:
        """Insert the return's cells as validation read them (read again only if it has none); the rows."""
        verdict = self.verdicts.get(prov.source_file)
        if verdict is None or not verdict.rows:
            return load_return(con, path, prov)
        rows = verdict.rows
        return insert_rows(con, TABLE, COLUMNS, rows, prov, [f"{r[0]}!{r[1]}" for r in rows])

    def quarantined(self, con, verdict, kept: Path, sha: str, load_id: str) -> None:
        """A rejected return: its feedback beside the quarantined file, and on record."""
        written = write_feedback(verdict, kept, kept.parent, kept.name)
        self._record(con, verdict, sha, load_id, written[0])

    def loaded(self, con, verdict, prov: Provenance, path: Path) -> None:
        """A landed return: feedback for its warnings, if any, its verdict on record, and each suite's
        failures in it (so the asset checks reuse them)."""
        feedback = None
        if verdict.warnings:
            folder = self.paths.root / "feedback" / "provider_returns"
            stem = f"{prov.loaded_at:%Y%m%dT%H%M%S}-{prov.sha256[:8]}__{path.name}"
            feedback = write_feedback(verdict, path, folder, stem)[0]
        self._record(con, verdict, prov.sha256, prov.load_id, feedback)
        keep_results(con, {(key, prov.sha256): records for key, records in verdict.suite_results.items()})

    def _record(self, con, verdict, sha: str, load_id: str, feedback: Path | None) -> None:
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        problems = verdict.problems or [None]
        con.executemany("insert into meta.provider_return_feedback values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            [sha, verdict.file, verdict.status, p and p.severity, p and p.sheet, p and p.cell,
             None if p is None or p.value is None else str(p.value), p and p.rule, p and p.fix, load_id, now,
             str(feedback) if feedback else None] for p in problems])
