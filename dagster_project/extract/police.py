"""data.police.uk street-level crime and outcomes CSVs, in the exact published layout.

Files sit in month folders: ``YYYY-MM/YYYY-MM-<force>-street.csv`` (and ``-outcomes.csv``).
Real quirks kept as they are: empty Crime ID on anti-social behaviour, blank LSOA,
"South Yorkshire" without "Police" in older files, CRLF line endings.
"""
from __future__ import annotations

from dagster_project.extract.csv_files import CsvSpec, decimal_number, year_month

STREET = CsvSpec(
    table="police_street",
    what="data.police.uk street-level crime file",
    header=("Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
            "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"),
    columns=("crime_id", "month", "reported_by", "falls_within", "longitude", "latitude", "location",
             "lsoa_code", "lsoa_name", "crime_type", "last_outcome_category", "context"),
    required=("month", "crime_type"),
    checks=(year_month("month"), decimal_number("longitude"), decimal_number("latitude")),
)

OUTCOMES = CsvSpec(
    table="police_outcomes",
    what="data.police.uk outcomes file",
    header=("Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
            "LSOA code", "LSOA name", "Outcome type"),
    columns=("crime_id", "month", "reported_by", "falls_within", "longitude", "latitude", "location",
             "lsoa_code", "lsoa_name", "outcome_type"),
    required=("month", "outcome_type"),
    checks=(year_month("month"), decimal_number("longitude"), decimal_number("latitude")),
)


def spec_for(filename: str) -> CsvSpec | None:
    if filename.endswith("-street.csv"):
        return STREET
    if filename.endswith("-outcomes.csv"):
        return OUTCOMES
    return None
