"""Running safely in a hostile world: one writer per warehouse, runs that arrive during another's
build, readers holding the warehouse open, kills during landing, dbt and rendering, and packs that
always show what the warehouse holds.

Every wait here is on state (the lock's note of the phase a run is in, a folder appearing), not on time.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal

import duckdb
import pytest

from dagster_project import run_history, settings, warehouse
from dagster_project.errors import EXIT_BUSY
from dagster_project.load_ids import new_load_id
from dagster_project.packs.due import due_packs
from dagster_project.packs.render import out_dir, pack_state
from dagster_project.pipeline import run_refresh
from dagster_project.settings import TenantPaths
from dagster_project.status import format_status, status
from tests.conftest import REPO, dbt_materialized

SLUG = "west_yorkshire"
LEDGER_HEADER = ("Transaction ID,Posting Date,Period,Cost Centre,Account,Supplier,Agreement Ref,Journal Type,"
                 "Amount,Description")
REPUBLISHED_MONTH = "2024-01"   # a month of 2023-24-Q4, reported in that quarter's VRU pack


def late_invoice(tenant, name: str, txn: str, amount: str) -> None:
    """A ledger export with one invoice on the VRU cost centre (no agreement), posted in 2024-25-Q1."""
    (tenant.inbox / "ledger" / name).write_text(
        f"{LEDGER_HEADER}\r\n{txn},15/06/2024,2024-25 P03,CC-HO-VRU,5400,Late Ltd,,INV,{amount},Late invoice\r\n")


def republish_with_more_violence(street_file, extra: int) -> None:
    """The police's file for a month, published again with ``extra`` more violent crimes: copies of its
    first violent crimes under new crime IDs."""
    header, *lines = street_file.read_text().splitlines()
    violent = [line.split(",") for line in lines if ",Violence and sexual offences," in line][:extra]
    assert len(violent) == extra, f"{street_file} has fewer than {extra} violent crimes"
    added = [",".join([f"republished{n:04d}", *fields[1:]]) for n, fields in enumerate(violent)]
    street_file.write_text("\r\n".join([header, *lines, *added]) + "\r\n")


def scalar(sql: str):
    """A query on the published warehouse from a separate process (this process's DuckDB would
    reuse a connection to a file that has since been replaced)."""
    code = ("import duckdb, json, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
            "print(json.dumps(con.execute(sys.argv[2]).fetchone()[0], default=str))")
    out = subprocess.run([sys.executable, "-c", code, str(TenantPaths.for_tenant(SLUG).warehouse), sql],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def cli_env(isolated) -> dict:
    env = dict(os.environ, PCCW_SOURCES=str(isolated / "sources"), PCCW_HOME=str(isolated / "var"))
    env.pop("DAGSTER_HOME", None)
    return env


def start_run(isolated, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dagster_project.cli", "run", "--tenant", SLUG, "--no-demo", *extra],
                            env=cli_env(isolated), cwd=REPO, start_new_session=True, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_until(condition, run: subprocess.Popen, what: str, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if run.poll() is not None:
            out, err = run.communicate()
            pytest.fail(f"the run ended (exit {run.returncode}) before {what}:\n{out[-2000:]}\n{err[-2000:]}")
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def in_phase(prefix: str):
    paths = TenantPaths.for_tenant(SLUG)
    return lambda: (warehouse.holder(paths) or {}).get("phase", "").startswith(prefix)


def kill(run: subprocess.Popen) -> None:
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()


def finish(run: subprocess.Popen, timeout: float = 600) -> tuple[int, str, str]:
    out, err = run.communicate(timeout=timeout)
    return run.returncode, out, err


def assert_every_pack_matches_the_warehouse(tenant) -> None:
    due = due_packs(tenant)
    assert due
    for pack, period in due:
        state, why = pack_state(tenant, pack, period)
        assert state == "current", f"{pack} {period}: {state}: {why}"
        folder = out_dir(SLUG, pack, period)
        manifest = json.loads((folder / "manifest.json").read_text())
        for name, sha in manifest["outputs"].items():     # whole: every output is the one the manifest names
            import hashlib
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha, f"{folder / name}"
    leftovers = [p for p in (settings.reports_out() / SLUG).rglob(".*") if p.is_dir()]
    assert leftovers == []


def test_a_run_arriving_during_anothers_build_waits_and_loses_nothing(demo_copy, tmp_path):
    tenant = demo_copy(SLUG)
    isolated = tmp_path
    spend_before = Decimal(scalar("select sum(spend) from marts.spend_by_priority"))

    # A reader (a BI tool) holds the published warehouse open from here to the end.
    reader = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); print('open', flush=True); "
        "sys.stdin.readline(); print(con.execute('select count(*) from raw.ledger_lines').fetchone()[0])"),
        str(TenantPaths.for_tenant(SLUG).warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "open"
    rows_seen_by_reader = scalar("select count(*) from raw.ledger_lines")

    late_invoice(tenant, "gl_late_1.csv", "GL88888881", "500.00")
    first = start_run(isolated)
    wait_until(in_phase("dbt build"), first, "the first run's dbt build")
    late_invoice(tenant, "gl_late_2.csv", "GL88888882", "250.00")    # lands while the first run builds
    second = start_run(isolated, "--wait", "600")
    impatient = start_run(isolated, "--wait", "0")

    code, _, err = finish(impatient)
    assert code == EXIT_BUSY
    [line] = err.strip().splitlines()
    assert line.startswith("pccw: west_yorkshire: another run (") and "Nothing was landed" in line
    assert finish(first)[0] == 0
    code, _, err = finish(second)
    assert code == 0, err[-3000:]
    assert "west_yorkshire: waiting for run L" in err

    # Nothing the second run landed was lost when the first published, and both runs are recorded.
    landed = scalar("select count(*) from meta.landed_files where source_file like 'ledger/gl_late_%'")
    assert landed == 2
    assert Decimal(scalar("select sum(spend) from marts.spend_by_priority")) == spend_before + Decimal("750.00")
    runs = run_history.runs(TenantPaths.for_tenant(SLUG))
    assert [r["status"] for r in runs[:3]] == ["succeeded", "succeeded", "succeeded"]
    assert runs[0]["started_at"] >= runs[1]["finished_at"]        # the second ran after the first, not beside it
    assert runs[0]["files_landed"] == 1 and runs[1]["files_landed"] == 1
    # The reader was never in the way, and still reads the warehouse it opened.
    reader.stdin.write("\n")
    reader.stdin.flush()
    assert int(reader.stdout.readline()) == rows_seen_by_reader
    reader.wait()
    assert_every_pack_matches_the_warehouse(tenant)
    report = status(tenant)
    assert report.packs == [] and report.running is None


def test_kills_during_landing_dbt_and_rendering_leave_a_consistent_warehouse(demo_copy, tmp_path):
    tenant = demo_copy(SLUG)
    isolated = tmp_path
    paths = TenantPaths.for_tenant(SLUG)
    spend = Decimal(scalar("select sum(spend) from marts.spend_by_priority"))
    raw_rows = scalar("select count(*) from raw.ledger_lines")
    vru_folder = out_dir(SLUG, "ho-vru", "2024-25-Q1")

    # Killed while landing, after the new ledger file landed in the run's copy: nothing is published.
    late_invoice(tenant, "gl_late_1.csv", "GL88888881", "500.00")
    run = start_run(isolated)
    wait_until(in_phase("landing agreements"), run, "landing (the ledger is landed before the agreements)")
    kill(run)
    assert scalar("select count(*) from raw.ledger_lines") == raw_rows
    report = status(tenant)
    assert report.running is None
    assert report.last_run["status"] == "ended without recording its end (killed or crashed)"
    assert "ended without recording its end" in format_status(report)

    # Killed during dbt: what landed is published, the marts stay on the last good build.
    run = start_run(isolated)
    wait_until(in_phase("dbt build"), run, "the dbt build")
    kill(run)
    assert scalar("select count(*) from raw.ledger_lines") == raw_rows + 1
    assert Decimal(scalar("select sum(spend) from marts.spend_by_priority")) == spend
    assert status(tenant).last_run["status"] == "ended without recording its end (killed or crashed)"

    # Killed while writing a pack: the previous rendering stays whole, and status says it is stale.
    # The run also lands police data: the police republish a month of 2023-24-Q4 (no ledger line
    # here is in that quarter) with three more violent crimes in it.
    vru_q4 = out_dir(SLUG, "ho-vru", "2023-24-Q4") / "manifest.json"
    moj_h2 = out_dir(SLUG, "moj-victims", "2023-24-H2") / "manifest.json"
    before = {p: json.loads(p.read_text()) for p in (vru_q4, moj_h2)}
    republish_with_more_violence(next((tenant.inbox / "police" / REPUBLISHED_MONTH).glob("*-street.csv")), 3)
    late_invoice(tenant, "gl_late_2.csv", "GL88888882", "250.00")
    run = start_run(isolated)
    wait_until(lambda: list(vru_folder.parent.glob(f".{vru_folder.name}.rendering-*")), run, "the VRU pack rendering")
    kill(run)
    assert Decimal(scalar("select sum(spend) from marts.spend_by_priority")) == spend + Decimal("750.00")
    manifest = json.loads((vru_folder / "manifest.json").read_text())
    assert sorted(p.name for p in vru_folder.iterdir()) == sorted([*manifest["outputs"], "manifest.json"])
    stale = {(pack, period): state for pack, period, state, _ in status(tenant).packs}
    assert stale[("ho-vru", "2024-25-Q1")] == "stale"

    # The next run records the dead runs, cleans up after them and renders what they left stale:
    # the packs whose figures the ledger and police data moved, and only those (it has nothing to
    # build: the killed run's build was published before it rendered).
    result = run_refresh(SLUG, new_load_id(), log_level="WARNING")
    assert result.success and dbt_materialized(result) == set()
    after = {p: json.loads(p.read_text()) for p in (vru_q4, moj_h2)}
    assert after[moj_h2]["rendered_at"] == before[moj_h2]["rendered_at"]       # MoJ figures do not use police data
    assert after[vru_q4]["inputs_digest"] != before[vru_q4]["inputs_digest"]
    changed = {c["id"] for c in after[vru_q4]["changes"]}
    assert changed and all(c.startswith("crime_context:") for c in changed)
    statuses = [r["status"] for r in run_history.runs(paths)]
    assert statuses[:4] == ["succeeded", "killed", "killed", "killed"]
    assert not (paths.root / "warehouse.working.duckdb").exists()
    assert not (paths.root / "warehouse.building.duckdb").exists()
    assert_every_pack_matches_the_warehouse(tenant)
    vru = json.loads((vru_folder / "manifest.json").read_text())
    spend_figure = next(f for f in vru["figures"] if f["id"] == "summary:all:spend_in_period")
    ledger_spend = scalar("""select spend_in_period from returns.rpt_ho_vru__summary where period = '2024-25-Q1'""")
    assert Decimal(spend_figure["value"]) == Decimal(str(ledger_spend))
    assert {"summary:all:spend_in_period", "summary:all:spend_year_to_date"} <= {c["id"] for c in vru["changes"]}


def test_the_lock_is_reentrant_refuses_a_second_holder_and_publishes_whole(isolated, monkeypatch):
    """The lock is re-entrant in one process, refuses a holder in another process, publishes what a
    block committed (even one that failed); and the shipped Dagster instance is configured to queue
    tagged runs of one tenant behind each other."""
    from dagster import DagsterInstance

    paths = TenantPaths.for_tenant(SLUG).ensure()
    with warehouse.writing(SLUG, "L1") as session:
        con = session.connect()
        con.execute("create table meta.probe as select 1 as x")
        con.close()
        assert not paths.warehouse.exists()           # nothing published while the run works
        with warehouse.writing(SLUG) as inner:        # the same process: the same session
            assert inner is session
        assert warehouse.holder(paths)["load_id"] == "L1"
        other = subprocess.run([sys.executable, "-c", (
            "from dagster_project import warehouse\n"
            "try:\n    warehouse.writing('west_yorkshire', 'L2', wait=0).__enter__()\n"
            "except Exception as exc:\n    print(type(exc).__name__, exc)")],
            env=cli_env(isolated), cwd=REPO, capture_output=True, text=True)
        assert other.stdout.startswith("Busy west_yorkshire: another run (L1, process")
    assert warehouse.holder(paths) is None
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    assert con.execute("select x from meta.probe").fetchone() == (1,)
    con.close()
    # A block that fails still publishes what it committed, and lets go of the lock.
    with pytest.raises(RuntimeError):
        with warehouse.writing(SLUG, "L3") as session:
            con = session.connect()
            con.execute("create table meta.probe_two as select 2 as x")
            con.close()
            raise RuntimeError("the run failed after landing")
    assert warehouse.holder(paths) is None
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    assert con.execute("select x from meta.probe_two").fetchone() == (2,)
    con.close()

    monkeypatch.setenv("DAGSTER_HOME", str(REPO / "dagster_home"))
    limits = DagsterInstance.get().get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits


def test_the_instances_event_log_keeps_one_engine_per_file_and_another_process_reads_what_it_wrote(
        tmp_path, monkeypatch):
    """dagster.yaml's event log (instance_storage.py) stores a run's events in Dagster's usual files, through one
    engine per file however many events there are, with every event in the file itself at once (not waiting in
    the write-ahead log, where the UI's file watcher would not see it), and a second process (the UI, the
    daemon) reads them."""
    from dagster import DagsterInstance, job, op

    from dagster_project.instance_storage import EngineKeepingSqliteEventLogStorage

    shutil.copyfile(REPO / "dagster_home" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))

    @op
    def noisy(context):
        for n in range(20):
            context.log.info(f"event {n}")

    @job
    def probe():
        noisy()

    instance = DagsterInstance.get()
    assert isinstance(instance.event_log_storage, EngineKeepingSqliteEventLogStorage)
    result = probe.execute_in_process(instance=instance)
    run_id = result.run_id
    assert set(instance.event_log_storage._engines) == {run_id, "index"}
    assert (tmp_path / "history" / "runs" / f"{run_id}.db").exists()
    import sqlite3
    in_file = sqlite3.connect(f"file:{tmp_path / 'history' / 'runs' / f'{run_id}.db'}?immutable=1", uri=True)
    try:           # immutable: the file alone, the write-ahead log ignored
        assert in_file.execute("select count(*) from event_logs").fetchone()[0] == len(instance.all_logs(run_id))
    finally:
        in_file.close()
    reader = subprocess.run([sys.executable, "-c", f"""
from dagster import DagsterInstance
logs = DagsterInstance.get().all_logs({run_id!r})
print(sum(1 for e in logs if e.user_message.startswith("event ")), logs[-1].dagster_event.event_type_value)"""],
                            capture_output=True, text=True, env=dict(os.environ, DAGSTER_HOME=str(tmp_path)), timeout=120)
    assert reader.stdout.split() == ["20", "PIPELINE_SUCCESS"], reader.stderr
    instance.dispose()


def test_a_pack_moved_aside_by_a_process_killed_mid_swap_is_put_back(tmp_path):
    from dagster_project.packs.render import clear_dead_renderings

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()                                       # its pid now belongs to no process
    folder = tmp_path / "ho-vru" / "2024-25-Q1"
    aside = folder.with_name(f".{folder.name}.replaced-{dead.pid}")
    half = folder.with_name(f".{folder.name}.rendering-{dead.pid}")
    aside.mkdir(parents=True)
    (aside / "manifest.json").write_text("{}")
    half.mkdir()
    (half / "ho-vru.pdf").write_bytes(b"")
    clear_dead_renderings(folder)
    assert (folder / "manifest.json").read_text() == "{}"     # the previous rendering, back in place
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]
