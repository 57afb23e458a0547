"""Reference inputs an office downloads from ONS: Census 2021 tables and the LSOA lookup.

Census tables come in two real layouts, both read here into one long raw table
(``raw.census_observations``: table, geography, measure, value):

* Nomis *bulk* files (``census2021-ts021-ltla.csv``): header ``date,geography,geography
  code,<measure>...``, one row per area;
* Nomis *web-query* downloads: a preamble naming the table (``TS021 - Ethnic group``),
  a header line, rows like ``E01007434 : Barnsley 001A,2462,100,...`` with ``%`` columns
  beside each count, then a footer.

The LSOA11 -> LSOA21 -> LAD lookup comes as the ONS "exact" or "best-fit" file; each has
its own header (both with a UTF-8 byte-order mark).
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import duckdb

from dagster_project.extract.csv_files import (Check, CsvSpec, load_csv, read_header, read_strictly,
                                               reader_options, verify_record_count)
from dagster_project.extract.landing import BadInput, Provenance, ensure_raw_table

LOOKUP_EXACT = CsvSpec(
    table="lsoa_lookup_exact",
    what="ONS exact LSOA11-LSOA21-LAD22 lookup",
    header=("LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "CHGIND", "LAD22CD", "LAD22NM", "LAD22NMW", "ObjectId"),
    columns=("lsoa11_code", "lsoa11_name", "lsoa21_code", "lsoa21_name", "change_indicator", "lad22_code",
             "lad22_name", "lad22_name_welsh", "object_id"),
    required=("lsoa11_code", "lsoa21_code", "lad22_code"),
    checks=(Check("change_indicator", "v in ('U', 'S', 'M', 'X')", "a change indicator U, S, M or X"),
            Check("lsoa21_code", "regexp_full_match(v, '[EW]01[0-9]{6}')", "an LSOA code like E01011954"),
            Check("lad22_code", "regexp_full_match(v, '[EW]0[6-9][0-9]{6}')", "a local authority code like E08000035")),
)

LOOKUP_BEST_FIT = CsvSpec(
    table="lsoa_lookup_best_fit",
    what="ONS best-fit LSOA11-LSOA21-LAD22 lookup",
    header=("ObjectId", "LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "LAD22CD", "LAD22NM", "LAD22NMW"),
    columns=("object_id", "lsoa11_code", "lsoa11_name", "lsoa21_code", "lsoa21_name", "lad22_code", "lad22_name",
             "lad22_name_welsh"),
    required=("lsoa11_code", "lsoa21_code", "lad22_code"),
    checks=(Check("lsoa21_code", "regexp_full_match(v, '[EW]01[0-9]{6}')", "an LSOA code like E01011954"),),
)

CENSUS_TABLE = "census_observations"
TABLE_CODE = re.compile(r"\b(ts\d{3}[a-z]?)\b", re.IGNORECASE)
AREA_CELL = re.compile(r"^([EWSNK]\d{8}) : (.+)$")


def load_lookup(con: duckdb.DuckDBPyConnection, path: Path, prov: Provenance) -> int:
    header = [h.strip() for h in read_header(path, prov.source_file)]
    for spec in (LOOKUP_EXACT, LOOKUP_BEST_FIT):
        if header == list(spec.header):
            return load_csv(con, path, prov, spec)
    raise BadInput(prov.source_file, "header matches neither ONS LSOA lookup layout. Expected exactly "
                   f"{','.join(LOOKUP_EXACT.header)} (exact) or {','.join(LOOKUP_BEST_FIT.header)} (best-fit)",
                   "line 1")


CENSUS_COLUMNS = ("table_code", "census_date", "geography_code", "geography_name", "measure", "value")


def ensure_census_table(con: duckdb.DuckDBPyConnection) -> None:
    ensure_raw_table(con, CENSUS_TABLE, CENSUS_COLUMNS)


def load_census(con: duckdb.DuckDBPyConnection, path: Path, prov: Provenance) -> int:
    name = prov.source_file
    header = read_header(path, name)
    ensure_census_table(con)
    if [h.strip() for h in header[:3]] == ["date", "geography", "geography code"]:
        rows = _load_bulk(con, path, prov, header)
    elif header and re.match(r"^TS\d{3}[A-Z]? - ", header[0].strip()):
        rows = _load_web_query(con, path, prov, header[0])
    else:
        raise BadInput(name, "not a Nomis census table: expected a bulk file starting 'date,geography,geography code' "
                             "or a web-query download whose first line names the table, like 'TS021 - Ethnic group'",
                       "line 1")
    if rows == 0:
        raise BadInput(name, "contains no area rows")
    bad = con.execute(f"""select _source_locator, value from raw.{CENSUS_TABLE}
                          where _source_sha256 = ? and not regexp_full_match(coalesce(value, ''), '[0-9]+')
                          limit 3""", [prov.sha256]).fetchall()
    if bad:
        raise BadInput(name, "; ".join(f"{loc}: {val!r} is not a count (a whole number)" for loc, val in bad))
    return rows


def _load_bulk(con, path: Path, prov: Provenance, header: list[str]) -> int:
    match = TABLE_CODE.search(Path(prov.source_file).name)
    if not match:
        raise BadInput(prov.source_file, "the file name does not say which census table it is; keep the Nomis name, "
                                         "e.g. census2021-ts021-ltla.csv")
    measures = [h for h in header[3:]]
    if not measures:
        raise BadInput(prov.source_file, "no measure columns after 'geography code'", "line 1")
    lit = prov.sql_literals()
    quoted = ", ".join('"' + m.replace('"', '""') + '"' for m in measures)
    # A file with a rejected line is refused after the insert: the landing transaction takes its rows back out.
    read_strictly(con, f"""
            insert into raw.{CENSUS_TABLE}
            with numbered as (
                select *, row_number() over () + 1 as _line
                from read_csv(?, {reader_options(header)}, parallel = false))
            select '{match.group(1).upper()}', "date", "geography code", "geography", measure, value,
                   {lit['file']}, {lit['sha']}, 'line ' || _line || ', column ''' || replace(measure, '''', '''''') || '''',
                   {lit['at']}, {lit['load']}
            from (unpivot numbered on {quoted} into name measure value value)""", path, prov.source_file, len(header))
    areas = con.execute(f"""select count(distinct split_part(_source_locator, ',', 1)) from raw.{CENSUS_TABLE}
                            where _source_sha256 = ?""", [prov.sha256]).fetchone()[0]
    verify_record_count(path, areas, prov.source_file)
    return _count(con, prov)


def _load_web_query(con, path: Path, prov: Provenance, title: str) -> int:
    table_code = title.split(" - ", 1)[0].strip().upper()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        preamble = [next(fh, "") for _ in range(40)]
    header_index = None
    for i, line in enumerate(preamble):
        fields = next(csv.reader(io.StringIO(line)), [])
        if len(fields) > 1 and fields[1].startswith("Total"):
            header_index, header = i, fields
            break
    if header_index is None:
        raise BadInput(prov.source_file, "no column header line (a line whose second column starts with 'Total') "
                                         "in the first 40 lines of this Nomis download")
    width = len(header)
    # Counts sit in the columns whose header is not "%" (each count is followed by its percentage).
    value_cols = [(i, h) for i, h in enumerate(header) if i > 0 and h.strip() and h.strip() != "%"]
    lit = prov.sql_literals()
    names = {f"c{i}": "VARCHAR" for i in range(width)}
    cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in names.items()) + "}"
    values = ", ".join("(" + ", ".join(["'" + h.replace("'", "''") + "'", f"c{i}", f"{i + 1}"]) + ")"
                       for i, h in value_cols)
    con.execute(f"""
        insert into raw.{CENSUS_TABLE}
        with numbered as (
            select *, row_number() over () + {header_index + 1} as _line
            from read_csv(?, columns = {cols}, header = false, skip = {header_index + 1}, auto_detect = false,
                          delim = ',', quote = '"', escape = '"', strict_mode = false, null_padding = true,
                          parallel = false))
        select '{table_code}', null, regexp_extract(c0, '^([EWSNK][0-9]{{8}}) : ', 1),
               regexp_extract(c0, '^[EWSNK][0-9]{{8}} : (.+)$', 1), m.measure, m.value,
               {lit['file']}, {lit['sha']}, 'line ' || _line || ', column ' || m.col,
               {lit['at']}, {lit['load']}
        from numbered, lateral (values {values}) as m(measure, value, col)
        where regexp_matches(c0, '^[EWSNK][0-9]{{8}} : ')""", [str(path)])
    return _count(con, prov)


def _count(con, prov: Provenance) -> int:
    return con.execute(f"select count(*) from raw.{CENSUS_TABLE} where _source_sha256 = ?", [prov.sha256]).fetchone()[0]
