"""Bad input of many kinds: each gets a message naming the file, the place and what was expected."""
from __future__ import annotations

import zipfile

import pytest

from dagster_project.extract.families import BY_NAME
from dagster_project.extract.ingest import ingest_family
from dagster_project.load_ids import new_load_id
from tests.test_landing import HEADER, ledger_row, query, write_ledger


def only_reason(report) -> str:
    assert report.landed == []
    [(_, reason)] = report.quarantined
    return reason


def test_empty_csv(tenant):
    (tenant.inbox / "ledger").mkdir(parents=True)
    (tenant.inbox / "ledger" / "gl_empty.csv").write_bytes(b"")
    reason = only_reason(ingest_family(tenant, BY_NAME["ledger"], new_load_id()))
    assert reason.startswith("ledger/gl_empty.csv: ") and "empty (0 bytes)" in reason


def test_wrong_header_names_missing_and_unexpected_columns(tenant):
    header = HEADER.replace("Amount", "Value")
    write_ledger(tenant, "gl_2024-05.csv", [ledger_row("GL1")], header=header)
    reason = only_reason(ingest_family(tenant, BY_NAME["ledger"], new_load_id()))
    assert "gl_2024-05.csv: line 1:" in reason
    assert "missing column(s): Amount" in reason and "unexpected column(s): Value" in reason


def test_other_encoding_names_the_line(tenant):
    folder = tenant.inbox / "ledger"
    folder.mkdir(parents=True)
    text = "\r\n".join([HEADER, ledger_row("GL1"), ledger_row("GL2").replace("Monthly invoice", "Café costs £40")])
    (folder / "gl_cp1252.csv").write_bytes(text.encode("cp1252"))
    reason = only_reason(ingest_family(tenant, BY_NAME["ledger"], new_load_id()))
    assert "line 3" in reason and "not UTF-8" in reason and "CSV UTF-8" in reason


def test_byte_order_mark_is_accepted(tenant):
    folder = tenant.inbox / "ledger"
    folder.mkdir(parents=True)
    (folder / "gl_bom.csv").write_bytes(b"\xef\xbb\xbf" + ("\r\n".join([HEADER, ledger_row("GL1")]) + "\r\n").encode())
    report = ingest_family(tenant, BY_NAME["ledger"], new_load_id())
    assert report.landed == [("ledger/gl_bom.csv", 1)]


def test_truncated_csv_names_the_line(tenant):
    write_ledger(tenant, "gl_cut.csv", [ledger_row("GL1"), ledger_row("GL2")[:30]])
    reason = only_reason(ingest_family(tenant, BY_NAME["ledger"], new_load_id()))
    assert "line 3" in reason and "truncated" in reason


def test_unterminated_quote(tenant):
    write_ledger(tenant, "gl_quote.csv", [ledger_row("GL1"), ledger_row("GL2").replace("Monthly", '"Monthly')])
    reason = only_reason(ingest_family(tenant, BY_NAME["ledger"], new_load_id()))
    assert "line 3" in reason and "never be closed" in reason


def test_bad_date_and_period(tenant):
    write_ledger(tenant, "gl_dates.csv", [ledger_row("GL1", date="2024-05-15")])
    reason = only_reason(ingest_family(tenant, BY_NAME["ledger"], new_load_id()))
    assert "line 2, column 'Posting Date': '2024-05-15' is not a date as DD/MM/YYYY" in reason


def test_spreadsheet_saved_with_csv_name(tenant):
    folder = tenant.inbox / "ledger"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / "gl_really_xlsx.csv", "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    reason = only_reason(ingest_family(tenant, BY_NAME["ledger"], new_load_id()))
    assert "spreadsheet" in reason and "CSV UTF-8" in reason


@pytest.mark.parametrize("content, words", [
    (b"", "empty (0 bytes)"),
    (b"Provider,Quarter\r\nHarbour,2024-25-Q1\r\n", "not an Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "password-protected or in the old .xls format"),
    (b"PK\x03\x04" + b"\0" * 40, "damaged or truncated"),
])
def test_unreadable_workbooks(tenant, content, words):
    folder = tenant.inbox / "provider_returns"
    folder.mkdir(parents=True)
    (folder / "return.xlsx").write_bytes(content)
    reason = only_reason(ingest_family(tenant, BY_NAME["provider_returns"], new_load_id()))
    assert reason.startswith("provider_returns/return.xlsx: ") and words in reason


def test_hostile_xml_is_refused(tenant):
    """An xlsx whose sheet declares XML entities (a 'billion laughs' bomb) is refused, not expanded."""
    from openpyxl import Workbook
    import io

    wb = Workbook()
    buffer = io.BytesIO()
    wb.save(buffer)
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol2;</workbook>')
    folder = tenant.inbox / "agreements"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(folder / "register.xlsx", "w") as dst:
        for item in src.infolist():
            dst.writestr(item, bomb if item.filename == "xl/workbook.xml" else src.read(item.filename))
    reason = only_reason(ingest_family(tenant, BY_NAME["agreements"], new_load_id()))
    assert "agreements/register.xlsx" in reason and ("entity" in reason.lower() or "cannot be read" in reason)


def register_with(tenant, sheet: str, cell: str, value) -> None:
    """The demo register for this tenant with one cell changed, in the tenant's inbox."""
    import random

    from openpyxl import load_workbook

    from dagster_project.demo.commissioning import build_commissioning
    from dagster_project.demo.generator import demo_years, write_register

    path = tenant.inbox / "agreements" / "register.xlsx"
    write_register(build_commissioning(tenant, demo_years(tenant), random.Random(1)), path)
    wb = load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)


def test_register_with_text_in_a_money_cell_names_the_cell(tenant):
    register_with(tenant, "Agreements", "L4", "about £50k")
    reason = only_reason(ingest_family(tenant, BY_NAME["agreements"], new_load_id()))
    assert "Agreements!L4" in reason and "'Annual value' is 'about £50k'" in reason
    assert query(tenant, "select count(*) from raw.agreements") == [(0,)]
    assert query(tenant, "select count(*) from raw.providers") == [(0,)]


def test_register_missing_a_sheet(tenant):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Providers"
    (tenant.inbox / "agreements").mkdir(parents=True)
    wb.save(tenant.inbox / "agreements" / "register.xlsx")
    reason = only_reason(ingest_family(tenant, BY_NAME["agreements"], new_load_id()))
    assert "header does not match" in reason or "no sheet named" in reason


def test_police_file_with_a_foreign_header(tenant):
    folder = tenant.inbox / "police" / "2024-05"
    folder.mkdir(parents=True)
    (folder / "2024-05-west-yorkshire-street.csv").write_text("Crime ID,Month,Crime type\r\nabc,2024-05,Drugs\r\n")
    reason = only_reason(ingest_family(tenant, BY_NAME["police"], new_load_id()))
    assert "line 1" in reason and "missing column(s): Reported by" in reason


def test_register_with_an_unknown_funding_stream_names_the_cell(tenant):
    ingest_family(tenant, BY_NAME["tenant_config"], new_load_id())
    register_with(tenant, "Funding split", "B3", "MOJ-VICTIMS")
    reason = only_reason(ingest_family(tenant, BY_NAME["agreements"], new_load_id()))
    assert "Funding split!B3" in reason and "'Stream ID' is 'MOJ-VICTIMS', which is not known" in reason


def test_two_fields_too_many_and_more_bad_lines(tenant):
    write_ledger(tenant, "gl_commas.csv", [ledger_row("GL1"), ledger_row("GL2", amount="1,250,000.00"),
                                           ledger_row("GL3")[:30]])
    reason = only_reason(ingest_family(tenant, BY_NAME["ledger"], new_load_id()))
    assert "gl_commas.csv: line 3: expected 10 fields, found 12" in reason and "more lines after it" in reason


def test_lines_are_numbered_as_landed_rows_are(tenant):
    """A quoted value spanning two lines is one record: the line named is the record's, header line 1,
    as in a landed row's locator (and as DuckDB's reader counts)."""
    spanning = ledger_row("GL1").replace("Monthly invoice", '"Monthly\r\ninvoice"')
    write_ledger(tenant, "gl_spanning.csv", [spanning, ledger_row("GL2"), ledger_row("GL3")[:30]])
    reason = only_reason(ingest_family(tenant, BY_NAME["ledger"], new_load_id()))
    assert "gl_spanning.csv: line 4: expected 10 fields, found 4" in reason


def test_text_after_a_closing_quote_names_the_line(tenant):
    write_ledger(tenant, "gl_quoted.csv", [ledger_row("GL1"),
                                           ledger_row("GL2").replace("Monthly invoice", '"Monthly" invoice')])
    reason = only_reason(ingest_family(tenant, BY_NAME["ledger"], new_load_id()))
    assert "gl_quoted.csv: line 3: a quoted value is never closed, or has text after its closing quote" in reason
