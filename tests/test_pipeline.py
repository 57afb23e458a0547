"""The whole refresh through Dagster and dbt, into a temporary warehouse, for every tenant."""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import duckdb
import pytest

from dagster import AssetKey

from dagster_project.extract.families import FAMILIES, RAW_TABLES
from dagster_project.extract.ingest import raw_row_counts
from dagster_project.load_ids import new_load_id
from dagster_project.pipeline import run_refresh
from dagster_project.settings import TenantPaths
from dagster_project.tenants import load_tenant
from dagster_project import settings
from tests.conftest import dbt_materialized
from tests.figure_walk import walk_rendered_packs

FAMILY_OF = {table: family.name for family in FAMILIES for table in family.tables}
NOT_IN_DEMO = {"police_outcomes", "lsoa_lookup_best_fit"}   # real shapes, tested on the reference files


def test_definitions_load_with_raw_sources_upstream_of_staging():
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    assert {AssetKey(["raw", t]) for t in RAW_TABLES} <= keys
    staging = AssetKey(["staging", "stg_finance__ledger_lines"])
    assert staging in keys
    assert AssetKey(["raw", "ledger_lines"]) in graph.get(staging).parent_keys


def test_tenants_are_partitions_of_one_refresh_job(isolated):
    """Landing, dbt and pack assets are partitioned by tenant, dbt models are grouped by layer, and
    the refresh job includes the freshness checks. (That `pccw run` runs this job for the tenant's
    partition: test_west_yorkshire_end_to_end_and_idempotent.)"""
    from dagster_project.definitions import current_definitions

    defs = current_definitions()
    graph = defs.resolve_asset_graph()
    tenants = {"west_yorkshire", "south_yorkshire", "avon_and_somerset"}
    for key in (AssetKey(["raw", "ledger_lines"]), AssetKey(["marts", "commissioned_services"]),
                AssetKey(["pack_moj_victims"])):
        assert set(graph.get(key).partitions_def.get_partition_keys()) == tenants, key
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"raw", "staging", "intermediate", "marts", "returns", "packs"} <= groups and "default" not in groups
    job = defs.resolve_job_def("refresh")
    assert set(job.partitions_def.get_partition_keys()) == tenants
    checks = {key.name for key in job.asset_layer.asset_graph.asset_check_keys}
    assert {"ledger_is_fresh", "police_data_is_fresh", "no_overdue_provider_returns"} <= checks


def test_west_yorkshire_end_to_end_and_idempotent(demo_offices, demo_copy):
    first = demo_offices.built("west_yorkshire")      # generated from an empty inbox and refreshed by run_refresh
    # `pccw run` runs the job the UI, the schedules and the sensors run, for the tenant's partition.
    assert first.dagster_run.job_name == "refresh" and first.dagster_run.tags["dagster/partition"] == "west_yorkshire"
    tenant = demo_copy("west_yorkshire")
    counts = raw_row_counts(tenant)
    for table in RAW_TABLES:
        if table not in NOT_IN_DEMO:
            assert counts[table] > 0, f"raw.{table} is empty"
    assert {t: counts[t] for t in rows_in_inbox(tenant)} == rows_in_inbox(tenant)
    in_table = {e.asset_key.path[1]: e.materialization.metadata["rows_in_table"].value
                for e in first.get_asset_materialization_events() if "rows_in_table" in e.materialization.metadata}
    assert in_table == {t: counts[t] for t in RAW_TABLES}
    assert all(n > 0 for n in mart_counts("west_yorkshire").values())
    con = duckdb.connect(str(TenantPaths.for_tenant("west_yorkshire").warehouse), read_only=True)
    try:
        types = dict(con.execute("""select column_name, data_type from information_schema.columns
                                    where table_schema = 'staging' and table_name = 'stg_finance__ledger_lines'""").fetchall())
        assert types["amount"] == "DECIMAL(18,2)" and types["posting_date"] == "DATE"
        plans = con.execute("select plan_id, valid_from from staging.stg_tenant__plans order by 2").fetchall()
        assert [p for p, _ in plans] == ["WY-PCP-2021", "WY-PCP-2024"]
        landed = con.execute("select count(*) from meta.landed_files").fetchone()[0]
        # The demo's two faulty returns are rejected with feedback, never reach raw, and their
        # corrected resubmissions are what the marts use.
        rejected = con.execute("""select source_file, quarantined_path from meta.quarantined_files
                                  where kind = 'rejected_return' order by 1""").fetchall()
        assert len(rejected) == 2
        for source_file, kept in rejected:
            assert Path(kept + ".feedback.txt").exists() and Path(kept + ".marked.xlsx").exists()
            assert con.execute("select count(*) from raw.provider_return_cells where _source_file = ?",
                               [source_file]).fetchone()[0] == 0
            corrected = source_file.replace(".xlsx", "_resubmitted.xlsx")
            assert con.execute("""select is_current from intermediate.int_provider_returns_received
                                  where source_file = ?""", [corrected]).fetchone() == (True,)
        assert con.execute("select count(*) from marts.provider_returns_due where status = 'Overdue'").fetchone() \
            == (1,)
        results = con.execute("select count(*) from meta.dbt_results").fetchone()[0]
    finally:
        con.close()

    # A rerun with nothing new lands nothing, builds no dbt model and records no dbt result.
    second = run_refresh("west_yorkshire", new_load_id(), log_level="WARNING")
    assert second.success and dbt_materialized(second) == set()
    assert raw_row_counts(tenant) == counts
    con = duckdb.connect(str(TenantPaths.for_tenant("west_yorkshire").warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from meta.landed_files").fetchone()[0] == landed
        assert con.execute("select count(*) from meta.dbt_results").fetchone()[0] == results
    finally:
        con.close()
    # Each family skips exactly the files it landed the first time, and lands none.
    skipped = {e.asset_key.path[1]: e.materialization.metadata["files_skipped"].value
               for e in second.get_asset_materialization_events() if "files_landed" in e.materialization.metadata}
    assert all(e.materialization.metadata["files_landed"].value == 0
               for e in second.get_asset_materialization_events() if "files_landed" in e.materialization.metadata)
    con = duckdb.connect(str(TenantPaths.for_tenant("west_yorkshire").warehouse), read_only=True)
    try:
        per_family = dict(con.execute("select family, count(*) from meta.landed_files group by 1").fetchall())
    finally:
        con.close()
    assert skipped and all(skipped[t] == per_family.get(FAMILY_OF[t], 0) for t in skipped), (skipped, per_family)
    assert_every_figure_traces("west_yorkshire")


def assert_every_figure_traces(slug: str) -> None:
    """Every figure of every pack the refresh rendered (all three packs for West Yorkshire) adds up
    from its trace exactly, derived figures included; and the command line gives the same JSON."""
    from dagster_project.cli import main

    packs = settings.reports_out() / slug
    kinds = walk_rendered_packs(packs, TenantPaths.for_tenant(slug).warehouse)
    assert kinds.get("additive", 0) > 50 and kinds.get("derived", 0) > 5, kinds
    # One figure of each kind through `pccw trace --format json` itself.
    for manifest_path in sorted(packs.glob("*/*/manifest.json")):
        manifest = json.loads(manifest_path.read_text())
        seen = set()
        for figure in manifest["figures"]:
            kind = ("total" if ":total:" in figure["id"] else "row") + (":na" if figure["value"] is None else "")
            if kind in seen or figure["id"].startswith("reconciliation:"):
                continue
            seen.add(kind)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                assert main(["trace", str(manifest_path.parent), figure["id"], "--format", "json"]) == 0
            traced = json.loads(out.getvalue())
            assert traced["value"] == figure["value"] and traced["reconciles"], figure["id"]


REGISTER_SHEETS = {"agreements": "Agreements", "providers": "Providers", "agreement_funding": "Funding split",
                   "agreement_kpis": "KPIs", "agreement_priorities": "Priority weights"}


def rows_in_inbox(tenant) -> dict[str, int]:
    """Rows each raw table should hold, counted in the inbox's own files: data lines of the ledger
    exports and police street files, filled rows of the register's sheets."""
    from openpyxl import load_workbook

    def lines(pattern: str) -> int:
        return sum(len(p.read_bytes().splitlines()) - 1 for p in tenant.inbox.glob(pattern))

    counts = {"ledger_lines": lines("ledger/*.csv"), "police_street": lines("police/*/*-street.csv")}
    [register] = tenant.inbox.glob("agreements/*.xlsx")
    wb = load_workbook(register, read_only=True)
    for table, sheet in REGISTER_SHEETS.items():
        counts[table] = sum(1 for row in wb[sheet].iter_rows(min_row=2, values_only=True)
                            if any(v is not None for v in row))
    wb.close()
    return counts


MARTS = ("commissioned_services", "spend_by_priority", "edi_representation", "value_for_money", "funding_position",
         "forward_plan", "crime_context", "provider_returns_due")


def mart_counts(slug: str) -> dict[str, int]:
    con = duckdb.connect(str(TenantPaths.for_tenant(slug).warehouse), read_only=True)
    try:
        return {m: con.execute(f"select count(*) from marts.{m}").fetchone()[0] for m in MARTS}
    finally:
        con.close()


# Avon and Somerset is built by this test alone, so it runs beside the shared demo offices, not after them.
@pytest.mark.parametrize("slug", ["south_yorkshire",
                                  pytest.param("avon_and_somerset", marks=pytest.mark.xdist_group("avon_and_somerset"))])
def test_other_tenants_build_every_mart(demo, slug):
    demo.built(slug)
    tenant = load_tenant(slug)
    counts = raw_row_counts(tenant)
    assert {t: counts[t] for t in rows_in_inbox(tenant)} == rows_in_inbox(tenant)
    marts = mart_counts(slug)
    assert all(n > 0 for m, n in marts.items() if m != "forward_plan"), marts
    assert_every_figure_traces(slug)


def test_cli_run_reports_quarantined_files_and_exits_3(demo_copy, monkeypatch, capsys):
    from dagster_project.cli import main

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    tenant = demo_copy("west_yorkshire")
    bad = tenant.inbox / "ledger" / "gl_export_2025-04.csv"
    bad.write_bytes(b"Transaction ID,Date,Amount\r\nGL1,01/04/2025,10.00\r\n")
    assert main(["run", "--tenant", "west_yorkshire", "--no-demo"]) == 3
    out, err = capsys.readouterr()
    assert "ledger/gl_export_2025-04.csv: line 1: header does not match" in err
    assert "raw.ledger_lines" in out and "warehouse:" in out
    counts = raw_row_counts(tenant)
    assert counts["ledger_lines"] > 0 and counts["provider_return_cells"] > 0
    assert not bad.exists()
    assert_the_next_run_is_a_quiet_one(tenant)


def test_the_stamp_takes_a_file_the_run_moved_away_as_seen_but_not_one_added_or_changed_while_it_ran():
    from dagster_project.run_stamp import Inputs

    started = Inputs(frozenset({("inbox/a.csv", 10, 1), ("inbox/bad.csv", 5, 1)}), "code")
    moved = Inputs(frozenset({("inbox/a.csv", 10, 1)}), "code")
    assert started.after_run(moved) == moved                 # the run quarantined bad.csv out of the inbox
    added = Inputs(frozenset({("inbox/a.csv", 10, 1), ("inbox/bad.csv", 5, 1), ("inbox/new.csv", 3, 2)}), "code")
    assert started.after_run(added) == started               # new.csv arrived mid-run: not landed, not seen
    touched = Inputs(frozenset({("inbox/a.csv", 11, 2)}), "code")
    assert started.after_run(touched) == started
    assert started.after_run(Inputs(moved.files, "other code")) == started
    assert started.digest() != moved.digest() and started.digest() == Inputs(started.files, "code").digest()


def _outputs(tenant) -> dict:
    files = [TenantPaths.for_tenant(tenant.slug).warehouse, *(settings.reports_out() / tenant.slug).rglob("*")]
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in files if p.is_file()}


def assert_the_next_run_is_a_quiet_one(tenant):
    """After a successful run, nothing new (the file the run quarantined was taken out of the inbox by the run
    itself): the next `pccw run` says so without importing Dagster, dbt, Great Expectations or the PDF renderer,
    and touches no output. A touched inbox file, a deleted pack file or another reporting date each make a run
    a busy one again."""
    import dataclasses
    import os
    import subprocess
    import sys

    from dagster_project import run_history, run_stamp

    before = _outputs(tenant)
    probe = ("import json, sys; from dagster_project.cli import main; "
             "rc = main(['run', '--tenant', 'west_yorkshire', '--no-demo']); "
             "print(json.dumps({'rc': rc, 'loaded': sorted(m for m in ('dagster', 'dbt', 'great_expectations', "
             "'xhtml2pdf', 'openpyxl') if m in sys.modules)}))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          cwd=settings.REPO_ROOT, env=dict(os.environ, PCCW_SOURCES=str(settings.SOURCES_DIR)))
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said == {"rc": 0, "loaded": []}, done.stdout + done.stderr
    assert "nothing new since run" in done.stdout
    assert _outputs(tenant) == before
    last = run_history.last_run(TenantPaths.for_tenant(tenant.slug))
    assert last["status"] == "succeeded" and last["message"].startswith("nothing new since run")

    now = run_stamp.inputs(tenant)
    assert run_stamp.quiet_since(tenant, now) is not None
    assert run_stamp.quiet_since(dataclasses.replace(tenant, as_of=tenant.reporting_date.replace(year=2030)),
                                 run_stamp.inputs(dataclasses.replace(tenant, as_of=tenant.reporting_date.replace(
                                     year=2030)))) is None
    ledger = sorted((tenant.inbox / "ledger").glob("*.csv"))[0]
    os.utime(ledger, ns=(ledger.stat().st_atime_ns, ledger.stat().st_mtime_ns + 1))
    assert run_stamp.quiet_since(tenant, run_stamp.inputs(tenant)) is None
    os.utime(ledger, ns=(ledger.stat().st_atime_ns, ledger.stat().st_mtime_ns - 1))
    assert run_stamp.quiet_since(tenant, run_stamp.inputs(tenant)) is not None
    next(p for p in (settings.reports_out() / tenant.slug).rglob("*.pdf")).unlink()
    assert run_stamp.quiet_since(tenant, run_stamp.inputs(tenant)) is None
