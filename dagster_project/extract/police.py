"""data.police.uk street-level crime and outcomes CSVs, in the exact published layout.

Files sit in month folders: ``YYYY-MM/YYYY-MM-<force>-street.csv`` (and ``-outcomes.csv``).
Real quirks kept as they are: empty Crime ID on anti-social behaviour, blank LSOA,
"South Yorkshire" without "Police" in older files, CRLF line endings.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from dagster_project.extract.csv_files import CsvSpec, decimal_number, year_month
from dagster_project.extract.landing import BadInput

# A download that replaces an earlier one of the same name with fewer than half its rows is
# refused, unless it is put in this sub-folder of police/ to say the smaller file is right.
ACCEPTED_FOLDER = "accepted"

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


def landed_copies(con, source_files: list[str]) -> dict[str, tuple[int, object, str, str]]:
    """The latest landed copy of each file name (not path) among ``source_files``:
    name -> (rows, loaded_at, sha256, source_file), from ``meta.landed_files``."""
    names = sorted({PurePosixPath(f).name for f in source_files})
    if not names:
        return {}
    rows = con.execute(f"""
        select regexp_extract(source_file, '[^/]+$') as name, rows_loaded, loaded_at, sha256, source_file
        from meta.landed_files
        where family = 'police' and regexp_extract(source_file, '[^/]+$') in ({", ".join("?" for _ in names)})
        qualify row_number() over (partition by name order by loaded_at desc, sha256) = 1""", names).fetchall()
    return {name: (n, at, sha, source) for name, n, at, sha, source in rows}


def refuse_shrunken(files: list[tuple[str, int]], earlier: dict[str, tuple[int, object, str, str]]) -> None:
    """Raise :class:`BadInput` for the first file (source_file, rows) with fewer than half the rows of the
    landed copy of its name it would replace: a download cut short would otherwise silently replace a
    whole month. A file under ``police/accepted/`` is the operator's word that the smaller file is right."""
    for source_file, rows in files:
        path = PurePosixPath(source_file)
        if path.parent.name == ACCEPTED_FOLDER or path.name not in earlier:
            continue
        before, loaded_at, sha, before_file = earlier[path.name]
        if rows * 2 < before:
            raise BadInput(source_file, (
                f"has {rows} rows, fewer than half the {before} rows of the copy of this month it would replace "
                f"({before_file}, landed {loaded_at:%Y-%m-%d %H:%M} UTC, sha256 {sha[:12]}); a download cut short? "
                f"Download the month again from data.police.uk. If the smaller file is right, put it (now in the "
                f"quarantine folder) in the inbox as police/{ACCEPTED_FOLDER}/{path.name}: it will then replace the "
                f"earlier copy"))
