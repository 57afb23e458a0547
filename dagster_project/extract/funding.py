"""Funding allocations: one row per stream and financial year, from grant award letters."""
from __future__ import annotations

from dagster_project.extract.csv_files import CsvSpec, financial_year, iso_date, money

ALLOCATIONS = CsvSpec(
    table="funding_allocations",
    what="funding allocations file",
    header=("stream_id", "financial_year", "allocation", "award_reference", "award_date", "source"),
    columns=("stream_id", "financial_year", "allocation", "award_reference", "award_date", "source_note"),
    required=("stream_id", "financial_year", "allocation"),
    checks=(financial_year("financial_year"), money("allocation"), iso_date("award_date")),
)
