"""Open xlsx files defensively and write their cells into raw tables.

openpyxl reads values, never formulas (``data_only=True``); defusedxml, when installed
(it is pinned), makes it refuse hostile XML such as entity expansion. Files that are
empty, not a workbook, password-protected or implausibly large when unzipped are
refused with a reason before openpyxl sees them.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import duckdb
import pandas as pd

from dagster_project.extract.landing import BadInput, Provenance, ensure_raw_table

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def open_workbook(path: Path, name: str):
    """Return an openpyxl workbook (values only) or raise :class:`BadInput` saying why not."""
    import openpyxl

    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise BadInput(name, "the file is empty (0 bytes); expected an Excel workbook (.xlsx)")
    if head.startswith(OLE_MAGIC):
        raise BadInput(name, "the workbook is password-protected or in the old .xls format; remove the password "
                             "(File > Info > Protect Workbook) and save it as an Excel Workbook (.xlsx)")
    if head.startswith(b"PK") and not zipfile.is_zipfile(path):
        raise BadInput(name, "the workbook is damaged or truncated (it was not saved or sent completely); "
                             "save it again from Excel and resend")
    if not zipfile.is_zipfile(path):
        raise BadInput(name, "not an Excel workbook (.xlsx): the file is not in the xlsx format; if it is a CSV "
                             "or PDF, send the completed xlsx template instead")
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            unzipped = sum(m.file_size for m in members)
            names = {m.filename for m in members}
            if zf.testzip() is not None:
                raise BadInput(name, "the workbook is damaged (a part fails its checksum); save it again from Excel")
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    with zf.open(member) as part:
                        head = part.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise BadInput(name, f"the workbook contains XML entity declarations ({member.filename}), "
                                             "which are refused for safety; save it again from Excel")
    except zipfile.BadZipFile:
        raise BadInput(name, "the workbook is damaged or truncated; save it again from Excel") from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise BadInput(name, f"the workbook unpacks to {unzipped // (1024 * 1024)} MiB, more than the "
                             f"{MAX_UNZIPPED_BYTES // (1024 * 1024)} MiB a return or register can need")
    if "xl/workbook.xml" not in names:
        raise BadInput(name, "not an Excel workbook (.xlsx): no workbook part inside (is it a Word or other Office file?)")
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl and defusedxml raise many kinds
        kind = type(exc).__name__
        if "Entities" in kind or "DTD" in kind or "Forbidden" in kind:
            raise BadInput(name, "the workbook contains XML entity declarations, which are refused for safety; "
                                 "save it again from Excel") from None
        raise BadInput(name, f"the workbook cannot be read ({kind}: {str(exc)[:200]})") from None


def cell_text(value: Any) -> str | None:
    """A cell's value as text, exactly: numbers without float noise, dates as ISO."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        text = format(Decimal(repr(value)).normalize(), "f")
        return text
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return text if text.strip() else None


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, columns: Iterable[str], rows: list[tuple],
                prov: Provenance, locators: list[str]) -> int:
    """Insert text rows plus provenance into ``raw.<table>`` (created if missing)."""
    columns = list(columns)
    ensure_raw_table(con, table, columns)
    if not rows:
        return 0
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    frame["_source_locator"] = locators
    con.register("_incoming_rows", frame)
    try:
        lit = prov.sql_literals()
        select = ", ".join(f'cast("{c}" as varchar)' for c in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        con.execute(f"""insert into raw.{table} ({names}, _source_file, _source_sha256, _source_locator,
                                                _loaded_at, _load_id)
                        select {select}, {lit['file']}, {lit['sha']}, cast(_source_locator as varchar),
                               {lit['at']}, {lit['load']} from _incoming_rows""")
    finally:
        con.unregister("_incoming_rows")
    return len(rows)
