"""``pccw``: the command line for finance officers, operators and developers.

Exit codes: 0 done; 1 the run failed; 2 bad configuration or arguments;
3 the run finished but some input files were quarantined (see the reasons printed).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dagster_project import settings
from dagster_project.tenants import ConfigError, available_tenants, load_tenant

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_QUARANTINED = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pccw", description="Commissioning warehouse for a PCC office.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="land every source and build the warehouse for a tenant")
    run.add_argument("--tenant", default=settings.DEFAULT_TENANT)
    run.add_argument("--no-demo", action="store_true", help="never generate demo data, even into an empty inbox")

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
    chk = rsub.add_parser("check", help="validate one return offline; exit 0 accepted, 1 rejected, 2 not a return")
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

    sub.add_parser("tenants", help="list the configured tenants")
    sub.add_parser("dbt-parse", help="prepare the dbt manifest (offline)")

    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args.tenant, demo_if_absent=not args.no_demo)
        if args.command == "demo-data":
            return cmd_demo(args.tenant, args.seed, args.scale, args.out, args.national)
        if args.command == "status":
            from dagster_project.status import format_status, status
            report = status(load_tenant(args.tenant))
            print(format_status(report))
            return EXIT_OK if not (report.failing_checks or report.stale) else EXIT_QUARANTINED
        if args.command == "trace":
            return cmd_trace(args)
        if args.command == "packs":
            return cmd_packs(args)
        if args.command == "returns":
            return cmd_returns(args)
        if args.command == "docs":
            return cmd_docs(args.tenant)
        if args.command == "tenants":
            for slug in available_tenants():
                t = load_tenant(slug)
                print(f"{slug:20} {t.name} ({len(t.districts)} districts, {len(t.plans)} plans)")
            return EXIT_OK
        if args.command == "dbt-parse":
            from dagster_project.dbt_project import parse_manifest
            print(f"dbt manifest: {parse_manifest()}")
            return EXIT_OK
    except ConfigError as exc:
        print(f"pccw: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return EXIT_FAILED


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

    from dagster_project.lineage.trace import (TraceError, find_figure, format_trace, load_manifest, trace_figure,
                                               trace_transaction)
    from dagster_project.settings import TenantPaths

    try:
        if args.transaction:
            tenant = load_tenant(args.tenant)
            con = duckdb.connect(str(TenantPaths.for_tenant(tenant.slug).warehouse), read_only=True)
            try:
                result = trace_transaction(con, args.transaction, settings.reports_out() / tenant.slug)
            finally:
                con.close()
            if args.format == "json":
                print(json.dumps(result, indent=2))
            else:
                print(f"Transaction {result['transaction_id']} {result['posting_date']} £{result['amount']} "
                      f"agreement {result['agreement_ref'] or '-'} ({result['match_status']}), "
                      f"{result['file']} {result['locator']} sha256 {result['sha256']}")
                print(f"feeds {len(result['feeds'])} figure(s) in rendered packs:")
                for f in result["feeds"]:
                    print(f"  {f['pack']} {f['period']} {f['sheet']}!{f['cell']} {f['figure']} (part £{f['part']})")
            return EXIT_OK
        if not args.folder or not args.figure:
            print("pccw: give a pack folder and a figure, or --transaction ID", file=sys.stderr)
            return EXIT_CONFIG
        manifest = load_manifest(args.folder)
        tenant = load_tenant(manifest["tenant"])
        warehouse = manifest["warehouse"] if manifest.get("as_of_load") else TenantPaths.for_tenant(tenant.slug).warehouse
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            traced = trace_figure(con, manifest, find_figure(manifest, args.figure))
        finally:
            con.close()
    except TraceError as exc:
        print(f"pccw: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(json.dumps(traced.as_dict(), indent=2, default=str) if args.format == "json" else format_trace(traced))
    return EXIT_OK if traced.reconciles else EXIT_FAILED


def cmd_packs(args) -> int:
    from dagster_project.packs.due import due_packs
    from dagster_project.packs.render import PackBlocked, out_dir, render_pack
    from dagster_project.packs.spec import SpecError

    if args.packs_command == "audit":
        from dagster_project.lineage.audit_page import write_audit_page
        from dagster_project.lineage.trace import load_manifest
        from dagster_project.settings import TenantPaths
        manifest = load_manifest(args.folder)
        page = write_audit_page(args.folder, TenantPaths.for_tenant(manifest["tenant"]).warehouse)
        print(f"audit page: {page} (opens from disk)")
        return EXIT_OK
    tenant = load_tenant(args.tenant)
    if args.packs_command == "due":
        for pack, period in due_packs(tenant):
            print(f"{pack:22} {period:12} {out_dir(tenant.slug, pack, period)}")
        return EXIT_OK
    try:
        folder = render_pack(tenant, args.pack, args.period, args.override_reason, args.out, args.as_of)
    except (SpecError, ValueError) as exc:
        print(f"pccw: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except PackBlocked as exc:
        print(f"pccw: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.pack} {args.period} for {tenant.name}: {folder}")
    for item in sorted(folder.iterdir()):
        print(f"  {item.name}")
    return EXIT_OK


def cmd_returns(args) -> int:
    from dagster_project.returns import service
    from dagster_project.returns.feedback import feedback_text, write_feedback
    from dagster_project.returns.validation import NOT_A_RETURN, REJECTED

    tenant = load_tenant(args.tenant)
    try:
        if args.returns_command == "template":
            path = service.issue_template(tenant, args.agreement, args.quarter, args.out)
            print(f"Template for {args.agreement} {args.quarter}: {path}")
            return EXIT_OK
        if args.returns_command == "overdue":
            rows = service.overdue(tenant)
            print(f"{len(rows)} return(s) overdue (not received 30 days after the quarter ended):")
            for provider, ref, quarter, due_date, days in rows:
                print(f"  {provider:40} {ref:12} {quarter}  due {due_date:%d/%m/%Y}  {days} days overdue")
            return EXIT_OK
    except (service.NotReady, ValueError) as exc:
        print(f"pccw: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if not args.file.exists():
        print(f"pccw: {args.file}: no such file", file=sys.stderr)
        return 2
    verdict, with_register = service.check_file(tenant, args.file)
    print(feedback_text(verdict), end="")
    if not with_register:
        print("(The agreements register was not available, so the agreement and its dates were not checked.)")
    if args.feedback:
        for written in write_feedback(verdict, args.file, args.feedback, args.file.name):
            print(f"written: {written}")
    return {REJECTED: 1, NOT_A_RETURN: 2}.get(verdict.status, 0)


def cmd_docs(tenant_slug: str) -> int:
    from dagster_project.dbt_project import generate_docs
    from dagster_project.settings import TenantPaths

    tenant = load_tenant(tenant_slug)
    paths = TenantPaths.for_tenant(tenant.slug)
    if not paths.warehouse.exists():
        print(f"pccw: no warehouse for {tenant.slug} yet; run `pccw run --tenant {tenant.slug}` first", file=sys.stderr)
        return EXIT_FAILED
    page = generate_docs(paths.warehouse, paths.root / "docs")
    print(f"dbt docs for {tenant.name}: {page} (opens from disk)")
    return EXIT_OK


def inbox_is_empty(inbox: Path) -> bool:
    return not inbox.exists() or not any(p.is_file() for p in inbox.rglob("*"))


def cmd_run(tenant_slug: str, demo_if_absent: bool = True) -> int:
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
    result = run_refresh(tenant.slug, load_id, instance)
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
