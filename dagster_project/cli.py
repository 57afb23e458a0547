"""``pccw``: the command line for finance officers, operators and developers.

Each command is a sub-command whose handler (``cmd_*``, taking the parsed arguments) returns the
exit code; :func:`build_parser` declares them, the options they share (``--tenant``,
``--format``) once each. A command that fails says why in one line on stderr, starting ``pccw:``,
never with a traceback (set ``PCCW_DEBUG=1`` to see the traceback of an unexpected error).

Exit codes, the same for every command (the constants are in dagster_project/errors.py):
  0  done
  1  the work failed: a run failed, a pack was blocked, a return was rejected or is not a
     return, a traced figure does not reconcile, or an unexpected error
  2  bad configuration, arguments or paths (an unknown tenant or pack, a folder that is not a
     pack, a malformed period or one that has not ended, no such file): nothing was done
  3  done, but something needs attention: `run` quarantined input files (the reasons are
     printed); `status` found a failing check, a stale source or a pack not showing the data
  4  nothing to read yet: the tenant has no warehouse (run `pccw run --tenant T` first)
  5  another run holds the tenant's warehouse and did not finish in the time allowed
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import threading
from pathlib import Path

from dagster_project import settings
from dagster_project.errors import (EXIT_ATTENTION, EXIT_FAILED, EXIT_NOT_READY, EXIT_OK, EXIT_USAGE, NoWarehouse,
                                    PccwError, UsageError)
from dagster_project.settings import TenantPaths
from dagster_project.tenants import ConfigError, available_tenants, load_tenant


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code (see the table above)."""
    args = build_parser().parse_args(argv)
    try:
        code = args.handler(args)
        sys.stdout.flush()          # a reader gone away shows here, as BrokenPipeError, not at exit
        return code
    except PccwError as exc:
        print(f"pccw: {exc}", file=sys.stderr)
        return exc.exit_code
    except ConfigError as exc:
        print(f"pccw: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader stopped early (`pccw status | head`): not worth a message. Point stdout at
        # /dev/null so flushing it at exit does not raise again (the Python docs' recipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:
        if os.environ.get("PCCW_DEBUG", "") not in ("", "0"):
            raise
        lines = str(exc).strip().splitlines()
        what = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
        print(f"pccw: unexpected error: {what} (set PCCW_DEBUG=1 to see the traceback)", file=sys.stderr)
        return EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    """Every command, each with its handler (``args.handler``)."""
    tenant = argparse.ArgumentParser(add_help=False)
    tenant.add_argument("--tenant", default=settings.DEFAULT_TENANT,
                        help=f"the tenant: a folder of sources/ (default {settings.DEFAULT_TENANT})")
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for a person (default), or one JSON document")

    parser = argparse.ArgumentParser(prog="pccw", description="Commissioning warehouse for a PCC office.",
                                     epilog=__doc__[__doc__.index("Exit codes"):],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"pccw {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = _command(sub, "run", cmd_run, "land every source and build the warehouse for a tenant", tenant)
    run.add_argument("--no-demo", action="store_true", help="never generate demo data, even into an empty inbox")
    run.add_argument("--wait", type=float, metavar="SECONDS",
                     help="how long to wait for another run of the same tenant to finish (default $PCCW_LOCK_WAIT "
                          "or 1800); then give up with exit 5, nothing done")
    run.add_argument("--force", action="store_true",
                     help="run every step even when nothing changed since the last successful run")

    demo = _command(sub, "demo-data", cmd_demo, "write a tenant's synthetic demo inbox (deterministic)", tenant)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--scale", type=float, default=1.0, help="multiplies the volume of police data")
    demo.add_argument("--national", action="store_true",
                      help="national size: all 43 forces' police files for 5 years (about 35 million rows, 8 GB), "
                           "and this tenant's share of 1,000 agreements and 200 providers")
    demo.add_argument("--out", type=Path, help="folder to write into (default: the tenant's inbox)")

    _command(sub, "docs", cmd_docs, "build the dbt docs site (one static page) for a tenant's warehouse", tenant)

    rsub = sub.add_parser("returns", help="provider quarterly returns: template, check, overdue") \
        .add_subparsers(dest="returns_command", required=True, metavar="COMMAND")
    tpl = _command(rsub, "template", cmd_returns_template,
                   "write the return template for an agreement and quarter", tenant)
    tpl.add_argument("--agreement", required=True)
    tpl.add_argument("--quarter", required=True, help="e.g. 2024-25-Q2")
    tpl.add_argument("--out", type=Path)
    chk = _command(rsub, "check", cmd_returns_check, "validate one return offline; exit 0 accepted, 1 rejected "
                                                     "or not a return, 2 no such file (or a folder)", tenant)
    chk.add_argument("file", type=Path)
    chk.add_argument("--feedback", type=Path, help="also write the feedback and a marked copy into this folder")
    _command(rsub, "overdue", cmd_returns_overdue,
             "returns not received 30 days after the quarter ended, per provider", tenant)

    psub = sub.add_parser("packs", help="government return packs: due, render, audit") \
        .add_subparsers(dest="packs_command", required=True, metavar="COMMAND")
    render = _command(psub, "render", cmd_packs_render, "render one pack for one period", tenant)
    render.add_argument("pack", help="moj-victims, ho-vru or ho-immediate-justice")
    render.add_argument("--period", required=True, help="e.g. 2024-25-H1 (half-yearly) or 2024-25-Q3 (quarterly)")
    render.add_argument("--override-reason", help="render despite failed blocking checks; recorded on the cover")
    render.add_argument("--out", type=Path, help="folder to write (default reports/out/<tenant>/<pack>/<period>)")
    render.add_argument("--as-of", help="a load id or date: re-render from the data as it stood then")
    render.add_argument("--draft", action="store_true",
                        help="render a period that has not ended yet (its figures are incomplete)")
    _command(psub, "due", cmd_packs_due, "list the packs due for a tenant", tenant, output)
    audit = _command(psub, "audit", cmd_packs_audit,
                     "write audit.html beside a rendered pack: every figure and its sources")
    audit.add_argument("folder", type=Path)

    trace = _command(sub, "trace", cmd_trace, "trace a pack figure to its sources, or a ledger line to pack "
                                              "figures (--tenant goes with --transaction)", tenant, output)
    trace.add_argument("folder", nargs="?", type=Path,
                       help="a rendered pack's folder (reports/out/<tenant>/<pack>/<period>)")
    trace.add_argument("figure", nargs="?",
                       help="a lineage id from manifest.json, or a sheet!cell such as 'Grant Lines!D4'")
    trace.add_argument("--transaction", help="a ledger transaction id: which pack figures it feeds")

    _command(sub, "status", cmd_status, "the last run, failing checks, overdue returns and stale sources "
                                        "(exit 3 when something needs attention)", tenant, output)
    _command(sub, "tenants", cmd_tenants, "list the configured tenants (exit 2 if a tenant.yml cannot be used)")
    _command(sub, "dbt-parse", cmd_dbt_parse, "prepare the dbt manifest (offline), and the parse the tenant's "
                                              "refreshes start from", tenant)
    return parser


def _command(sub, name: str, handler, help: str, *parents: argparse.ArgumentParser) -> argparse.ArgumentParser:
    command = sub.add_parser(name, help=help, description=help, parents=list(parents))
    command.set_defaults(handler=handler)
    return command


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("pccw")
    except PackageNotFoundError:
        return "(version unknown: the package is not installed)"


def _require_warehouse(slug: str) -> Path:
    """The tenant's published warehouse; :class:`NoWarehouse` (exit 4) before its first run. Checked
    before a command starts work (a pack render, a docs build) so it fails in one line, early."""
    warehouse = TenantPaths.for_tenant(slug).warehouse
    if not warehouse.exists():
        raise NoWarehouse(slug)
    return warehouse


class _AsOfWarehouseGone(PccwError):
    exit_code = EXIT_NOT_READY


def _pack_warehouse(manifest: dict) -> Path:
    """The warehouse a rendered pack was read from: the tenant's, or the as-of copy it was rendered from."""
    from dagster_project.lineage.trace import rendered_as_of
    if rendered_as_of(manifest):
        warehouse = Path(manifest["warehouse"])
        if not warehouse.exists():
            pack, period, load = manifest["pack"], manifest["period"], rendered_as_of(manifest)
            raise _AsOfWarehouseGone(
                f"{pack} {period} was rendered from the data as of load {load}, whose copy {warehouse} no longer "
                f"exists; render it again with `pccw packs render {pack} --period {period} --as-of {load}`")
        return warehouse
    return _require_warehouse(load_tenant(manifest["tenant"]).slug)


def _period_end(period: str) -> dt.date:
    """The last day of a pack period (2024-25-Q3, 2024-25-H1); :class:`UsageError` if it is not one."""
    from dagster_project.packs.spec import SpecError, parse_period
    from dagster_project.periods import FinancialYear, Quarter

    try:
        year_label, part = parse_period(period)
        year = FinancialYear.parse(year_label)
    except (SpecError, ValueError):
        raise UsageError(f"{period!r} is not a period like 2024-25-Q3 (quarterly) or 2024-25-H1 (half-yearly)") \
            from None
    if part.startswith("Q"):
        return Quarter(year, int(part[1])).end
    return Quarter(year, 2 if part == "H1" else 4).end


def _refuse_unended(tenant, period: str, draft: bool) -> bool:
    """A pack is for a period that has ended before the reporting date, unless it is a draft;
    True when the pack will be a draft."""
    end = _period_end(period)
    reporting = tenant.reporting_date
    if end < reporting:
        return False
    source = "as_of in its tenant.yml" if tenant.as_of else "today"
    if not draft:
        raise UsageError(f"{period} has not ended: it ends on {end:%d/%m/%Y} and {tenant.slug}'s reporting date is "
                         f"{reporting:%d/%m/%Y} ({source}); render it once it has ended, or give --draft for a "
                         f"draft with incomplete figures")
    print(f"draft: period {period} has not ended (it ends on {end:%d/%m/%Y}, reporting date {reporting:%d/%m/%Y}); "
          f"figures are incomplete")
    return True


# --- the commands: each takes the parsed arguments and returns the exit code ---------------------

def cmd_tenants(args) -> int:
    """List every configured tenant; a tenant.yml that cannot be used is listed with its reason (exit 2)."""
    slugs = available_tenants()
    if not slugs:
        raise UsageError(f"no tenants configured: {settings.SOURCES_DIR} has no <tenant>/tenant.yml")
    bad = 0
    for slug in slugs:
        try:
            t = load_tenant(slug)
        except ConfigError as exc:
            bad += 1
            print(f"{slug:20} ERROR: {' '.join(str(exc).split())}")
            continue
        print(f"{slug:20} {t.name} ({len(t.districts)} districts, {len(t.plans)} plans)")
    if bad:
        print(f"pccw: {bad} of {len(slugs)} tenant.yml file(s) cannot be used (see ERROR above)", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_dbt_parse(args) -> int:
    """Prepare the dbt manifest (offline), with the parse the tenant's refreshes start from."""
    from dagster_project.dbt_project import parse_manifest
    print(f"dbt manifest: {parse_manifest(load_tenant(args.tenant).as_of)}")
    return EXIT_OK


def cmd_demo(args) -> int:
    """Write the tenant's synthetic demo inbox (or into ``--out``)."""
    _write_demo(load_tenant(args.tenant), args.seed, args.scale, args.out, args.national)
    return EXIT_OK


def _write_demo(tenant, seed: int = 0, scale: float = 1.0, out: Path | None = None, national: bool = False) -> None:
    from dagster_project.demo.generator import generate

    counts = generate(tenant, out, seed=seed, scale=scale, national_scale=national)
    print(f"Demo data for {tenant.name} written to {out or tenant.inbox}:")
    for family, n in counts.items():
        print(f"  {family:17} {n} file(s)")


def cmd_trace(args) -> int:
    """Trace a pack figure to its sources (exit 1 if it does not reconcile), or a ledger line to figures."""
    # A TraceError (a folder that is not a pack, an unknown figure or transaction) is a UsageError: exit 2.
    from dagster_project.lineage.trace import find_figure, format_trace, load_manifest, trace_figure

    if args.transaction:
        return _trace_transaction(args)
    if not args.folder or not args.figure:
        raise UsageError("give a pack folder and a figure, or --transaction ID")
    manifest = load_manifest(args.folder)
    figure = find_figure(manifest, args.figure)
    with _read_only(_pack_warehouse(manifest)) as con:
        traced = trace_figure(con, manifest, figure)
    print(_json(traced.as_dict()) if args.format == "json" else format_trace(traced))
    return EXIT_OK if traced.reconciles else EXIT_FAILED


def _trace_transaction(args) -> int:
    from dagster_project.lineage.trace import trace_transaction

    tenant = load_tenant(args.tenant)
    with _read_only(_require_warehouse(tenant.slug)) as con:
        result = trace_transaction(con, args.transaction, settings.reports_out() / tenant.slug)
    if args.format == "json":
        print(_json(result))
        return EXIT_OK
    print(f"Transaction {result['transaction_id']} {result['posting_date']} £{result['amount']} "
          f"{result['journal_type']} agreement {result['agreement_ref'] or '-'}, "
          f"{result['file']} {result['locator']} sha256 {result['sha256']}")
    print(f"feeds {len(result['feeds'])} figure(s) in rendered packs:")
    for f in result["feeds"]:
        how = f"part £{f['part']}" if f["part"] is not None else "through " + ", ".join(f["through"])
        print(f"  {f['pack']} {f['period']} {f['sheet']}!{f['cell']} {f['figure']} ({how})")
    return EXIT_OK


def cmd_packs_audit(args) -> int:
    """Write audit.html beside a rendered pack."""
    from dagster_project.lineage.audit_page import write_audit_page
    from dagster_project.lineage.trace import load_manifest

    manifest = load_manifest(args.folder)
    page = write_audit_page(args.folder, _pack_warehouse(manifest))
    print(f"audit page: {page} (opens from disk)")
    return EXIT_OK


def cmd_packs_due(args) -> int:
    """The packs a tenant owes, one line (or JSON object) per pack and period ended."""
    from dagster_project.packs.due import due_packs
    from dagster_project.packs.render import out_dir

    tenant = load_tenant(args.tenant)
    _require_warehouse(tenant.slug)
    due = [{"pack": pack, "period": period, "folder": str(out_dir(tenant.slug, pack, period))}
           for pack, period in due_packs(tenant)]
    if args.format == "json":
        print(_json({"tenant": tenant.slug, "as_of": tenant.reporting_date.isoformat(), "due": due}))
    else:
        for d in due:
            print(f"{d['pack']:22} {d['period']:12} {d['folder']}")
    return EXIT_OK


def cmd_packs_render(args) -> int:
    """Render one pack for one period: exit 1 if a blocking check failed, 2 if the period has not ended."""
    from dagster_project.packs.render import PackBlocked, render_pack
    from dagster_project.packs.spec import SpecError, spec_for

    tenant = load_tenant(args.tenant)
    try:
        spec_for(args.pack, args.period)        # an unknown pack or a malformed period: before anything is read
    except SpecError as exc:
        raise UsageError(str(exc)) from None
    draft = _refuse_unended(tenant, args.period, args.draft) or args.draft
    _require_warehouse(tenant.slug)
    try:
        folder = render_pack(tenant, args.pack, args.period, args.override_reason, args.out, args.as_of, draft=draft)
    except (SpecError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    except PackBlocked as exc:
        print(f"pccw: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.pack} {args.period} for {tenant.name}: {folder}")
    for item in sorted(folder.iterdir()):
        print(f"  {item.name}")
    return EXIT_OK


def cmd_returns_template(args) -> int:
    """Write the return template for an agreement and quarter."""
    from dagster_project.periods import Quarter
    from dagster_project.returns import service

    tenant = load_tenant(args.tenant)
    with _returns_usage_errors():
        Quarter.parse(args.quarter)             # a malformed quarter is exit 2, even before a first run
        _require_warehouse(tenant.slug)
        path = service.issue_template(tenant, args.agreement, args.quarter, args.out)
    print(f"Template for {args.agreement} {args.quarter}: {path}")
    return EXIT_OK


def cmd_returns_overdue(args) -> int:
    """Returns not received 30 days after the quarter ended."""
    from dagster_project.returns import service

    tenant = load_tenant(args.tenant)
    _require_warehouse(tenant.slug)
    with _returns_usage_errors():
        rows = service.overdue(tenant)
    print(f"{len(rows)} return(s) overdue (not received 30 days after the quarter ended):")
    for provider, ref, quarter, due_date, days in rows:
        print(f"  {provider:40} {ref:12} {quarter}  due {due_date:%d/%m/%Y}  {days} days overdue")
    return EXIT_OK


@contextlib.contextmanager
def _returns_usage_errors():
    """The returns service's NotReady and ValueError (a malformed quarter, an unknown agreement) are usage: exit 2."""
    from dagster_project.returns import service
    try:
        yield
    except (service.NotReady, ValueError) as exc:
        raise UsageError(str(exc)) from None


def cmd_returns_check(args) -> int:
    """Validate one return offline: exit 0 accepted (perhaps with warnings), 1 rejected or not a return."""
    from dagster_project.returns import service
    from dagster_project.returns.feedback import feedback_text, write_feedback
    from dagster_project.returns.validation import NOT_A_RETURN, REJECTED

    tenant = load_tenant(args.tenant)
    if not args.file.exists():
        raise UsageError(f"{args.file}: no such file; give one provider return workbook (.xlsx)")
    if not args.file.is_file():
        raise UsageError(f"{args.file} is a folder, not a file: give one provider return workbook (.xlsx)")
    verdict, with_register = service.check_file(tenant, args.file)
    print(feedback_text(verdict), end="")
    if not with_register:
        print("(The agreements register was not available, so the agreement and its dates were not checked.)")
    if args.feedback:
        for written in write_feedback(verdict, args.file, args.feedback, args.file.name):
            print(f"written: {written}")
    return EXIT_FAILED if verdict.status in (REJECTED, NOT_A_RETURN) else EXIT_OK


def cmd_docs(args) -> int:
    """Build the dbt docs site for a tenant's warehouse."""
    from dagster_project.dbt_project import generate_docs
    from dagster_project.publish.site import site_page, write_site

    tenant = load_tenant(args.tenant)
    _require_warehouse(tenant.slug)
    paths = TenantPaths.for_tenant(tenant.slug)
    page = generate_docs(paths.warehouse, paths.root / "docs", tenant.as_of)
    print(f"dbt docs for {tenant.name}: {page} (opens from disk)")
    write_site(tenant)
    print(f"reports site (links the docs): {site_page(tenant)}")
    return EXIT_OK


def cmd_status(args) -> int:
    """The morning's report: exit 3 when something needs attention."""
    from dagster_project.status import format_status, status, status_json

    tenant = load_tenant(args.tenant)
    _require_warehouse(tenant.slug)
    report = status(tenant)
    print(status_json(report) if args.format == "json" else format_status(report))
    return EXIT_ATTENTION if report.needs_attention else EXIT_OK


def inbox_is_empty(inbox: Path) -> bool:
    return not inbox.exists() or not any(p.is_file() for p in inbox.rglob("*"))


def cmd_run(args) -> int:
    """Land, build and render for a tenant: exit 1 if the run failed, 3 if files were quarantined."""
    tenant = load_tenant(args.tenant)
    if not args.no_demo and tenant.demo is not None and inbox_is_empty(tenant.inbox):
        print(f"The inbox {tenant.inbox} is empty: generating demo data first.")
        _write_demo(tenant)

    from dagster_project import run_history, run_stamp, warehouse
    from dagster_project.load_ids import new_load_id

    load_id = new_load_id()
    with warehouse.writing(tenant.slug, load_id, wait=args.wait) as session:
        started_from = run_stamp.inputs(tenant)
        quiet = None if args.force else run_stamp.quiet_since(tenant, started_from)
        if quiet is not None:
            run_history.close_dead_runs(session.paths, session.previous)
            run_history.record_start(session.paths, load_id)
            said = (f"nothing new since run {quiet['load_id']} ({quiet['finished_at'][:16]} UTC): the inbox, the "
                    f"tenant folder, the code and the reporting date are unchanged, and the warehouse and reports "
                    f"are as that run left them")
            run_history.record_end(session.paths, load_id, "succeeded", {}, said)
            print(f"Run {load_id} for {tenant.slug}: {said}.\n"
                  f"  warehouse: {session.paths.warehouse}\n"
                  f"  reports: {settings.reports_out() / tenant.slug}\n"
                  "  (`pccw run --force` runs every step anyway)")
            return EXIT_OK
        run_stamp.forget(tenant)

        from dagster import DagsterInstance

        from dagster_project.pipeline import run_refresh

        instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
        with RunProgress(tenant.slug, load_id, sys.stdout) as progress:
            result = run_refresh(tenant.slug, load_id, instance, log_level=progress.log_level, wait=args.wait)
        if result.success:
            ended = run_history.last_run(session.paths)
            try:
                run_stamp.remember(tenant, load_id, str(ended["finished_at"]) if ended else "", started_from)
            except OSError as exc:      # the stamp only saves the next quiet night a Dagster run
                print(f"pccw: warning: the run's stamp could not be written ({exc}); the next run runs every "
                      "step", file=sys.stderr)

    from dagster_project.extract.ingest import raw_row_counts

    paths = TenantPaths.for_tenant(tenant.slug)
    print(summary(tenant.slug, load_id, paths, raw_row_counts(tenant)))
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        print(f"pccw: the run failed at: {', '.join(failed) or 'unknown step'}. "
              f"Raw data already landed is kept; see the Dagster logs (make ui).", file=sys.stderr)
        return EXIT_FAILED
    rejected = _quarantined(paths, load_id, "rejected_return")
    if rejected:
        print(f"{len(rejected)} provider return(s) not accepted; each provider's feedback (what to fix, sheet and "
              f"cell) is beside the return in {paths.quarantine / 'provider_returns'}:")
        for reason in rejected:
            print(f"  - {reason}")
    quarantined = _quarantined(paths, load_id, "bad_file")
    if quarantined:
        print(f"pccw: {len(quarantined)} file(s) quarantined in {paths.quarantine}; the rest loaded:", file=sys.stderr)
        for reason in quarantined:
            print(f"  - {reason}", file=sys.stderr)
        return EXIT_ATTENTION
    return EXIT_OK


class RunProgress:
    """Says which phase a run is in while it works (landing a source, the dbt build, rendering a
    pack), read from the note the run keeps in its lock (``warehouse.holder``) by a background
    thread. On a terminal: one live status line (rich). Else (a pipe, a log file, cron): one plain
    line per phase change and no terminal control codes. Either way Dagster's log is cut to warnings
    (the whole log is in the Dagster instance: `make ui`)."""

    POLL_SECONDS = 0.2

    def __init__(self, slug: str, load_id: str, out):
        self.paths = TenantPaths.for_tenant(slug)
        self.label = f"{slug} {load_id}"
        self.load_id = load_id
        self.out = out
        self.phase: str | None = None
        self.live = None
        self.log_level = "WARNING"
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="pccw-progress", daemon=True)

    def __enter__(self) -> RunProgress:
        if self.out.isatty():
            from rich.console import Console
            self.live = Console(file=self.out, highlight=False).status(self._line("starting"))
            self.live.start()
        self._watcher.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._watcher.join()
        if self.live is not None:
            self.live.stop()

    def _watch(self) -> None:
        while not self._stop.wait(self.POLL_SECONDS):
            # A progress line must never stop or disturb the run it describes.
            with contextlib.suppress(Exception):
                self.show(self.current_phase())

    def current_phase(self) -> str | None:
        """This run's phase; None while it waits for another run's lock, and once it has let go."""
        from dagster_project import warehouse
        note = warehouse.holder(self.paths)
        return note.get("phase") if note and note.get("load_id") == self.load_id else None

    def show(self, phase: str | None) -> None:
        """Show a phase if it is new."""
        if phase is None or phase == self.phase:
            return
        self.phase = phase
        if self.live is not None:
            self.live.update(self._line(phase))
        else:
            print(f"{dt.datetime.now():%H:%M:%S} {self.label}: {phase}", file=self.out, flush=True)

    def _line(self, phase: str):
        from rich.text import Text
        return Text(f"{self.label}: {phase}")         # plain text: a phase is never read as rich markup


def _quarantined(paths, load_id: str, kind: str) -> list[str]:
    with _read_only(paths.warehouse) as con:
        return [r[0] for r in con.execute("""select reason from meta.quarantined_files
                                             where load_id = ? and kind = ? order by 1""", [load_id, kind]).fetchall()]


def summary(tenant: str, load_id: str, paths, counts: dict[str, int]) -> str:
    """What a run did, as `pccw run` prints it at the end."""
    with _read_only(paths.warehouse) as con:
        per_family = con.execute("""
            select family, count(*) filter (where load_id = ?), count(*) from meta.landed_files group by 1 order by 1
        """, [load_id]).fetchall()
        models = con.execute("""select table_schema, count(*) from information_schema.tables
                                where table_schema not in ('raw', 'meta', 'main') group by 1 order by 1""").fetchall()
    lines = [f"Run {load_id} for {tenant}", f"  warehouse: {paths.warehouse}", f"  landing archive: {paths.landing}",
             f"  quarantine: {paths.quarantine}", "  files landed this run / in total, by source family:"]
    lines += [f"    {family:17} {now:5} / {total}" for family, now, total in per_family]
    lines.append("  raw tables (rows):")
    lines += [f"    raw.{table:26} {n:>10,}" for table, n in counts.items()]
    lines.append("  dbt schemas (tables and views): " + ", ".join(f"{s} {n}" for s, n in models))
    packs_root = settings.reports_out() / tenant
    if packs_root.exists():
        rendered = sorted(p.parent for p in packs_root.glob("*/*/manifest.json"))
        lines.append(f"  return packs ({len(rendered)}, each xlsx + html + pdf + manifest.json) in {packs_root}:")
        lines += [f"    {p.parent.name:22} {p.name}" for p in rendered]
        if (packs_root / "index.html").exists():
            lines.append(f"  reports site (opens from disk): {packs_root / 'index.html'}")
        published = sorted(packs_root.glob("360giving/*/*.json"))
        if published:
            lines.append(f"  360Giving publication (grants awarded, each json + xlsx) in {packs_root / '360giving'}:")
            lines += [f"    {p.parent.name:22} {p.name}" for p in published]
    return "\n".join(lines)


@contextlib.contextmanager
def _read_only(path: Path):
    """A read-only connection to the warehouse file ``path``, closed after the block."""
    from dagster_project.warehouse import open_reader_at
    con = open_reader_at(path)
    try:
        yield con
    finally:
        con.close()


def _json(document) -> str:
    """One JSON document for ``--format json``; dates, decimals and paths as strings."""
    import json
    return json.dumps(document, indent=2, default=str)


if __name__ == "__main__":
    sys.exit(main())
