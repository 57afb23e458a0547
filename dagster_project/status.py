"""What an operator needs each morning: the last run, failing checks, overdue returns, stale
sources, and rendered packs that no longer show what the warehouse holds.

Reads only: the run history (``run_history.py``), the lock's note of a run in progress
(``warehouse.holder``) and the warehouse (``warehouse.open_reader``: the published file, or the
run's working copy when asked from inside a run, as the freshness checks are). A run recorded as running whose lock is
free died without recording its end, and is reported so.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dagster_project import run_history, warehouse
from dagster_project.periods import add_months
from dagster_project.settings import TenantPaths
from dagster_project.tenants import Tenant


@dataclass
class Status:
    tenant: str
    as_of: dt.date
    last_run: dict | None = None
    running: dict | None = None                       # the run holding the lock now, if any
    packs: list[tuple[str, str, str, str]] = field(default_factory=list)   # (pack, period, state, why) not current
    packs_current: int = 0
    revisions: list[str] = field(default_factory=list)  # ledger amounts a later export changed, newest first
    failing_checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    overdue: list[tuple] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)


def status(tenant: Tenant, packs: bool = True) -> Status:
    """The morning's report; ``packs=False`` leaves out whether each rendered pack is current."""
    as_of = tenant.reporting_date
    result = Status(tenant.slug, as_of)
    paths = TenantPaths.for_tenant(tenant.slug)
    result.last_run = run_history.last_run(paths)      # before the lock: a run starting now is then "running"
    result.running = warehouse.holder(paths)
    if result.last_run and result.last_run["status"] == "running" and \
            (result.running is None or result.running.get("load_id") != result.last_run["load_id"]):
        result.last_run["status"] = "ended without recording its end (killed or crashed)"
    if not warehouse.current(tenant.slug).exists():
        result.stale.append("no warehouse yet: nothing has been loaded (run `pccw run`)")
        return result
    con = warehouse.open_reader(tenant.slug)
    try:
        if _exists(con, "dbt_results"):
            for name, kind, st, failures in con.execute("""
                    select name, resource_type, status, failures from meta.dbt_results
                    qualify row_number() over (partition by unique_id order by recorded_at desc) = 1
                    """).fetchall():
                if st in ("fail", "error"):
                    result.failing_checks.append(f"dbt {kind} {name}: {st}" + (f" ({failures} rows)" if failures else ""))
        warned = con.execute("""select count(distinct sha256) from meta.provider_return_feedback
                                where status = 'accepted_with_warnings'""").fetchone()[0]
        if warned:
            result.warnings.append(f"{warned} provider return(s) accepted with warnings (see meta.provider_return_feedback)")
        if _table(con, "marts", "provider_returns_due"):
            result.overdue = con.execute("""select provider_name, agreement_ref, quarter, days_overdue
                                            from marts.provider_returns_due where status = 'Overdue'
                                            order by provider_name, quarter""").fetchall()
        latest_posting = con.execute("""select max(strptime(posting_date, '%d/%m/%Y'))::date
                                        from raw.ledger_lines""").fetchone()[0] if _table(con, "raw", "ledger_lines") else None
        limit = as_of - dt.timedelta(days=tenant.ledger_max_age_days)
        if latest_posting is None:
            result.stale.append("ledger: no ledger exports loaded")
        elif latest_posting < limit:
            result.stale.append(f"ledger: latest posting {latest_posting:%d/%m/%Y} is more than "
                                f"{tenant.ledger_max_age_days} days before {as_of:%d/%m/%Y}")
        else:
            result.fresh.append(f"ledger: latest posting {latest_posting:%d/%m/%Y}")
        latest_month = con.execute("select max(month) from raw.police_street").fetchone()[0] \
            if _table(con, "raw", "police_street") else None
        expected = add_months(as_of.replace(day=1), -tenant.police_max_age_months)
        if latest_month is None:
            result.stale.append("police: no data.police.uk files loaded")
        elif dt.date.fromisoformat(latest_month + "-01") < expected:
            result.stale.append(f"police: latest month {latest_month}, expected {expected:%Y-%m} or later")
        else:
            result.fresh.append(f"police: latest month {latest_month}")
        if packs:
            from dagster_project import flags, settings
            revised = flags.ledger_revisions(con, settings.reports_out() / tenant.slug)
            result.revisions = flags.format_revisions(list(reversed(revised)))
    finally:
        con.close()
    if packs:
        _pack_states(tenant, result)
    return result


def _pack_states(tenant: Tenant, result: Status) -> None:
    """Every pack due: is its rendering what the warehouse holds now?"""
    from dagster_project.packs.due import NotBuilt, due_packs
    from dagster_project.packs.render import pack_state

    try:
        due = due_packs(tenant)
    except NotBuilt as exc:
        result.stale.append(str(exc))
        return
    for pack, period in due:
        state, why = pack_state(tenant, pack, period)
        if state == "current":
            result.packs_current += 1
        else:
            result.packs.append((pack, period, state, why))


def format_status(s: Status) -> str:
    lines = [f"Status of {s.tenant} as of {s.as_of:%d/%m/%Y}"]
    if s.running:
        lines.append(f"  running now: {s.running.get('load_id')} ({s.running.get('phase', '?')} since "
                     f"{str(s.running.get('phase_since', ''))[11:16]} UTC, process {s.running.get('pid', '?')})")
    if s.last_run:
        r = s.last_run
        lines.append(f"  last run {r['load_id']}: {r['status']}, started {r['started_at']:%Y-%m-%d %H:%M}"
                     + (f", finished {r['finished_at']:%H:%M}" if r.get("finished_at") else "")
                     + (f"; files landed {r['files_landed']}, skipped {r['files_skipped']}, quarantined "
                        f"{r['files_quarantined']}, returns rejected {r['returns_rejected']}; checks passed "
                        f"{r['checks_passed']}, failed {r['checks_failed']}; packs rendered {r['packs_rendered']}"
                        f", unchanged {r['packs_current'] or 0}"
                        if r.get("finished_at") and r.get("files_landed") is not None else "")
                     + (f"\n    {r['message']}" if r.get("message") else ""))
    else:
        lines.append("  no run recorded yet")
    lines.append(f"  failing checks: {len(s.failing_checks) or 'none'}")
    lines += [f"    - {c}" for c in s.failing_checks]
    lines += [f"  warning: {w}" for w in s.warnings]
    lines.append(f"  overdue provider returns (30 days after quarter end): {len(s.overdue) or 'none'}")
    lines += [f"    - {p} {a} {q}: {d} days overdue" for p, a, q, d in s.overdue]
    lines.append(f"  packs not showing the warehouse's data: {len(s.packs) or 'none'}"
                 f" ({s.packs_current} current)")
    lines += [f"    - {pack} {period}: {state}: {why}" for pack, period, state, why in s.packs]
    lines.append(f"  ledger transactions changed by a later export: {len(s.revisions) or 'none'}"
                 + (" (newest first; the finance system's figure is used, check the packs they move)"
                    if s.revisions else ""))
    lines += [f"    - {r}" for r in s.revisions[:10]]
    if len(s.revisions) > 10:
        lines.append(f"    ... and {len(s.revisions) - 10} more (intermediate.int_ledger_lines_revised)")
    lines.append(f"  stale sources: {len(s.stale) or 'none'}")
    lines += [f"    - {x}" for x in s.stale]
    lines += [f"  fresh: {x}" for x in s.fresh]
    return "\n".join(lines)


def _exists(con, table: str) -> bool:
    return _table(con, "meta", table)


def _table(con, schema: str, table: str) -> bool:
    return bool(con.execute("select 1 from information_schema.tables where table_schema = ? and table_name = ?",
                            [schema, table]).fetchone())

