"""Load a CSV with a known, exact header into a raw table through DuckDB's reader.

Raw columns are text, as received; staging casts them. Values are checked here, at the
door, so a bad file is refused with the line and column named rather than failing a
model later. Every check runs in SQL over the just-loaded rows (no Python row loops).

A line that breaks the CSV layout (too many or too few fields, a bad quote, bytes that are
not UTF-8) is recorded by DuckDB's reader (``store_rejects``) with its line and column, and
the file is refused whole (:func:`read_strictly`). Lines are counted as DuckDB counts
them, and as the raw rows' locators are: the header is line 1, and a quoted value spanning
lines keeps its record on one line number.
"""
from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.extract.landing import BadInput, Provenance, first_lines, ensure_raw_table, fingerprint

UTF8_BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class Check:
    """A rule a non-empty value of ``column`` must satisfy, as a SQL predicate on ``v``."""

    column: str
    predicate: str
    expected: str


@dataclass(frozen=True)
class CsvSpec:
    table: str
    header: tuple[str, ...]
    columns: tuple[str, ...]
    required: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    what: str = "file"
    # Columns that name a row: a file may repeat a row exactly (ignored), never with other values.
    unique_key: tuple[str, ...] = ()

    def __post_init__(self):
        assert len(self.header) == len(self.columns), self.table


# Reusable value rules.
def money(column: str) -> Check:
    return Check(column, r"regexp_full_match(v, '-?[0-9]+(\.[0-9]{1,2})?')",
                 "an amount in pounds with at most two decimals, e.g. 1250.00 or -99.5 (no £ sign or commas)")


def uk_date(column: str) -> Check:
    return Check(column, "try_strptime(v, '%d/%m/%Y') is not null", "a date as DD/MM/YYYY, e.g. 31/03/2025")


def iso_date(column: str) -> Check:
    return Check(column, "try_cast(v as date) is not null and regexp_full_match(v, '[0-9]{4}-[0-9]{2}-[0-9]{2}')",
                 "a date as YYYY-MM-DD, e.g. 2025-03-31")


def year_month(column: str) -> Check:
    return Check(column, "regexp_full_match(v, '[0-9]{4}-(0[1-9]|1[0-2])')", "a month as YYYY-MM, e.g. 2024-06")


def decimal_number(column: str) -> Check:
    return Check(column, "try_cast(v as double) is not null", "a number, e.g. -1.5497")


def whole_number(column: str) -> Check:
    return Check(column, "regexp_full_match(v, '[0-9]+')", "a whole number of 0 or more")


def financial_year(column: str) -> Check:
    return Check(column, r"regexp_full_match(v, '20[0-9]{2}-[0-9]{2}') and "
                         r"cast(substr(v, 6, 2) as int) = (cast(substr(v, 3, 2) as int) + 1) % 100",
                 "a financial year as YYYY-YY, e.g. 2024-25")


def ensure_table(con: duckdb.DuckDBPyConnection, spec: CsvSpec) -> None:
    ensure_raw_table(con, spec.table, spec.columns)


def read_header(path: Path, name: str) -> list[str]:
    """The first line as fields; refuses empty, binary and non-UTF-8 files with a clear reason."""
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    if not head:
        raise BadInput(name, "the file is empty (0 bytes); expected a CSV file with a header line")
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM):]
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise BadInput(name, "this is a spreadsheet (xlsx/xls), not a CSV file; save it as 'CSV UTF-8'")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BadInput(name, "the file is UTF-16 text; save it as 'CSV UTF-8'", "line 1")
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(name, f"not UTF-8 text (byte 0x{first[exc.start]:02X} at character {exc.start + 1}); "
                             "save the file as 'CSV UTF-8'", "line 1") from None
    return next(csv.reader([text]), [])


def check_header(found: list[str], spec: CsvSpec, name: str) -> None:
    expected = list(spec.header)
    if [f.strip() for f in found] == expected:
        return
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    detail = []
    if missing:
        detail.append("missing column(s): " + ", ".join(missing))
    if extra:
        detail.append("unexpected column(s): " + ", ".join(extra))
    if not detail:
        detail.append("the columns are in a different order")
    raise BadInput(name, f"header does not match the expected layout for a {spec.what} ({'; '.join(detail)}). "
                         f"Expected exactly: {','.join(expected)}", "line 1")


def load_csv(con: duckdb.DuckDBPyConnection, path: Path, prov: Provenance, spec: CsvSpec) -> int:
    """Insert the file's rows into ``raw.<table>``; raise :class:`BadInput` on anything wrong."""
    name = prov.source_file
    check_header(read_header(path, name), spec, name)
    ensure_table(con, spec)
    lit = prov.sql_literals()
    select_cols = ", ".join(f'"{c}"' for c in spec.columns)
    # The file is read into a temporary table and checked there, so the checks cost the size of
    # the file, not of everything already in the raw table; only a clean file is inserted.
    con.execute("drop table if exists _incoming_csv")
    try:
        read_strictly(con, f"""
            create temp table _incoming_csv as
            select {select_cols}, {lit['file']} as _source_file, {lit['sha']} as _source_sha256,
                   'line ' || (row_number() over () + 1) as _source_locator,
                   {lit['at']} as _loaded_at, {lit['load']} as _load_id
            from read_csv(?, {reader_options(spec.columns)}, parallel = false)""", path, name, len(spec.columns))
        rows = con.execute("select count(*) from _incoming_csv").fetchone()[0]
        if rows == 0:
            raise BadInput(name, "has a header but no data rows")
        verify_record_count(path, rows, name, prov.lines)
        problems = rule_breaks(con, spec)
        if problems:
            raise BadInput(name, "; ".join(problems[:5]) + (" (and more)" if len(problems) > 5 else ""))
        con.execute(f"insert into raw.{spec.table} by name select * from _incoming_csv")
    finally:
        con.execute("drop table if exists _incoming_csv")
    return rows


REJECTS, REJECT_SCANS = "_csv_rejects", "_csv_reject_scans"   # the reader's temporary tables

# What a rejected line means, in the office's words, by the reader's error type (a wrong number of
# fields and bytes that are not UTF-8 are worded in _refuse_rejected, with what was found).
REJECTED = {
    "UNQUOTED VALUE": "a quoted value is never closed, or has text after its closing quote (a quote inside a "
                      "quoted value is written twice, \"\"); the file may be truncated",
    "LINE SIZE OVER MAXIMUM": "the line is longer than the CSV reader accepts; the file may have lost its line "
                              "breaks, or may not be a CSV file",
}


def reader_options(columns, store_rejects: bool = True) -> str:
    """``read_csv`` options for an exact layout of text ``columns``: nothing guessed, strict quoting.

    With ``store_rejects`` a line that breaks the layout is recorded instead of ending the read, and
    the read must be run by :func:`read_strictly`. Without, the read fails at the first such line."""
    names = "{" + ", ".join("'" + c.replace("'", "''") + "': 'VARCHAR'" for c in columns) + "}"
    options = (f"columns = {names}, header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
               "strict_mode = true, null_padding = false")
    if store_rejects:   # the first line is named; a file of garbage need not fill memory with the rest
        options += (f", store_rejects = true, rejects_table = '{REJECTS}', rejects_scan = '{REJECT_SCANS}', "
                    "rejects_limit = 100")
    return options


def read_strictly(con: duckdb.DuckDBPyConnection, sql: str, path: Path, name: str, width: int) -> None:
    """Run ``sql``, whose one ``read_csv(?, {reader_options(...)})`` reads ``path`` (a layout of ``width``
    fields), and refuse the whole file with :class:`BadInput` if the reader rejected any line of it.

    What ``sql`` wrote stays for the caller to keep or roll back: a file is landed in one transaction."""
    try:
        con.execute(sql, [str(path)])
    except duckdb.InvalidInputException as exc:   # what the reader cannot record as a rejected line
        raise BadInput(name, f"cannot be read as CSV ({first_lines(exc, 1)})") from None
    _refuse_rejected(con, path, name, width)


def _refuse_rejected(con: duckdb.DuckDBPyConnection, path: Path, name: str, width: int) -> None:
    """Raise :class:`BadInput` naming the first line the last read rejected, what was wrong there and
    what was expected; return if it rejected none. The reader's tables are dropped once read, so the
    next read's are its own."""
    try:
        found = con.execute(f"""select line, error_type, min(column_idx), max(column_idx), count(*) over ()
                                from {REJECTS} group by line, error_type order by line limit 1""").fetchone()
    finally:
        con.execute(f"drop table if exists {REJECTS}")
        con.execute(f"drop table if exists {REJECT_SCANS}")
    if found is None:
        return
    line, error_type, first_column, last_column, kinds = found
    if error_type == "INVALID ENCODING":
        raise _unicode_error(path, name)
    if error_type in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
        # One rejected record per field too many (or missing), at that field's column_idx.
        fields = last_column if error_type == "TOO MANY COLUMNS" else first_column
        problem = (f"expected {width} fields, found {fields}; the file may be truncated or a value may contain "
                   "an unquoted comma")
    else:
        problem = REJECTED.get(error_type, f"cannot be read as CSV ({error_type.lower()})")
    more = " (and more lines after it)" if kinds > 1 else ""
    raise BadInput(name, problem + more, f"line {line}")


def load_csv_batch(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, Provenance]], spec: CsvSpec) -> list[int]:
    """Insert several files of one layout in one parallel read; the rows of each, in order.

    Gives the same raw rows as :func:`load_csv` on each file in turn. Raises on the first
    problem without saying which row: the caller then loads the files one by one, and
    :func:`load_csv` names the file, line and column.
    """
    for path, prov in files:
        check_header(read_header(path, prov.source_file), spec, prov.source_file)
    ensure_table(con, spec)
    select_cols = ", ".join(f'"{c}"' for c in spec.columns)
    con.execute("drop table if exists _incoming_csv")
    con.execute("drop table if exists _incoming_files")
    try:
        # Rows come in file order, so a file's lines follow from the temporary table's rowid
        # without a row_number() window, which would run on one thread.
        con.execute(f"""create temp table _incoming_csv as select {select_cols}, filename
                        from read_csv(?, {reader_options(spec.columns, store_rejects=False)}, filename = true)""",
                    [[str(path) for path, _ in files]])
        con.execute("""create temp table _incoming_files as
                       select filename, min(rowid) as first_rowid, count(*) as rows from _incoming_csv group by filename""")
        counts = dict(con.execute("select filename, rows from _incoming_files").fetchall())
        rows = [counts.get(str(path), 0) for path, _ in files]
        for (path, prov), n in zip(files, rows):
            if n == 0:
                raise BadInput(prov.source_file, "has a header but no data rows")
            verify_record_count(path, n, prov.source_file, prov.lines)
        problems = rule_breaks(con, spec, locator="filename || ', row ' || rowid", per_rule=1, file_column="filename")
        if problems:   # which file: loading the halves of the batch will say
            raise BadInput(files[0][1].source_file, "a file in this batch breaks the layout's rules: " + problems[0])
        con.execute("alter table _incoming_files add column source_file varchar")
        con.execute("alter table _incoming_files add column sha256 varchar")
        con.executemany("update _incoming_files set source_file = ?, sha256 = ? where filename = ?",
                        [[prov.source_file, prov.sha256, str(path)] for path, prov in files])
        at = files[0][1].sql_literals()
        targets = ", ".join(f'"{c}"' for c in spec.columns)
        con.execute(f"""insert into raw.{spec.table}
                ({targets}, _source_file, _source_sha256, _source_locator, _loaded_at, _load_id)
            select {", ".join(f'i."{c}"' for c in spec.columns)}, f.source_file, f.sha256,
                   'line ' || (i.rowid - f.first_rowid + 2), {at['at']}, {at['load']}
            from _incoming_csv as i join _incoming_files as f using (filename)""")
    except duckdb.InvalidInputException as exc:
        raise BadInput(files[0][1].source_file, f"a file in this batch cannot be read as CSV ({first_lines(exc, 1)})") \
            from None
    finally:
        con.execute("drop table if exists _incoming_csv")
        con.execute("drop table if exists _incoming_files")
    return rows


def rule_breaks(con: duckdb.DuckDBPyConnection, spec: CsvSpec, locator: str = "_source_locator",
                per_rule: int = 3, file_column: str = "_source_file") -> list[str]:
    """The required values, value rules and unique key ``_incoming_csv`` breaks, a few per rule, each
    placed by the SQL expression ``locator`` (``file_column`` tells the files of a batch apart)."""
    problems = []
    for column in spec.required:
        bad = con.execute(f"""select {locator} from _incoming_csv
                              where "{column}" is null or trim("{column}") = '' limit {per_rule}""").fetchall()
        problems += [f"{loc}, column '{spec.header[spec.columns.index(column)]}': empty; a value is required"
                     for (loc,) in bad]
    for check in spec.checks:
        bad = con.execute(f"""select loc, v from (
                                select {locator} as loc, "{check.column}" as v from _incoming_csv
                                where "{check.column}" is not null)
                              where not coalesce(({check.predicate}), false) limit {per_rule}""").fetchall()
        header_name = spec.header[spec.columns.index(check.column)]
        problems += [f"{loc}, column '{header_name}': {value!r} is not {check.expected}" for loc, value in bad]
    if spec.unique_key:
        problems += _key_clashes(con, spec, locator, per_rule, file_column)
    return problems


def _key_clashes(con: duckdb.DuckDBPyConnection, spec: CsvSpec, locator: str, per_rule: int,
                 file_column: str) -> list[str]:
    """Rows of one file with the same ``unique_key`` but other values: the first such row of each key
    and the first later row that differs from it. Rows are in file order by ``rowid``."""
    key = ", ".join(f'"{c}"' for c in spec.unique_key)
    values = ", ".join(f'"{c}"' for c in spec.columns)
    same_key = " and ".join(f'b."{c}" is not distinct from a."{c}"' for c in spec.unique_key)
    clashes = con.execute(f"""
        with numbered as (
            select rowid as r, {locator} as loc, {file_column} as f, {values}, [{values}] as row_values,
                   count(*) over (partition by {file_column}, {key}) as copies
            from _incoming_csv),
        firsts as (
            select * from numbered where copies > 1
            qualify row_number() over (partition by f, {key} order by r) = 1)
        select a.loc, b.loc, a.copies, a.row_values, b.row_values
        from firsts as a join numbered as b on b.f = a.f and {same_key} and b.r > a.r
        where b.row_values is distinct from a.row_values
        qualify row_number() over (partition by a.r order by b.r) = 1
        order by a.r limit {per_rule}""").fetchall()
    problems = []
    for first_loc, other_loc, copies, first, other in clashes:
        named = " and ".join(f"{_header(spec, c)} {first[spec.columns.index(c)]!r}" for c in spec.unique_key)
        differ = ", ".join(f"{_header(spec, c)} {a!r} and {b!r}"
                           for c, a, b in zip(spec.columns, first, other) if a != b)
        times = "twice" if copies == 2 else f"{copies} times"
        keys = " and ".join(_header(spec, c) for c in spec.unique_key)
        problems.append(f"{first_loc} and {other_loc}: {named} appears {times} with different values ({differ}); "
                        f"a {spec.what} may list each {keys} once (exact repeats are ignored)")
    return problems


def _header(spec: CsvSpec, column: str) -> str:
    return spec.header[spec.columns.index(column)]


def verify_record_count(path: Path, rows: int, name: str, lines: int | None = None) -> None:
    """Prove no record was lost: DuckDB silently drops a last row whose quote is never closed.

    When the file's line count matches header + rows there is nothing to prove. Otherwise
    (quoted values spanning lines, or a lost row) the file is re-counted with Python's
    strict CSV parser, which fails on an unterminated quote and names the line.
    """
    if (lines if lines is not None else fingerprint(path)[1]) == rows + 1:
        return
    records = 0
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            for _ in reader:
                records += 1
        except csv.Error as exc:
            raise BadInput(name, f"cannot be read as CSV ({exc}); a quoted value may never be closed, or the file "
                                 "may be truncated", f"line {reader.line_num}") from None
    if records - 1 != rows:
        raise BadInput(name, f"{records - 1} records in the file but {rows} could be read; the file may be damaged")


def _unicode_error(path: Path, name: str) -> BadInput:
    """The first byte that is not UTF-8, by physical line and character (the reader's record cannot show it)."""
    with open(path, "rb") as fh:
        for number, raw_line in enumerate(fh, start=1):
            try:
                raw_line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return BadInput(name, f"not UTF-8 text (byte 0x{raw_line[exc.start]:02X} at character {exc.start + 1}); "
                                      "the file looks like it was saved in another encoding such as Windows-1252. "
                                      "Save it as 'CSV UTF-8'", f"line {number}")
    return BadInput(name, "not UTF-8 text; save it as 'CSV UTF-8'")
