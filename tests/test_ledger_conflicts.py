"""Conflicting ledger and police data is flagged, never settled silently or wrongly.

* A transaction listed twice in ONE export with different values is refused at the door, naming
  both lines; an exact repeat lands (the de-duplication keeps the first line: the dbt unit test
  ``repeat_inside_one_export_keeps_the_first_line``).
* A police month re-downloaded with fewer than half the rows of the copy it would replace is
  refused before it replaces it, unless put under ``police/accepted/``.
* A later export that changes a transaction lands (the finance system's truth) and is listed by
  ``int_ledger_lines_revised`` (dbt unit test ``revisions_between_exports_are_listed``) and
  :mod:`dagster_project.flags`.

Every expected value was worked out by hand from the inputs written here.
"""
from __future__ import annotations

import json
from decimal import Decimal

import duckdb

from dagster_project import flags
from dagster_project.extract.families import BY_NAME
from dagster_project.extract.ingest import ingest_family
from dagster_project.extract.landing import sha256_of
from dagster_project.load_ids import new_load_id
from dagster_project.extract.police import STREET
from tests.test_landing import ledger_row, query, write_ledger

D = Decimal
MARCH = "2024-03-west-yorkshire-street.csv"


def other_cost_centre(txn: str) -> str:
    return f"{txn},15/05/2024,2024-25 P02,CC-MOJ,5410,Harbour Support,WY-23-001,INV,100.00,Monthly invoice"


def export_with_gl1_on_lines_6_and_12(second_gl1: str) -> list[str]:
    # line 1 header; lines 2-5 GL2-GL5; line 6 GL1; lines 7-11 GL6-GL10; line 12 the second GL1
    return ([ledger_row(f"GL{i}") for i in range(2, 6)] + [ledger_row("GL1")]
            + [ledger_row(f"GL{i}") for i in range(6, 11)] + [second_gl1])


# --- a transaction twice in one export ---------------------------------------------------------

def test_repeat_with_another_amount_is_refused_naming_both_lines(tenant):
    write_ledger(tenant, "gl_2024-05.csv", export_with_gl1_on_lines_6_and_12(ledger_row("GL1", "120.00")))
    report = ingest_family(tenant, BY_NAME["ledger"], new_load_id())
    assert report.landed == []
    assert report.quarantined == [(
        "ledger/gl_2024-05.csv",
        "ledger/gl_2024-05.csv: line 6 and line 12: Transaction ID 'GL1' appears twice with different values "
        "(Amount '100.00' and '120.00'); a general-ledger export may list each Transaction ID once "
        "(exact repeats are ignored)")]
    assert query(tenant, "select count(*) from raw.ledger_lines") == [(0,)]
    assert not (tenant.inbox / "ledger" / "gl_2024-05.csv").exists()   # moved to quarantine


def test_three_copies_name_the_first_line_that_differs(tenant):
    # lines 2-4 GL1 (100.00 at CC-HO-VRU, twice exactly, then at CC-MOJ), line 5 GL2
    write_ledger(tenant, "gl_2024-05.csv", [ledger_row("GL1"), ledger_row("GL1"), other_cost_centre("GL1"),
                                            ledger_row("GL2")])
    [(_, reason)] = ingest_family(tenant, BY_NAME["ledger"], new_load_id()).quarantined
    assert reason == ("ledger/gl_2024-05.csv: line 2 and line 4: Transaction ID 'GL1' appears 3 times with "
                      "different values (Cost Centre 'CC-HO-VRU' and 'CC-MOJ'); a general-ledger export may list "
                      "each Transaction ID once (exact repeats are ignored)")


def test_exact_repeat_lands(tenant):
    write_ledger(tenant, "gl_2024-05.csv", export_with_gl1_on_lines_6_and_12(ledger_row("GL1")))
    report = ingest_family(tenant, BY_NAME["ledger"], new_load_id())
    assert report.quarantined == [] and report.landed == [("ledger/gl_2024-05.csv", 11)]
    assert query(tenant, "select _source_locator, amount from raw.ledger_lines where transaction_id = 'GL1' "
                         "order by _source_locator") == [("line 12", "100.00"), ("line 6", "100.00")]


def test_a_later_export_may_change_a_transaction(tenant):
    write_ledger(tenant, "gl_2024-05.csv", [ledger_row("GL1", "100.00")])
    write_ledger(tenant, "gl_2024-06.csv", [ledger_row("GL1", "120.00"), ledger_row("GL2")])
    report = ingest_family(tenant, BY_NAME["ledger"], new_load_id())
    assert report.quarantined == []
    assert report.landed == [("ledger/gl_2024-05.csv", 1), ("ledger/gl_2024-06.csv", 2)]


# --- a police month downloaded again with far fewer rows ----------------------------------------

def write_street(tenant, relative: str, crimes: int, month: str = "2024-03", prefix: str = "c") -> str:
    path = tenant.inbox / "police" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"{prefix}{i},{month},West Yorkshire Police,West Yorkshire Police,-1.5,53.8,On or near X,E01011229,"
            f"Leeds 001A,Burglary,," for i in range(crimes)]
    path.write_bytes(("\r\n".join([",".join(STREET.header), *rows]) + "\r\n").encode())
    return f"police/{relative}"


def land_police(tenant):
    return ingest_family(tenant, BY_NAME["police"], new_load_id())


def test_police_month_shrunk_below_half_is_refused_until_accepted(tenant):
    first = write_street(tenant, f"2024-03/{MARCH}", 10)
    first_sha = sha256_of(tenant.inbox / first)
    assert land_police(tenant).landed == [(first, 10)]

    write_street(tenant, f"2024-03/{MARCH}", 2, prefix="d")   # same name, other content: 2 < 10 / 2
    report = land_police(tenant)
    assert report.landed == []
    [(name, reason)] = report.quarantined
    assert name == first
    assert reason.startswith(f"{first}: has 2 rows, fewer than half the 10 rows of the copy of this month it "
                             f"would replace ({first}, landed ")
    assert f"sha256 {first_sha[:12]})" in reason
    assert f"in the inbox as police/accepted/{MARCH}: it will then replace the earlier copy" in reason
    assert query(tenant, "select count(*), min(_source_sha256) from raw.police_street") == [(10, first_sha)]

    accepted = write_street(tenant, f"accepted/{MARCH}", 2, prefix="d")
    assert land_police(tenant).landed == [(accepted, 2)]
    assert query(tenant, "select source_file, rows_loaded from meta.landed_files order by loaded_at") == [
        (first, 10), (accepted, 2)]


def test_police_month_a_little_smaller_lands(tenant):
    first = write_street(tenant, f"2024-03/{MARCH}", 10)
    land_police(tenant)
    write_street(tenant, f"2024-03/{MARCH}", 9, prefix="d")   # 9 >= 10 / 2
    report = land_police(tenant)
    assert report.quarantined == [] and report.landed == [(first, 9)]
    write_street(tenant, f"2024-03/{MARCH}", 5, prefix="e")   # 5 >= 9 / 2 (the latest copy now has 9)
    assert land_police(tenant).landed == [(first, 5)]


def test_shrunk_month_in_a_batch_is_found_and_named(tenant):
    first = write_street(tenant, f"2024-03/{MARCH}", 10)
    land_police(tenant)
    write_street(tenant, f"2024-03/{MARCH}", 2, prefix="d")
    april = write_street(tenant, "2024-04/2024-04-west-yorkshire-street.csv", 3, month="2024-04")
    report = land_police(tenant)   # two new files: tried as one batch first, then one by one
    assert report.landed == [(april, 3)]
    [(name, reason)] = report.quarantined
    assert name == first and "has 2 rows, fewer than half the 10 rows" in reason


def test_two_downloads_of_a_month_in_one_run_are_compared(tenant):
    first = write_street(tenant, f"2024-03/{MARCH}", 10)
    second = write_street(tenant, f"downloads/{MARCH}", 4, prefix="d")   # sorts after 2024-03/: 4 < 10 / 2
    report = land_police(tenant)
    assert report.landed == [(first, 10)]
    assert [(name, "has 4 rows, fewer than half the 10 rows" in reason) for name, reason in report.quarantined] == [
        (second, True)]


# --- revisions listed for the finance officer --------------------------------------------------

def revision_row(**changes) -> dict:
    row = {"transaction_id": "GL10000125", "changed": "amount",
           "earlier_amount": D("18756.50"), "earlier_posting_date": None, "earlier_cost_centre": "CC-HO-IJ",
           "earlier_agreement_ref": "WY-23-001", "earlier_journal_type": "INV",
           "earlier_source_file": "ledger/gl_export_2024-10.csv", "earlier_source_locator": "line 16",
           "latest_amount": D("19000.00"), "latest_posting_date": None, "latest_cost_centre": "CC-HO-IJ",
           "latest_agreement_ref": "WY-23-001", "latest_journal_type": "INV",
           "latest_source_file": "ledger/gl_export_2024-11.csv", "latest_source_locator": "line 16",
           "amount_change": D("243.50"),
           "feeds": [{"pack": "ho-immediate-justice", "period": "2024-25-Q3", "figure": "summary:HO-IJ:spend_in_period",
                      "sheet": "Summary", "cell": "D4"}]}
    row.update(changes)
    return row


def test_format_revisions_by_hand():
    credit = revision_row(transaction_id="GL2", earlier_amount=D("-50.00"), latest_amount=D("-75.00"),
                          amount_change=D("-25.00"), latest_cost_centre="CC-MOJ", feeds=[],
                          earlier_source_file="a.csv", earlier_source_locator="line 2",
                          latest_source_file="b.csv", latest_source_locator="line 3")
    moved = revision_row(transaction_id="GL3", earlier_amount=D("1234.00"), latest_amount=D("1234.00"),
                         amount_change=D("0.00"), earlier_agreement_ref=None, feeds=[])
    assert flags.format_revisions([revision_row(), credit, moved]) == [
        "GL10000125: £18,756.50 in ledger/gl_export_2024-10.csv line 16 became £19,000.00 in "
        "ledger/gl_export_2024-11.csv line 16 (+£243.50); moves ho-immediate-justice 2024-25-Q3 Summary!D4 "
        "(summary:HO-IJ:spend_in_period)",
        "GL2: -£50.00 in a.csv line 2 became -£75.00 in b.csv line 3 (-£25.00); cost centre CC-HO-IJ became CC-MOJ; "
        "feeds no rendered pack figure",
        "GL3: £1,234.00 in ledger/gl_export_2024-10.csv line 16 became £1,234.00 in ledger/gl_export_2024-11.csv "
        "line 16 (amount unchanged); agreement (none) became WY-23-001; feeds no rendered pack figure",
    ]


def test_ledger_revisions_lists_the_pack_figures_a_revision_feeds(tmp_path):
    """A hand-built warehouse: GL1 went from 100.00 to 120.00; its latest version is split 60/60 between
    two priorities of HO-IJ in 2024-25-Q3. The rendered Q3 pack's spend-in-quarter (D4) and spend year to
    date (E4) are fed (once each, though two parts feed each); its participants figure (returns) is not;
    a Q2 pack is not (no part in Q2)."""
    con = duckdb.connect()
    con.execute("create schema intermediate")
    con.execute("""create table intermediate.int_ledger_lines_revised as select
        'GL1' as transaction_id, 'amount' as changed, 100.00::decimal(18,2) as earlier_amount,
        date '2024-10-15' as earlier_posting_date, 'CC-HO-IJ' as earlier_cost_centre,
        'WY-23-001' as earlier_agreement_ref, 'INV' as earlier_journal_type,
        'ledger/gl_2024-10.csv' as earlier_source_file, 'line 2' as earlier_source_locator,
        'L1' as earlier_load_id, timestamp '2024-11-01 02:00:00' as earlier_loaded_at,
        120.00::decimal(18,2) as latest_amount, date '2024-10-15' as latest_posting_date,
        'CC-HO-IJ' as latest_cost_centre, 'WY-23-001' as latest_agreement_ref, 'INV' as latest_journal_type,
        'ledger/gl_2024-11.csv' as latest_source_file, 'line 3' as latest_source_locator,
        'L2' as latest_load_id, timestamp '2024-12-01 02:00:00' as latest_loaded_at,
        20.00::decimal(18,2) as amount_change""")
    con.execute("create schema returns")
    con.execute("""create table returns.rpt_ho_immediate_justice__contributions (period varchar, section varchar,
        row_key varchar, field varchar, source_kind varchar, amount decimal(18,2), transaction_id varchar,
        posting_date date, journal_type varchar, line_amount decimal(18,2), stream_id varchar, agreement_ref varchar,
        priority_id varchar, source_file varchar, source_sha256 varchar, source_locator varchar)""")
    for field in ("spend_in_period", "spend_year_to_date"):
        for priority in ("P1", "P2"):
            con.execute("""insert into returns.rpt_ho_immediate_justice__contributions values
                ('2024-25-Q3', 'summary', 'HO-IJ', ?, 'ledger line part', 60.00, 'GL1', date '2024-10-15', 'INV',
                 120.00, 'HO-IJ', 'WY-23-001', ?, 'ledger/gl_2024-11.csv', 'sha', 'line 3')""", [field, priority])
    packs = tmp_path / "reports"
    for period in ("2024-25-Q2", "2024-25-Q3"):
        folder = packs / "ho-immediate-justice" / period
        folder.mkdir(parents=True)
        figures = [{"id": f"summary:HO-IJ:{field}", "sheet": "Summary", "cell": cell, "key": {"stream_id": "HO-IJ"},
                    "value": "0"} for field, cell in (("participants", "B4"), ("spend_in_period", "D4"),
                                                      ("spend_year_to_date", "E4"))]
        (folder / "manifest.json").write_text(json.dumps({
            "tenant": "west_yorkshire", "pack": "ho-immediate-justice", "period": period,
            "spec": "reports/packs/ho-immediate-justice/HO-IJ-2023.yml", "figures": figures}))
    [revision] = flags.ledger_revisions(con, packs)
    assert revision["amount_change"] == D("20.00") and revision["latest_source_file"] == "ledger/gl_2024-11.csv"
    assert [(f["period"], f["sheet"], f["cell"], f["figure"]) for f in revision["feeds"]] == [
        ("2024-25-Q3", "Summary", "D4", "summary:HO-IJ:spend_in_period"),
        ("2024-25-Q3", "Summary", "E4", "summary:HO-IJ:spend_year_to_date")]
    assert flags.format_revisions([revision]) == [
        "GL1: £100.00 in ledger/gl_2024-10.csv line 2 became £120.00 in ledger/gl_2024-11.csv line 3 (+£20.00); "
        "moves ho-immediate-justice 2024-25-Q3 Summary!D4 (summary:HO-IJ:spend_in_period), "
        "ho-immediate-justice 2024-25-Q3 Summary!E4 (summary:HO-IJ:spend_year_to_date)"]


def test_ledger_revisions_before_the_first_build_is_empty(tmp_path):
    assert flags.ledger_revisions(duckdb.connect(), tmp_path) == []
