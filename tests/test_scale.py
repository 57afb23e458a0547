"""Scale: the national police generator, batch landing, and not re-reading unchanged files."""
from __future__ import annotations

import csv
import hashlib
import os

import duckdb
from pathlib import Path

from dagster_project.demo import national
from dagster_project.extract import landing
from dagster_project.extract.families import BY_NAME
from dagster_project.extract.ingest import ensure_raw_tables, ingest_family
from dagster_project.extract.landing import PROVENANCE_COLUMNS, ingest_files
from dagster_project.load_ids import new_load_id
from dagster_project.extract.police import STREET
from dagster_project.meta import ensure_meta
from dagster_project.periods import FinancialYear
from dagster_project.settings import TenantPaths
from dagster_project.warehouse import open_reader_at, writing
from tests.test_landing import query

TINY = 0.0005   # every force file at its floor of 20 rows, a few more for the big forces


def national_files(tenant, months: int = 2) -> list[Path]:
    paths = national.write_national_police(tenant, FinancialYear(2024), tenant.inbox / "police", years=1, scale=TINY)
    keep = {f"{m:%Y-%m}" for m in national.national_months(FinancialYear(2024), 1)[:months]}
    for path in paths:
        if path.parent.name not in keep:
            path.unlink()
    for folder in (tenant.inbox / "police").iterdir():
        if not any(folder.iterdir()):
            folder.rmdir()
    return sorted(p for p in paths if p.exists())


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.csv")):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_national_generator_writes_every_force_in_the_published_layout(tenant, tmp_path):
    paths = national.write_national_police(tenant, FinancialYear(2024), tmp_path / "a", years=1, scale=TINY)
    assert len(national.forces()) == 43
    assert len(paths) == 43 * 12
    assert {p.name.split("-", 2)[2] for p in paths} == {f"{f.slug}-street.csv" for f in national.forces()}
    raw = (tmp_path / "a" / "2024-06" / "2024-06-metropolitan-street.csv").read_bytes()
    assert raw.startswith((",".join(STREET.header) + "\r\n").encode())
    rows = list(csv.reader(raw.decode().splitlines()))[1:]
    assert len(rows) >= 20 and {r[1] for r in rows} == {"2024-06"}
    assert {r[2] for r in rows} == {"Metropolitan Police Service"}
    asb = [r for r in rows if r[9] == "Anti-social behaviour"]
    assert all(r[0] == "" and r[10] == "" for r in asb)
    assert all(len(r[0]) == 64 for r in rows if r[9] != "Anti-social behaviour")
    # The tenant's own force uses the tenant's real LSOAs; the others get codes no real LSOA has.
    own = list(csv.DictReader((tmp_path / "a" / "2024-06" / f"2024-06-{tenant.force_slug}-street.csv").open()))
    codes = {r["LSOA code"] for r in own if r["LSOA code"]}
    assert codes and all(c.startswith("E01") and int(c[3:]) < 900000 for c in codes)
    assert all(r[7][1:4] == "019" and len(r[7]) == 9 for r in rows if r[7])
    # Deterministic: the same inputs give byte-identical files.
    national.write_national_police(tenant, FinancialYear(2024), tmp_path / "b", years=1, scale=TINY)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_volume_follows_the_published_national_scale(tenant, tmp_path):
    # data.police.uk publishes about 6.5 million street-level records a year for the 43 forces of
    # England and Wales (crimes and anti-social behaviour). The rows the generator writes for a year
    # at a 1% scale, counted in its files, put it within about 10% of that at scale 1.
    scale = 0.01
    paths = national.write_national_police(tenant, FinancialYear(2024), tmp_path, years=1, scale=scale)
    rows = sum(len(p.read_bytes().splitlines()) - 1 for p in paths)
    assert 6.0e6 < rows / scale < 7.5e6, rows / scale


def raw_rows(tenant, table: str = "police_street") -> list[tuple]:
    keep = [c for c in (*STREET.columns, *PROVENANCE_COLUMNS) if c not in ("_loaded_at", "_load_id")]
    return query(tenant, f"select {', '.join(keep)} from raw.{table} order by _source_file, _source_locator")


def test_a_batch_lands_the_same_rows_as_loading_file_by_file(tenant, isolated):
    files = national_files(tenant, months=2)
    report = ingest_family(tenant, BY_NAME["police"], new_load_id())
    assert len(report.landed) == len(files) == 86 and report.quarantined == []
    assert report.batched == 86
    batched = raw_rows(tenant)
    # The same files one by one, into a second warehouse.
    other = TenantPaths(tenant="other", root=isolated / "other").ensure()
    con = duckdb.connect(str(other.warehouse))
    try:
        ensure_meta(con)
        ensure_raw_tables(con)
        family = BY_NAME["police"]
        alone = ingest_files(con, other, "police", tenant.inbox, files, family.loader, new_load_id(),
                             move_bad_files=False)
        one_by_one = con.execute(f"""select {', '.join(c for c in (*STREET.columns, *PROVENANCE_COLUMNS)
                                                      if c not in ('_loaded_at', '_load_id'))}
                                     from raw.police_street order by _source_file, _source_locator""").fetchall()
    finally:
        con.close()
    assert sorted(alone.landed) == sorted(report.landed) and alone.batched == 0
    assert batched == one_by_one
    # Locators are the physical lines of each file.
    sample = files[37]
    lines = sample.read_text().splitlines()
    located = query(tenant, """select _source_locator, crime_type, lsoa_code from raw.police_street
                               where _source_file = ?""", [sample.relative_to(tenant.inbox).as_posix()])
    for locator, crime_type, lsoa in located:
        fields = next(csv.reader([lines[int(locator.split()[1]) - 1]]))
        assert (fields[9], fields[7] or None) == (crime_type, lsoa)


def test_a_bad_file_in_a_batch_is_quarantined_alone_and_named(tenant):
    files = national_files(tenant, months=1)
    bad = files[5]
    lines = bad.read_bytes().split(b"\r\n")
    fields = lines[6].split(b",")
    fields[1] = b"June 2024"
    lines[6] = b",".join(fields)
    bad.write_bytes(b"\r\n".join(lines))
    report = ingest_family(tenant, BY_NAME["police"], new_load_id())
    assert len(report.landed) == len(files) - 1
    assert report.batched >= len(files) - 8   # halving isolates the bad file; most land in batches
    [(name, reason)] = report.quarantined
    assert name == bad.relative_to(tenant.inbox).as_posix()
    assert "line 7" in reason and "'June 2024' is not a month as YYYY-MM" in reason
    assert query(tenant, "select count(distinct _source_file) from raw.police_street") == [(len(files) - 1,)]
    # The archive holds the landed files and nothing of the rejected one.
    archived = {p.name for p in (TenantPaths.for_tenant(tenant.slug).landing / "police").iterdir()}
    assert len(archived) == len(files) - 1
    assert not [p for p in archived if p.endswith(".part")]


def test_unchanged_files_are_not_read_again_and_changed_ones_are(tenant, monkeypatch):
    files = national_files(tenant, months=1)
    ingest_family(tenant, BY_NAME["police"], new_load_id())
    reads = []
    real = landing.fingerprint
    monkeypatch.setattr(landing, "fingerprint", lambda path: reads.append(path) or real(path))
    again = ingest_family(tenant, BY_NAME["police"], new_load_id())
    assert reads == [] and len(again.skipped) == len(files)
    # A file replaced by a corrected download (new content, new modification time) is hashed and loaded.
    changed = files[0]
    text = changed.read_bytes().replace(b"On or near", b"On or near the", 1)
    changed.write_bytes(text)
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 1_000_000))
    third = ingest_family(tenant, BY_NAME["police"], new_load_id())
    assert reads == [changed] and [name for name, _ in third.landed] == [changed.relative_to(tenant.inbox).as_posix()]


def test_national_shares_add_up_to_the_national_totals(isolated):
    from dagster_project.demo.generator import NATIONAL_AGREEMENTS, NATIONAL_PROVIDERS, national_share
    from dagster_project.tenants import available_tenants, load_tenant

    tenants = [load_tenant(slug) for slug in available_tenants()]
    assert len(tenants) == 3
    assert sum(national_share(t, NATIONAL_AGREEMENTS) for t in tenants) == 1000
    assert sum(national_share(t, NATIONAL_PROVIDERS) for t in tenants) == 200


def test_national_demo_data_sizes_the_register_and_covers_every_force(tenant, isolated, monkeypatch):
    from openpyxl import load_workbook

    from dagster_project.demo import generator

    # The real 1,000 agreements and five years of police files take minutes; the sizing is the same.
    monkeypatch.setattr(generator, "NATIONAL_AGREEMENTS", 45)
    monkeypatch.setattr(generator, "NATIONAL_PROVIDERS", 15)
    monkeypatch.setattr(national, "NATIONAL_YEARS", 2)
    out = isolated / "national_inbox"
    counts = generator.generate(tenant, out, scale=TINY, national_scale=True)
    assert counts["police"] == 43 * 12 * 2
    months = sorted(p.name for p in (out / "police").iterdir())
    assert months[0] == "2023-04" and months[-1] == "2025-03" and len(months) == 24
    book = load_workbook(out / "agreements" / "agreements_register.xlsx", read_only=True)
    agreements = book["Agreements"].max_row - 1
    providers = book["Providers"].max_row - 1
    # the tenant's share of the paid agreements, and its one influencing entry (no money, no returns)
    assert agreements == generator.national_share(tenant, 45) + 1 == 16      # 45 shared by 3 tenants, + 1
    assert providers <= generator.national_share(tenant, 15) == 5


def test_a_check_verdict_is_repeated_only_while_its_inputs_are_unchanged(tenant):
    import datetime as dt

    from dagster_project.checks import provider_returns as checks
    from dagster_project.checks.suites import load_suites

    paths = TenantPaths.for_tenant(tenant.slug).ensure()
    with writing(tenant.slug) as session:
        session.connect().close()
    suite, other = load_suites("provider_return_")[:2]

    def on_warehouse(ask, *args):
        con = open_reader_at(paths.warehouse)
        try:
            return ask(con, *args)
        finally:
            con.close()

    key = on_warehouse(checks.inputs_key, suite)
    assert key != on_warehouse(checks.inputs_key, other)      # each suite its own key
    assert on_warehouse(checks.recorded_verdict, suite.name, key) is None
    verdict = {"passed": False, "failures": 2, "critical_failures": 1, "returns_checked": 5, "examples": "- x"}
    checks.record_verdict(tenant.slug, suite.name, key, verdict)
    assert on_warehouse(checks.recorded_verdict, suite.name, key) == verdict
    # A new return lands: the key changes, so the recorded verdict no longer answers.
    with writing(tenant.slug) as session:
        con = session.connect()
        con.execute("insert into meta.landed_files values ('abc', 'provider_returns', 'r.xlsx', 'x', 1, 1, 'L1', ?)",
                    [dt.datetime(2025, 1, 1)])
        con.close()
    changed = on_warehouse(checks.inputs_key, suite)
    assert changed != key and on_warehouse(checks.recorded_verdict, suite.name, changed) is None
    # A file of another family does not touch the returns' checks.
    with writing(tenant.slug) as session:
        con = session.connect()
        con.execute("insert into meta.landed_files values ('def', 'police', 'p.csv', 'x', 1, 1, 'L1', ?)",
                    [dt.datetime(2025, 1, 1)])
        con.close()
    assert on_warehouse(checks.inputs_key, suite) == changed
