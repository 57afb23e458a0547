"""Nightly refresh: schedule and sensor, incremental rebuilds, run history and status.
(Kills, concurrent runs and readers: tests/test_running_safely.py.)"""
from __future__ import annotations

import datetime as dt
import json

import duckdb
from dagster import AssetKey, build_schedule_context, build_sensor_context

from dagster_project import settings
from dagster_project.demo.generator import generate
from dagster_project.load_ids import new_load_id
from dagster_project.pipeline import run_refresh
from dagster_project.settings import TenantPaths
from dagster_project.status import format_status, status
from dagster_project.tenants import load_tenant
from tests.conftest import SMALL_SCALE, dbt_materialized


def dbt_log_since(target, since: str) -> list[str]:
    """What dbt logged in a target folder from ``since`` (an ISO time in UTC), over its rotated files too."""
    said = []
    for log in target.glob("dbt.log*"):
        for line in log.read_text(errors="replace").splitlines():
            try:
                info = json.loads(line)["info"]
            except (ValueError, KeyError, TypeError):
                continue
            if info.get("ts", "") >= since:
                said.append(info.get("msg", ""))
    return said


def scalar(slug, sql):
    con = duckdb.connect(str(TenantPaths.for_tenant(slug).warehouse), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_schedule_and_sensor_ask_for_the_tenants_partition(isolated):
    from dagster_project.definitions import current_definitions

    defs = current_definitions()
    repository = defs.get_repository_def()      # which partitions the job has
    schedule = defs.get_schedule_def("nightly_south_yorkshire")
    [request] = schedule.evaluate_tick(build_schedule_context(repository_def=repository)).run_requests
    assert request.partition_key == "south_yorkshire" and schedule.job_name == "refresh"

    sensor = defs.get_sensor_def("inbox_south_yorkshire")
    empty = sensor.evaluate_tick(build_sensor_context(repository_def=repository))
    assert not empty.run_requests
    generate(load_tenant("south_yorkshire"), seed=0, scale=SMALL_SCALE)
    first = sensor.evaluate_tick(build_sensor_context(repository_def=repository))
    [request] = first.run_requests
    assert request.partition_key == "south_yorkshire" and sensor.job_name == "refresh"
    again = sensor.evaluate_tick(build_sensor_context(cursor=first.cursor, repository_def=repository))
    assert not again.run_requests
    (load_tenant("south_yorkshire").inbox / "ledger" / "gl_new.csv").write_text("x")
    assert sensor.evaluate_tick(build_sensor_context(cursor=first.cursor, repository_def=repository)).run_requests


def test_a_run_of_the_job_as_the_schedule_starts_it_holds_the_lock_and_records_itself(demo):
    """South Yorkshire's demo office is refreshed by the job alone, for its partition, as the schedule,
    a sensor or the UI start it (conftest.DemoOffices)."""
    result = demo.built("south_yorkshire")
    keys = {e.asset_key for e in result.get_asset_materialization_events()}
    assert {AssetKey(["raw", "ledger_lines"]), AssetKey(["marts", "commissioned_services"]),
            AssetKey(["pack_ho_vru"])} <= keys
    # A run launched by the schedule, a sensor or the UI holds the lock through the Dagster resource,
    # records itself in the run history, publishes at its end and lets go of the lock.
    from dagster_project import run_history, warehouse
    paths = TenantPaths.for_tenant("south_yorkshire")
    [recorded] = run_history.runs(paths)
    assert recorded["status"] == "succeeded" and recorded["load_id"].endswith(result.run_id[:8])
    assert recorded["files_landed"] > 0 and recorded["finished_at"] is not None
    assert warehouse.holder(paths) is None and not (paths.root / "warehouse.working.duckdb").exists()
    assert scalar("south_yorkshire", "select count(*) from marts.commissioned_services") > 0


def test_later_data_rebuilds_only_what_it_changed_and_a_past_pack_rerenders_identically(demo_offices, demo_copy):
    """A ledger line posted late into a half-year and a resubmitted provider return arrive: the refresh
    rebuilds what depends on them, not the police models, and the MoJ pack of that half-year, rendered
    again as of the first load, is what it was. (A rerun with nothing new: test_pipeline's end-to-end.)"""
    from openpyxl import load_workbook

    from dagster_project import run_history
    from dagster_project.lineage.trace import load_manifest
    from dagster_project.packs.render import out_dir, render_pack

    assert "marts/crime_context" in dbt_materialized(demo_offices.built("west_yorkshire"))
    tenant = demo_copy("west_yorkshire")
    root = TenantPaths.for_tenant("west_yorkshire").root
    [first_load] = [r["load_id"] for r in run_history.runs(TenantPaths.for_tenant("west_yorkshire"))]
    before = {f["id"]: f["value"] for f in load_manifest(out_dir("west_yorkshire", "moj-victims", "2024-25-H1"))["figures"]}

    inbox = tenant.inbox
    header = (inbox / "ledger" / "gl_export_2024-05.csv").read_text().splitlines()[0]
    (inbox / "ledger" / "gl_export_late.csv").write_text(
        header + "\r\nGL99999999,15/06/2024,2024-25 P03,CC-MOJ-VICTIMS-CORE,5400,Late Supplier,,INV,1234.56,Late invoice\r\n")
    original = sorted((inbox / "provider_returns" / "2024-25-Q1").glob("*.xlsx"))[0]
    wb = load_workbook(original)
    wb["Cover"]["B9"] = "2025-05-01"
    wb["Activity"]["B4"] = (wb["Activity"]["B4"].value or 0) + 5
    wb.save(original.with_name("resubmission.xlsx"))
    invocations = scalar("west_yorkshire", "select count(distinct invocation_id) from meta.dbt_results")
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    later = run_refresh("west_yorkshire", new_load_id(), log_level="WARNING", packs=False)   # the pack is rendered below
    assert later.success
    rebuilt = dbt_materialized(later)
    assert {"intermediate/int_provider_returns_received", "marts/commissioned_services",
            "marts/spend_by_priority"} <= rebuilt
    assert "marts/crime_context" not in rebuilt and "staging/stg_police__street_crimes" not in rebuilt
    assert scalar("west_yorkshire", """select count(*) from intermediate.int_provider_returns_received
                                       where source_file like '%resubmission.xlsx' and is_current""") == 1
    # dbt started from the project's kept parse (dbt_project.seed_parse), which names no tenant's
    # folder: dbt reads seeds from the folder its parse names, and a tenant's folder may be deleted.
    said = dbt_log_since(root / "dbt_target", started)
    assert any(m.startswith("Running with dbt") for m in said)
    assert not [m for m in said if "Unable to do partial parsing" in m]
    parse = (root / "dbt_target" / "partial_parse.msgpack").read_bytes()
    assert str(root).encode() not in parse and str(demo_offices.root).encode() not in parse
    assert str(settings.DBT_DIR / "target" / "parses" / "dbt_project").encode() in parse
    # Nor does a refresh write dbt's JSON artefacts (dbt_project.DATA_BUILD_ARGS): results are in meta.
    assert not [name for name in ("manifest.json", "run_results.json") if (root / "dbt_target" / name).exists()]
    assert scalar("west_yorkshire", """select status from meta.dbt_results
                                       where unique_id = 'model.pccw.commissioned_services'
                                       order by recorded_at desc limit 1""") == "success"
    assert scalar("west_yorkshire", "select count(distinct invocation_id) from meta.dbt_results") == invocations + 1

    now = {f["id"]: f["value"] for f in load_manifest(render_pack(tenant, "moj-victims", "2024-25-H1"))["figures"]}
    assert now != before      # the later data changed today's pack
    past = render_pack(tenant, "moj-victims", "2024-25-H1", as_of=first_load)
    assert {f["id"]: f["value"] for f in load_manifest(past)["figures"]} == before
    assert load_manifest(past)["as_of_load"] == first_load


def test_status_reports_runs_overdue_returns_and_stale_sources(demo, capsys):
    from dagster_project.cli import main

    demo.built("west_yorkshire")
    tenant = load_tenant("west_yorkshire")
    report = status(tenant)
    assert report.last_run["status"] == "succeeded" and report.last_run["packs_rendered"] == 20
    assert len(report.overdue) == 1 and report.failing_checks == [] and report.stale == []
    text = format_status(report)
    assert "overdue provider returns (30 days after quarter end): 1" in text and "stale sources: none" in text
    assert main(["status", "--tenant", "west_yorkshire"]) == 0
    assert "last run L" in capsys.readouterr().out

    from dataclasses import replace
    strict = replace(tenant, ledger_max_age_days=10, police_max_age_months=1)
    stale = status(strict)
    assert any(s.startswith("ledger: latest posting") for s in stale.stale)
    assert any(s.startswith("police: latest month") for s in stale.stale)


def test_freshness_checks_warn_in_dagster(demo):
    from dagster import AssetCheckSeverity

    result = demo.built("west_yorkshire")
    # The run's own job evaluates them, after its build, for its tenant.
    verdicts = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert verdicts["ledger_is_fresh"].passed and verdicts["police_data_is_fresh"].passed
    overdue = verdicts["no_overdue_provider_returns"]
    assert not overdue.passed and overdue.severity == AssetCheckSeverity.WARN
    assert "days overdue" in overdue.metadata["detail"].value


def test_the_dbt_step_starts_dbt_without_asking_its_version_or_loading_the_project(monkeypatch):
    """Before each dbt command dagster-dbt's own resource runs `dbt --version` in a subprocess and
    loads every macro to make an adapter it would use only for row counts and column metadata
    (~9 s of each refresh): the project's resource does neither (see BENCHMARKS.md)."""
    import importlib.metadata

    import dagster_dbt.core.resource as dagster_dbt_resource
    from packaging import version

    from dagster_project.definitions import current_definitions

    started = []
    monkeypatch.setattr(dagster_dbt_resource, "check_output", lambda *a, **k: started.append(a) or b"dbt 0.0.0")
    dbt = current_definitions().resources["dbt"]
    assert dbt._cli_version == version.parse(importlib.metadata.version("dbt-core"))
    assert dbt._initialize_dbt_core_adapter(["build"]) is None
    assert started == []


def test_a_tenant_reporting_as_of_today_rebuilds_its_date_dependent_models_on_a_new_day(tmp_path, monkeypatch):
    """With no as_of in tenant.yml the reporting date is today: due and overdue returns, the forward plan and
    closed years move with it, so a build on a new day rebuilds the models that read the date (and what reads
    them) even when no file landed. A tenant with an as_of, or a second run the same day, builds nothing."""
    import time

    from dagster_project.refresh import DATED_SELECTOR, plan_build, unaffected_nodes
    from dagster_project.warehouse import open_writer_at

    file = tmp_path / "warehouse.duckdb"
    con = open_writer_at(file)
    built = dt.datetime(2026, 7, 9, 23, 30)        # UTC, as publish() records it: 00:30 on the 10th in London
    con.execute("insert into meta.build_state values ('t', 'fp', ?, 'L1')", [built])
    con.close()
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    try:
        built_on = dt.date(2026, 7, 10)                 # the local date, as today and DuckDB's current_date are

        assert plan_build(file, "t", "fp").mode == "skip"                                   # as_of set in tenant.yml
        assert plan_build(file, "t", "fp", today=built_on).mode == "skip"                   # same day
        assert plan_build(file, "t", "fp", today=built.date()).mode == "changed"    # the UTC date is not the day
        plan = plan_build(file, "t", "fp", today=built_on + dt.timedelta(days=1))
        assert plan.mode == "changed" and plan.selectors == (DATED_SELECTOR,)
        assert "the reporting date is today" in plan.reason
        left_alone = set(unaffected_nodes(plan.selectors))
        for model in ("provider_returns_due", "forward_plan", "int_ledger_months_covered", "commissioned_services",
                      "funding_position", "rpt_reporting_periods"):
            assert model not in left_alone, model
        for model in ("stg_finance__ledger_lines", "int_ledger_spend_allocated", "spend_by_priority",
                      "edi_representation"):
            assert model in left_alone, model
        assert plan_build(file, "t", "other").mode == "full"
    finally:
        monkeypatch.undo()
        time.tzset()
