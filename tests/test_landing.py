"""Landing: archive by sha256, provenance on every row, idempotent reruns, whole-file loads."""
from __future__ import annotations

import os
import shutil

import duckdb
import pytest

from dagster_project.extract.families import BY_NAME
from dagster_project.extract.ingest import ingest_family
from dagster_project.extract.landing import PROVENANCE_COLUMNS, sha256_of
from dagster_project.load_ids import new_load_id
from dagster_project.extract.ledger import LEDGER
from dagster_project.settings import TenantPaths

HEADER = ",".join(LEDGER.header)


def ledger_row(txn: str, amount: str = "100.00", date: str = "15/05/2024") -> str:
    return f"{txn},{date},2024-25 P02,CC-HO-VRU,5410,Harbour Support,WY-23-001,INV,{amount},Monthly invoice"


def write_ledger(tenant, name: str, rows: list[str], header: str = HEADER) -> str:
    folder = tenant.inbox / "ledger"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("utf-8"))
    return name


def query(tenant, sql: str, params=()):
    con = duckdb.connect(str(TenantPaths.for_tenant(tenant.slug).warehouse), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_rows_carry_provenance_and_file_is_archived(tenant):
    write_ledger(tenant, "gl_2024-05.csv", [ledger_row("GL1"), ledger_row("GL2", "-25.50")])
    report = ingest_family(tenant, BY_NAME["ledger"], new_load_id())
    assert report.landed == [("ledger/gl_2024-05.csv", 2)]
    rows = query(tenant, f"select transaction_id, amount, {', '.join(PROVENANCE_COLUMNS)} from raw.ledger_lines "
                         "order by transaction_id")
    sha = sha256_of(tenant.inbox / "ledger" / "gl_2024-05.csv")
    assert [(r[0], r[1], r[2], r[3], r[4], r[6]) for r in rows] == [
        ("GL1", "100.00", "ledger/gl_2024-05.csv", sha, "line 2", report.load_id),
        ("GL2", "-25.50", "ledger/gl_2024-05.csv", sha, "line 3", report.load_id),
    ]
    archived = TenantPaths.for_tenant(tenant.slug).landing / "ledger" / f"{sha}.csv"
    assert archived.read_bytes() == (tenant.inbox / "ledger" / "gl_2024-05.csv").read_bytes()
    assert not os.access(archived, os.W_OK) or os.geteuid() == 0   # read-only (root may write anyway)
    assert oct(archived.stat().st_mode & 0o777) == "0o444"


def test_second_ingest_lands_nothing(tenant):
    write_ledger(tenant, "gl_2024-05.csv", [ledger_row("GL1")])
    ingest_family(tenant, BY_NAME["ledger"], new_load_id())
    again = ingest_family(tenant, BY_NAME["ledger"], new_load_id())
    assert again.landed == [] and again.skipped == ["ledger/gl_2024-05.csv"]
    assert query(tenant, "select count(*) from raw.ledger_lines") == [(1,)]


def test_same_content_under_another_name_is_not_loaded_twice(tenant):
    write_ledger(tenant, "gl_2024-05.csv", [ledger_row("GL1")])
    shutil.copyfile(tenant.inbox / "ledger" / "gl_2024-05.csv", tenant.inbox / "ledger" / "copy of gl_2024-05.csv")
    report = ingest_family(tenant, BY_NAME["ledger"], new_load_id())
    assert len(report.landed) == 1 and len(report.skipped) == 1
    assert query(tenant, "select count(*) from raw.ledger_lines") == [(1,)]


def test_a_bad_row_rejects_the_whole_file_and_the_rest_still_load(tenant):
    rows = [ledger_row(f"GL{i}") for i in range(1, 60)]
    rows[48] = ledger_row("GL49", amount="1,250.00")       # line 50: a comma-formatted amount, unquoted
    write_ledger(tenant, "gl_2024-05.csv", rows)
    write_ledger(tenant, "gl_2024-06.csv", [ledger_row("GL100")])
    report = ingest_family(tenant, BY_NAME["ledger"], new_load_id())
    assert report.landed == [("ledger/gl_2024-06.csv", 1)]
    [(name, reason)] = report.quarantined
    assert name == "ledger/gl_2024-05.csv" and "line 50" in reason and "expected 10 fields, found 11" in reason
    assert query(tenant, "select transaction_id from raw.ledger_lines") == [("GL100",)]
    assert query(tenant, "select count(*) from meta.landed_files") == [(1,)]


def test_quarantine_keeps_the_file_and_a_reason(tenant):
    write_ledger(tenant, "gl_2024-05.csv", [ledger_row("GL1", amount="£100")])
    original = (tenant.inbox / "ledger" / "gl_2024-05.csv").read_bytes()
    report = ingest_family(tenant, BY_NAME["ledger"], new_load_id())
    assert "line 2, column 'Amount': '£100' is not an amount in pounds" in report.quarantined[0][1]
    assert not (tenant.inbox / "ledger" / "gl_2024-05.csv").exists()
    folder = TenantPaths.for_tenant(tenant.slug).quarantine / "ledger"
    [kept] = [p for p in folder.iterdir() if not p.name.endswith(".reason.txt")]
    assert kept.read_bytes() == original
    reason = kept.with_name(kept.name + ".reason.txt").read_text()
    assert "gl_2024-05.csv" in reason and "£100" in reason
    assert query(tenant, "select family, source_file from meta.quarantined_files") == [("ledger", "ledger/gl_2024-05.csv")]


def test_a_failing_loader_leaves_no_partial_rows(tenant, monkeypatch):
    """A crash after rows were inserted (here: while archiving) rolls the whole file back."""
    from dagster_project.extract import landing

    write_ledger(tenant, "gl_2024-05.csv", [ledger_row("GL1"), ledger_row("GL2")])

    def broken_archive(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(landing, "_archive", broken_archive)
    with pytest.raises(OSError):
        ingest_family(tenant, BY_NAME["ledger"], new_load_id())
    assert query(tenant, "select count(*) from raw.ledger_lines") == [(0,)]
    assert query(tenant, "select count(*) from meta.landed_files") == [(0,)]
    assert (tenant.inbox / "ledger" / "gl_2024-05.csv").exists()
