"""The command line fails with one line and an exit code, never a traceback: on wrong paths,
wrong arguments, periods that have not ended, and before a tenant's first run."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import duckdb
import pytest

from dagster_project import cli, warehouse
from dagster_project.cli import main
from dagster_project.errors import (EXIT_ATTENTION, EXIT_BUSY, EXIT_FAILED, EXIT_NOT_READY, EXIT_OK, EXIT_USAGE,
                                    Busy)
from dagster_project.settings import TenantPaths
from dagster_project.status import FRESH, NOT_AVAILABLE, STALE
from dagster_project.tenants import load_tenant

REPO = Path(__file__).resolve().parent.parent
TENANT = "west_yorkshire"          # as_of 2025-05-15 in its tenant.yml


def one_line_error(capsys) -> str:
    """stderr is exactly one line, `pccw: ...`, and no traceback reached it."""
    return only_line(capsys.readouterr().err)


def only_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pccw: "), err
    return lines[0]


def fake_pack(root: Path, tenant: str = TENANT) -> Path:
    """A pack folder with a manifest.json, as `pccw packs render` leaves it (without the files)."""
    folder = root / "reports" / tenant / "ho-vru" / "2024-25-Q1"
    folder.mkdir(parents=True)
    manifest = {"pack": "ho-vru", "period": "2024-25-Q1", "tenant": tenant, "as_of_load": None,
                "figures": [{"id": "funding:all:amount", "sheet": "Funding", "cell": "B4", "value": "1.00"}]}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


# --- before a first run: every command that reads the warehouse exits 4 ---------------------

PACK = "<a rendered pack's folder>"      # replaced by fake_pack(): a pack of a tenant never run
BEFORE_A_RUN = {
    "status": ["status", "--tenant", TENANT],
    "status --format json": ["status", "--tenant", TENANT, "--format", "json"],
    "packs due": ["packs", "due", "--tenant", TENANT],
    "packs due --format json": ["packs", "due", "--tenant", TENANT, "--format", "json"],
    "packs render": ["packs", "render", "ho-vru", "--period", "2024-25-Q1", "--tenant", TENANT],
    "packs audit": ["packs", "audit", PACK],
    "trace": ["trace", PACK, "Funding!B4"],
    "trace --transaction": ["trace", "--transaction", "GL-1", "--tenant", TENANT],
    "returns overdue": ["returns", "overdue", "--tenant", TENANT],
    "returns template": ["returns", "template", "--agreement", "WY-001", "--quarter", "2024-25-Q2",
                         "--tenant", TENANT],
    "docs": ["docs", "--tenant", TENANT],
}
# The commands that need no warehouse, and why.
WITHOUT_A_WAREHOUSE = {
    "run": "makes the warehouse",
    "demo-data": "writes an inbox",
    "tenants": "reads only the tenant.yml files",
    "dbt-parse": "reads only the dbt project",
    "returns check": "checks a file offline; without the register it says it did not check the agreement",
}


def leaf_commands(parser, words: tuple[str, ...] = ()) -> set[str]:
    """Every command a user can type ('packs due', 'status'), read from the parser itself."""
    import argparse
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        return {" ".join(words)}
    return set().union(*(leaf_commands(sub, (*words, name)) for name, sub in groups[0].choices.items()))


def test_every_command_is_tried_before_a_first_run():
    commands = leaf_commands(cli.build_parser())
    tried = {next(c for c in commands if argv[:len(c.split())] == c.split()) for argv in BEFORE_A_RUN.values()}
    assert tried == commands - WITHOUT_A_WAREHOUSE.keys()
    assert WITHOUT_A_WAREHOUSE.keys() <= commands


@pytest.mark.parametrize("argv", BEFORE_A_RUN.values(), ids=BEFORE_A_RUN.keys())
def test_reading_commands_before_a_first_run_exit_4(isolated, capsys, argv):
    argv = [str(fake_pack(isolated)) if word == PACK else word for word in argv]
    assert main(argv) == EXIT_NOT_READY
    out, err = capsys.readouterr()
    line = only_line(err)
    assert f"no warehouse for {TENANT} yet" in line and f"pccw run --tenant {TENANT}" in line
    assert out == ""


def test_before_a_first_run_as_a_process_no_traceback_reaches_the_terminal(isolated):
    env = dict(os.environ, PCCW_SOURCES=str(isolated / "sources"), PCCW_HOME=str(isolated / "var"))
    env.pop("DAGSTER_HOME", None)
    env.pop("PCCW_DEBUG", None)
    done = subprocess.run([sys.executable, "-m", "dagster_project.cli", "packs", "due", "--tenant", TENANT],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == EXIT_NOT_READY
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [f"pccw: no warehouse for {TENANT} yet: nothing has been loaded; "
                                        f"run `pccw run --tenant {TENANT}` first"]
    assert done.stdout == ""


def test_a_reader_that_stops_early_gets_no_error_message(isolated):
    """`pccw tenants | true`: the reader is gone before pccw writes; exit 1, and nothing on stderr."""
    env = dict(os.environ, PCCW_SOURCES=str(isolated / "sources"), PCCW_HOME=str(isolated / "var"))
    run = subprocess.Popen([sys.executable, "-m", "dagster_project.cli", "tenants"], env=env, cwd=REPO,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run.stdout.close()                  # long before the interpreter has started and imported pccw
    assert run.wait(timeout=300) == EXIT_FAILED
    assert run.stderr.read() == ""


# --- wrong paths: exit 2, naming the path --------------------------------------------------

@pytest.mark.parametrize("kind", ["empty folder", "missing", "a file"])
@pytest.mark.parametrize("command", ["audit", "trace"])
def test_a_folder_that_is_not_a_pack_exits_2(isolated, capsys, command, kind):
    folder = isolated / "not_a_pack"
    if kind == "empty folder":
        folder.mkdir()
    elif kind == "a file":
        folder.write_text("hello")
    argv = ["packs", "audit", str(folder)] if command == "audit" else ["trace", str(folder), "Funding!B4"]
    assert main(argv) == EXIT_USAGE
    line = one_line_error(capsys)
    assert str(folder) in line and "is not a pack folder" in line
    assert "reports/out/<tenant>/<pack>/<period> holding manifest.json" in line


def test_a_manifest_that_is_not_json_exits_2(isolated, capsys):
    folder = fake_pack(isolated)
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    assert main(["packs", "audit", str(folder)]) == EXIT_USAGE
    assert "is not a pack manifest" in one_line_error(capsys)


def test_trace_without_folder_or_figure_exits_2(isolated, capsys):
    assert main(["trace"]) == EXIT_USAGE
    assert "give a pack folder and a figure, or --transaction ID" in one_line_error(capsys)


def test_trace_an_unknown_figure_exits_2(isolated, capsys):
    assert main(["trace", str(fake_pack(isolated)), "Nowhere!Z99"]) == EXIT_USAGE
    assert "no figure 'Nowhere!Z99' in this pack" in one_line_error(capsys)


@pytest.mark.parametrize("kind", ["folder", "missing"])
def test_returns_check_on_a_folder_or_a_missing_file_exits_2(isolated, capsys, kind):
    path = isolated if kind == "folder" else isolated / "nowhere.xlsx"
    assert main(["returns", "check", str(path), "--tenant", TENANT]) == EXIT_USAGE
    line = one_line_error(capsys)
    assert str(path) in line and ("is a folder" if kind == "folder" else "no such file") in line


def test_returns_check_of_something_not_a_return_is_rejected_exit_1(isolated, capsys):
    notes = isolated / "notes.xlsx"
    notes.write_text("not a workbook")
    assert main(["returns", "check", str(notes), "--tenant", TENANT]) == EXIT_FAILED
    assert "Traceback" not in capsys.readouterr().err


def test_returns_template_with_a_malformed_quarter_exits_2_even_before_a_run(isolated, capsys):
    assert main(["returns", "template", "--agreement", "WY-001", "--quarter", "Q2 2024",
                 "--tenant", TENANT]) == EXIT_USAGE
    assert "is not a quarter like 2024-25-Q2" in one_line_error(capsys)


# --- packs render: unknown packs, malformed periods, periods not ended -----------------------

def test_render_an_unknown_pack_lists_the_packs(isolated, capsys):
    assert main(["packs", "render", "home-office", "--period", "2024-25-Q1", "--tenant", TENANT]) == EXIT_USAGE
    line = one_line_error(capsys)
    assert "unknown pack 'home-office'" in line and "ho-immediate-justice, ho-vru, moj-victims" in line


@pytest.mark.parametrize("period", ["Q1 2024", "2024-25-Q5", "2024-99-Q1", "2024-25"])
def test_render_a_malformed_period_gives_the_format(isolated, capsys, period):
    assert main(["packs", "render", "ho-vru", "--period", period, "--tenant", TENANT]) == EXIT_USAGE
    line = one_line_error(capsys)
    assert repr(period) in line and "2024-25-Q3" in line


def test_render_the_wrong_kind_of_period_for_a_pack_exits_2(isolated, capsys):
    assert main(["packs", "render", "moj-victims", "--period", "2024-25-Q1", "--tenant", TENANT]) == EXIT_USAGE
    assert "moj-victims is half-yearly: give a period like 2024-25-H1" in one_line_error(capsys)


@pytest.mark.parametrize("pack, period, end", [("ho-vru", "2030-31-Q1", "30/06/2030"),
                                               ("ho-vru", "2025-26-Q1", "30/06/2025"),
                                               ("moj-victims", "2024-25-H2", "31/03/2025")])
def test_render_a_period_not_ended_is_refused_before_the_warehouse_is_read(isolated, capsys, pack, period, end):
    if period == "2024-25-H2":                  # ended 31/03/2025: refused only if the reporting date is on/before
        tenant_yml = isolated / "sources" / TENANT / "tenant.yml"
        tenant_yml.write_text(tenant_yml.read_text().replace("as_of: 2025-05-15", "as_of: 2025-03-31"))
        reporting = "31/03/2025"
    else:
        reporting = "15/05/2025"
    assert main(["packs", "render", pack, "--period", period, "--tenant", TENANT]) == EXIT_USAGE
    line = one_line_error(capsys)
    assert f"{period} has not ended" in line and f"ends on {end}" in line and f"reporting date is {reporting}" in line
    assert "--draft" in line


def test_render_a_period_that_ended_gets_past_the_refusal(isolated, capsys):
    assert main(["packs", "render", "moj-victims", "--period", "2024-25-H2", "--tenant", TENANT]) == EXIT_NOT_READY
    assert "no warehouse" in one_line_error(capsys)


def test_render_a_draft_gets_past_the_refusal(isolated, capsys):
    argv = ["packs", "render", "ho-vru", "--period", "2030-31-Q1", "--tenant", TENANT, "--draft"]
    assert main(argv) == EXIT_NOT_READY        # past the refusal, then nothing to read yet
    out, err = capsys.readouterr()
    assert "draft: period 2030-31-Q1 has not ended" in out and "figures are incomplete" in out
    assert err.splitlines() == [f"pccw: no warehouse for {TENANT} yet: nothing has been loaded; "
                                f"run `pccw run --tenant {TENANT}` first"]


# --- pccw tenants ----------------------------------------------------------------------------

def test_tenants_lists_every_tenant_and_carries_on_past_a_bad_one(isolated, capsys):
    assert main(["tenants"]) == EXIT_OK
    good = capsys.readouterr().out.splitlines()
    broken = isolated / "sources" / "broken_force" / "tenant.yml"
    broken.parent.mkdir()
    broken.write_text("name: [unclosed\n")
    assert main(["tenants"]) == EXIT_USAGE
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == len(good) + 1 and set(good) <= set(lines)
    (bad,) = [line for line in lines if line.startswith("broken_force")]
    assert "ERROR: " in bad and str(broken) in bad and "not valid YAML" in bad
    assert "Traceback" not in err and len(err.splitlines()) == 1 and err.startswith("pccw: 1 of ")


# --- status, packs due and the freshness checks, on a warehouse made by hand --------------------

def hand_built_warehouse(sql: str = "") -> None:
    """The tenant's published warehouse made by hand: empty (as after a first run that landed
    nothing and built nothing), or holding what ``sql`` creates."""
    con = duckdb.connect(str(TenantPaths.for_tenant(TENANT).ensure().warehouse))
    try:
        if sql:
            con.execute(sql)
    finally:
        con.close()


def sources_sql(posting_date: str, police_month: str) -> str:
    return (f"create schema raw; create table raw.ledger_lines as select '{posting_date}' as posting_date; "
            f"create table raw.police_street as select '{police_month}' as month")


def test_status_of_a_warehouse_never_built_needs_attention_exit_3(isolated, capsys):
    hand_built_warehouse()
    assert main(["status", "--tenant", TENANT]) == EXIT_ATTENTION
    text = capsys.readouterr().out
    assert "stale sources: 2" in text
    assert "- ledger: no ledger exports loaded" in text and "- police: no data.police.uk files loaded" in text
    assert "packs not showing the warehouse's data: not known: " in text

    assert main(["status", "--tenant", TENANT, "--format", "json"]) == EXIT_ATTENTION
    document = json.loads(capsys.readouterr().out)
    assert document["tenant"] == TENANT and document["as_of"] == "2025-05-15" and document["needs_attention"]
    assert [(s["source"], s["state"], s["latest"], s["expected"]) for s in document["sources"]] == [
        ("ledger", NOT_AVAILABLE, None, "2025-03-31"), ("police", NOT_AVAILABLE, None, "2025-02")]
    assert "no successful dbt build yet" in document["packs"]["not_known"]


@pytest.mark.parametrize("posting_date, latest_posting, police_month, state", [
    ("31/03/2025", "2025-03-31", "2025-02", FRESH), ("30/03/2025", "2025-03-30", "2025-01", STALE)])
def test_freshness_checks_decide_from_the_dates(isolated, posting_date, latest_posting, police_month, state):
    """West Yorkshire: reporting date 15/05/2025, the ledger 45 days old at most, police data 3 months."""
    from dagster_project.checks.freshness import freshness_result

    hand_built_warehouse(sources_sql(posting_date, police_month))
    tenant = load_tenant(TENANT)
    for source, latest, expected in (("ledger", latest_posting, "2025-03-31"), ("police", police_month, "2025-02")):
        result = freshness_result(tenant, source)
        assert result.passed == (state == FRESH)
        assert {k: v.value for k, v in result.metadata.items() if k != "detail"} == {
            "state": state, "latest": latest, "expected": expected}
    detail = freshness_result(tenant, "ledger").metadata["detail"].value
    assert detail == ("- ledger: latest posting 31/03/2025" if state == FRESH else
                      "- ledger: latest posting 30/03/2025 is more than 45 days before 15/05/2025")


def test_freshness_check_before_anything_is_loaded_fails(isolated):
    from dagster_project.checks.freshness import freshness_result

    result = freshness_result(load_tenant(TENANT), "police")
    assert not result.passed and result.metadata["state"].value == NOT_AVAILABLE
    assert "no warehouse yet" in result.metadata["detail"].value


REPORTING_PERIODS = """create schema returns;
    create table returns.rpt_reporting_periods as select * from (values
        ('2024-25-H2', 'half', date '2025-03-31'), ('2024-25-Q4', 'quarter', date '2025-03-31'),
        ('2025-26-Q1', 'quarter', date '2025-06-30')) periods(period, period_type, period_end)"""


def test_packs_due_as_text_and_as_json(isolated, capsys):
    hand_built_warehouse(REPORTING_PERIODS)
    assert main(["packs", "due", "--tenant", TENANT]) == EXIT_OK
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert main(["packs", "due", "--tenant", TENANT, "--format", "json"]) == EXIT_OK
    document = json.loads(capsys.readouterr().out)
    assert document["tenant"] == TENANT and document["as_of"] == "2025-05-15"
    assert [(d["pack"], d["period"]) for d in document["due"]] == [
        ("moj-victims", "2024-25-H2"), ("ho-vru", "2024-25-Q4"), ("ho-immediate-justice", "2024-25-Q4")]
    assert lines == [[d["pack"], d["period"], d["folder"]] for d in document["due"]]


def test_packs_due_of_a_warehouse_never_built_says_so_in_one_line(isolated, capsys):
    hand_built_warehouse()
    assert main(["packs", "due", "--tenant", TENANT, "--format", "json"]) == EXIT_FAILED
    out, err = capsys.readouterr()
    assert "no successful dbt build yet" in only_line(err) and out == ""


# --- progress of a run ------------------------------------------------------------------------

class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def wait_for(condition, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


PHASES = ("starting", "landing ledger", "dbt build", "rendering ho-vru")


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
def test_a_run_shows_its_phases(isolated, monkeypatch, terminal):
    """The phase a run writes in its lock's note: a plain line each in a pipe, a live line on a
    terminal; and nothing of another run that holds the lock while this one waits."""
    out = FakeTerminal() if terminal else io.StringIO()
    note = {"load_id": "L0", "phase": "dbt build"}          # another run's, at first
    monkeypatch.setattr(warehouse, "holder", lambda paths: dict(note))
    with cli.RunProgress(TENANT, "L1", out) as progress:
        time.sleep(5 * progress.POLL_SECONDS)
        assert "dbt build" not in out.getvalue()
        for phase in PHASES:
            note.update(load_id="L1", phase=phase)
            wait_for(lambda: f"{TENANT} L1: {phase}" in out.getvalue(), phase)
    assert progress.log_level == "WARNING"      # Dagster's INFO lines are in the instance, not the terminal
    if not terminal:
        assert [line.split(" ", 1)[1] for line in out.getvalue().splitlines()] == [
            f"{TENANT} L1: {phase}" for phase in PHASES]
        assert "\x1b" not in out.getvalue()


# --- --version, and the errors main() catches ------------------------------------------------

def test_version(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"pccw {version('pccw')}\n"


def test_an_unexpected_error_is_one_line_unless_pccw_debug(isolated, capsys, monkeypatch):
    def boom(args):
        raise RuntimeError("the disk is on fire\nsecond line")
    monkeypatch.setattr(cli, "cmd_docs", boom)
    monkeypatch.delenv("PCCW_DEBUG", raising=False)
    assert main(["docs", "--tenant", TENANT]) == EXIT_FAILED
    assert one_line_error(capsys) == ("pccw: unexpected error: RuntimeError: the disk is on fire "
                                      "(set PCCW_DEBUG=1 to see the traceback)")
    monkeypatch.setenv("PCCW_DEBUG", "1")
    with pytest.raises(RuntimeError, match="the disk is on fire"):
        main(["docs", "--tenant", TENANT])


def test_a_pccw_error_gives_its_exit_code(isolated, capsys, monkeypatch):
    def busy(args):
        raise Busy(f"another run holds {args.tenant}'s warehouse")
    monkeypatch.setattr(cli, "cmd_docs", busy)
    assert main(["docs", "--tenant", TENANT]) == EXIT_BUSY
    assert one_line_error(capsys) == f"pccw: another run holds {TENANT}'s warehouse"


def test_a_bad_tenant_is_still_a_configuration_error(isolated, capsys):
    assert main(["packs", "due", "--tenant", "greater_nowhere"]) == EXIT_USAGE
    assert "pccw: configuration error:" in one_line_error(capsys)
