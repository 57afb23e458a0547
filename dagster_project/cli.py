"""``pccw``: the command line for finance officers, operators and developers.

A command that fails says why in one line on stderr, starting ``pccw:``, never with a
traceback (set ``PCCW_DEBUG=1`` to see the traceback of an unexpected error). Exit codes
(dagster_project/errors.py):

  0  done
  1  the work failed: a run failed, a pack was blocked, a return was rejected or is not a return,
     or an unexpected error; for `status`: something needs attention (a failing check, a stale
     source, a rendered pack that no longer shows the warehouse's data)
  2  bad configuration, arguments or paths (a folder that is not a pack, a period that has not
     ended, an unknown pack): nothing was done
  3  the run finished, but some input files were quarantined (see the reasons printed)
  4  nothing to read yet: the tenant has no warehouse (run `pccw run --tenant T` first)
  5  another run holds the tenant's warehouse and did not finish in the time allowed
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from dagster_project import settings
from dagster_project.errors import (EXIT_BUSY, EXIT_FAILED, EXIT_NOT_READY, EXIT_OK,  # noqa: F401
                                    EXIT_QUARANTINED, EXIT_USAGE, NoWarehouse, PccwError, UsageError)
from dagster_project.tenants import ConfigError, available_tenants, load_tenant



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pccw", description="Commissioning warehouse for a PCC office.")
    parser.add_argument("--version", action="version", version=f"pccw {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="land every source and build the warehouse for a tenant")
    run.add_argument("--tenant", default=settings.DEFAULT_TENANT)
    run.add_argument("--no-demo", action="store_true", help="never generate demo data, even into an empty inbox")
    run.add_argument("--wait", type=float, metavar="SECONDS",
                     help="how long to wait for another run of the same tenant to finish (default $PCCW_LOCK_WAIT "
                          "or 1800); then give up with exit 5, nothing done")

    demo = sub.add_parser("demo-data", help="write a tenant's synthetic demo inbox (deterministic)")
    demo.add_argument("--tenant", default=settings.DEFAULT_TENANT)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--scale", type=float, default=1.0, help="multiplies the volume of police data")
    demo.add_argument("--national", action="store_true",
                      help="national size: all 43 forces' police files for 5 years (about 35 million rows, 8 GB), "
                           "and this tenant's share of 1,000 agreements and 200 providers")
    demo.add_argument("--out", type=Path, help="folder to write into (default: the tenant's inbox)")

    docs = sub.add_parser("docs", help="build the dbt docs site (one static page) for a tenant's warehouse")
    docs.add_argument("--tenant", default=settings.DEFAULT_TENANT)

    returns = sub.add_parser("returns", help="provider quarterly returns: template, check, overdue")
    rsub = returns.add_subparsers(dest="returns_command", required=True)
    tpl = rsub.add_parser("template", help="write the return template for an agreement and quarter")
    tpl.add_argument("--tenant", default=settings.DEFAULT_TENANT)
    tpl.add_argument("--agreement", required=True)
    tpl.add_argument("--quarter", required=True, help="e.g. 2024-25-Q2")
    tpl.add_argument("--out", type=Path)
    chk = rsub.add_parser("check", help="validate one return offline; exit 0 accepted, 1 rejected or not a return, "
                                        "2 no such file (or a folder)")
    chk.add_argument("file", type=Path)
    chk.add_argument("--tenant", default=settings.DEFAULT_TENANT)
    chk.add_argument("--feedback", type=Path, help="also write the feedback and a marked copy into this folder")
    due = rsub.add_parser("overdue", help="returns not received 30 days after the quarter ended, per provider")
    due.add_argument("--tenant", default=settings.DEFAULT_TENANT)

    packs = sub.add_parser("packs", help="government return packs")
    psub = packs.add_subparsers(dest="packs_command", required=True)
    render = psub.add_parser("render", help="render one pack for one period")
    render.add_argument("pack", help="moj-victims, ho-vru or ho-immediate-justice")
    render.add_argument("--tenant", default=settings.DEFAULT_TENANT)
    render.add_argument("--period", required=True, help="e.g. 2024-25-H1 (half-yearly) or 2024-25-Q3 (quarterly)")
    render.add_argument("--override-reason", help="render despite failed blocking checks; recorded on the cover")
    render.add_argument("--out", type=Path, help="folder to write (default reports/out/<tenant>/<pack>/<period>)")
    render.add_argument("--as-of", help="a load id or date: re-render from the data as it stood then")
    render.add_argument("--draft", action="store_true",
                        help="render a period that has not ended yet (its figures are incomplete)")
    listing = psub.add_parser("due", help="list the packs due for a tenant")
    listing.add_argument("--tenant", default=settings.DEFAULT_TENANT)

    trace = sub.add_parser("trace", help="trace a pack figure to its sources, or a ledger line to pack figures")
    trace.add_argument("folder", nargs="?", type=Path, help="a rendered pack's folder (reports/out/<tenant>/<pack>/<period>)")
    trace.add_argument("figure", nargs="?", help="a lineage id from manifest.json, or a sheet!cell such as 'Grant Lines!D4'")
    trace.add_argument("--transaction", help="a ledger transaction id: which pack figures it feeds")
    trace.add_argument("--tenant", default=settings.DEFAULT_TENANT, help="with --transaction")
    trace.add_argument("--format", choices=("text", "json"), default="text")
    audit = psub.add_parser("audit", help="write audit.html beside a rendered pack: every figure and its sources")
    audit.add_argument("folder", type=Path)

    st = sub.add_parser("status", help="the last run, failing checks, overdue returns and stale sources")
    st.add_argument("--tenant", default=settings.DEFAULT_TENANT)

    sub.add_parser("tenants", help="list the configured tenants (exit 2 if a tenant.yml cannot be used)")
    sub.add_parser("dbt-parse", help="prepare the dbt manifest (offline)")

    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args.tenant, demo_if_absent=not args.no_demo, wait=args.wait)
        if args.command == "demo-data":
            return cmd_demo(args.tenant, args.seed, args.scale, args.out, args.national)
        if args.command == "status":
            _require_warehouse(load_tenant(args.tenant).slug)
            from dagster_project.status import format_status, status
            report = status(load_tenant(args.tenant))
            print(format_status(report))
            # Needs attention: a failing check, a stale source, or a pack that no longer shows the data.
            return EXIT_OK if not (report.failing_checks or report.stale or report.packs) else EXIT_FAILED
        if args.command == "trace":
            return cmd_trace(args)
        if args.command == "packs":
            return cmd_packs(args)
        if args.command == "returns":
            return cmd_returns(args)
        if args.command == "docs":
            return cmd_docs(args.tenant)
        if args.command == "tenants":
            return cmd_tenants()
        if args.command == "dbt-parse":
            from dagster_project.dbt_project import parse_manifest
            print(f"dbt manifest: {parse_manifest()}")
            return EXIT_OK
    except PccwError as exc:
        print(f"pccw: {exc}", file=sys.stderr)
        return exc.exit_code
    except ConfigError as exc:
        print(f"pccw: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        if os.environ.get("PCCW_DEBUG", "") not in ("", "0"):
            raise
        lines = str(exc).strip().splitlines()
        what = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
        print(f"pccw: unexpected error: {what} (set PCCW_DEBUG=1 to see the traceback)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_FAILED


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("pccw")
    except PackageNotFoundError:
        return "(version unknown: the package is not installed)"


def _require_warehouse(slug: str) -> Path:
    """The tenant's published warehouse; :class:`NoWarehouse` (exit 4) before its first run. Checked
    before a command starts work (a pack render, a docs build) so it fails in one line, early."""
    from dagster_project.settings import TenantPaths
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


def cmd_tenants() -> int:
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


def cmd_demo(tenant_slug: str, seed: int, scale: float, out: Path | None, national_scale: bool = False) -> int:
    from dagster_project.demo.generator import generate

    tenant = load_tenant(tenant_slug)
    counts = generate(tenant, out, seed=seed, scale=scale, national_scale=national_scale)
    print(f"Demo data for {tenant.name} written to {out or tenant.inbox}:")
    for family, n in counts.items():
        print(f"  {family:17} {n} file(s)")
    return EXIT_OK


def cmd_trace(args) -> int:
    import json

    import duckdb

    # A TraceError (a folder that is not a pack, an unknown figure or transaction) is a UsageError: exit 2.
    from dagster_project.lineage.trace import find_figure, format_trace, load_manifest, trace_figure, trace_transaction

    if args.transaction:
        tenant = load_tenant(args.tenant)
        con = duckdb.connect(str(_require_warehouse(tenant.slug)), read_only=True)
        try:
            result = trace_transaction(con, args.transaction, settings.reports_out() / tenant.slug)
        finally:
            con.close()
        if args.format == "json":
            print(json.dumps(result, indent=2))
        else:
            print(f"Transaction {result['transaction_id']} {result['posting_date']} £{result['amount']} "
                  f"{result['journal_type']} agreement {result['agreement_ref'] or '-'}, "
                  f"{result['file']} {result['locator']} sha256 {result['sha256']}")
            print(f"feeds {len(result['feeds'])} figure(s) in rendered packs:")
            for f in result["feeds"]:
                how = f"part £{f['part']}" if f["part"] is not None else "through " + ", ".join(f["through"])
                print(f"  {f['pack']} {f['period']} {f['sheet']}!{f['cell']} {f['figure']} ({how})")
        return EXIT_OK
    if not args.folder or not args.figure:
        raise UsageError("give a pack folder and a figure, or --transaction ID")
    manifest = load_manifest(args.folder)
    figure = find_figure(manifest, args.figure)
    con = duckdb.connect(str(_pack_warehouse(manifest)), read_only=True)
    try:
        traced = trace_figure(con, manifest, figure)
    finally:
        con.close()
    print(json.dumps(traced.as_dict(), indent=2, default=str) if args.format == "json" else format_trace(traced))
    return EXIT_OK if traced.reconciles else EXIT_FAILED


def cmd_packs(args) -> int:
    if args.packs_command == "audit":        # before the renderer's imports (dagster-dbt takes seconds)
        from dagster_project.lineage.audit_page import write_audit_page
        from dagster_project.lineage.trace import load_manifest
        manifest = load_manifest(args.folder)
        page = write_audit_page(args.folder, _pack_warehouse(manifest))
        print(f"audit page: {page} (opens from disk)")
        return EXIT_OK
    from dagster_project.packs.due import due_packs
    from dagster_project.packs.render import PackBlocked, out_dir, render_pack
    from dagster_project.packs.spec import SpecError, spec_for

    tenant = load_tenant(args.tenant)
    if args.packs_command == "due":
        _require_warehouse(tenant.slug)
        for pack, period in due_packs(tenant):
            print(f"{pack:22} {period:12} {out_dir(tenant.slug, pack, period)}")
        return EXIT_OK
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


def cmd_returns(args) -> int:
    from dagster_project.periods import Quarter
    from dagster_project.returns import service
    from dagster_project.returns.feedback import feedback_text, write_feedback
    from dagster_project.returns.validation import NOT_A_RETURN, REJECTED

    tenant = load_tenant(args.tenant)
    try:
        if args.returns_command == "template":
            Quarter.parse(args.quarter)             # a malformed quarter is exit 2, even before a first run
            _require_warehouse(tenant.slug)
            path = service.issue_template(tenant, args.agreement, args.quarter, args.out)
            print(f"Template for {args.agreement} {args.quarter}: {path}")
            return EXIT_OK
        if args.returns_command == "overdue":
            _require_warehouse(tenant.slug)
            rows = service.overdue(tenant)
            print(f"{len(rows)} return(s) overdue (not received 30 days after the quarter ended):")
            for provider, ref, quarter, due_date, days in rows:
                print(f"  {provider:40} {ref:12} {quarter}  due {due_date:%d/%m/%Y}  {days} days overdue")
            return EXIT_OK
    except (service.NotReady, ValueError) as exc:
        raise UsageError(str(exc)) from None
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
    return EXIT_FAILED if verdict.status in (REJECTED, NOT_A_RETURN) else EXIT_OK   # not a return: rejected too


def cmd_docs(tenant_slug: str) -> int:
    from dagster_project.dbt_project import generate_docs
    from dagster_project.settings import TenantPaths

    tenant = load_tenant(tenant_slug)
    _require_warehouse(tenant.slug)
    paths = TenantPaths.for_tenant(tenant.slug)
    page = generate_docs(paths.warehouse, paths.root / "docs")
    print(f"dbt docs for {tenant.name}: {page} (opens from disk)")
    return EXIT_OK


def inbox_is_empty(inbox: Path) -> bool:
    return not inbox.exists() or not any(p.is_file() for p in inbox.rglob("*"))


def cmd_run(tenant_slug: str, demo_if_absent: bool = True, wait: float | None = None) -> int:
    tenant = load_tenant(tenant_slug)
    if demo_if_absent and tenant.demo is not None and inbox_is_empty(tenant.inbox):
        print(f"The inbox {tenant.inbox} is empty: generating demo data first.")
        cmd_demo(tenant_slug, 0, 1.0, None)

    from dagster import DagsterInstance

    from dagster_project.extract.ingest import raw_row_counts
    from dagster_project.extract.landing import new_load_id
    from dagster_project.pipeline import run_refresh
    from dagster_project.settings import TenantPaths

    load_id = new_load_id()
    instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
    result = run_refresh(tenant.slug, load_id, instance, wait=wait)
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
        return EXIT_QUARANTINED
    return EXIT_OK


def _quarantined(paths, load_id: str, kind: str) -> list[str]:
    import duckdb
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        return [r[0] for r in con.execute("""select reason from meta.quarantined_files
                                             where load_id = ? and kind = ? order by 1""", [load_id, kind]).fetchall()]
    finally:
        con.close()


def summary(tenant: str, load_id: str, paths, counts: dict[str, int]) -> str:
    import duckdb
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        per_family = con.execute("""
            select family, count(*) filter (where load_id = ?), count(*) from meta.landed_files group by 1 order by 1
        """, [load_id]).fetchall()
        models = con.execute("""select table_schema, count(*) from information_schema.tables
                                where table_schema not in ('raw', 'meta', 'main') group by 1 order by 1""").fetchall()
    finally:
        con.close()
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
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
