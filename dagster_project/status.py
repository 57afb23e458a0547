"""What an operator needs each morning: the last run, failing checks, overdue returns, stale sources.

Also the run history table (``meta.run_history``) the pipeline writes at the start and end of
every refresh; a run that never finished stays "running" (killed) until the next one.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from dagster_project.periods import add_months
from dagster_project.settings import TenantPaths
from dagster_project.tenants import Tenant


def ensure_history(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists meta")
    con.execute("""create table if not exists meta.run_history (
        load_id varchar primary key, tenant varchar, started_at timestamp, finished_at timestamp, status varchar,
        files_landed integer, files_skipped integer, files_quarantined integer, returns_rejected integer,
        checks_passed integer, checks_failed integer, packs_rendered integer, message varchar)""")


def record_start(warehouse, tenant: str, load_id: str) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        ensure_history(con)
        con.execute("""update meta.run_history set status = 'killed or abandoned'
                       where status = 'running' and tenant = ?""", [tenant])
        con.execute("insert into meta.run_history (load_id, tenant, started_at, status) values (?, ?, ?, 'running')",
                    [load_id, tenant, _now()])
    finally:
        con.close()


def record_end(warehouse, tenant: str, load_id: str, status: str, packs_rendered: int, message: str = "") -> None:
    con = duckdb.connect(str(warehouse))
    try:
        ensure_history(con)
        landed = con.execute("select count(*) from meta.landed_files where load_id = ?", [load_id]).fetchone()[0]
        quarantined = con.execute("""select count(*) filter (where kind = 'bad_file'),
                                            count(*) filter (where kind = 'rejected_return')
                                     from meta.quarantined_files where load_id = ?""", [load_id]).fetchone()
        total = con.execute("select count(*) from meta.landed_files").fetchone()[0]
        checks = con.execute("""select count(*) filter (where status in ('pass', 'success')),
                                       count(*) filter (where status in ('fail', 'error'))
                                from meta.dbt_results where recorded_at >= (select started_at from meta.run_history
                                                                            where load_id = ?)""", [load_id]).fetchone() \
            if _exists(con, "dbt_results") else (0, 0)
        con.execute("""update meta.run_history set finished_at = ?, status = ?, files_landed = ?, files_skipped = ?,
                       files_quarantined = ?, returns_rejected = ?, checks_passed = ?, checks_failed = ?,
                       packs_rendered = ?, message = ? where load_id = ?""",
                    [_now(), status, landed, total - landed, quarantined[0], quarantined[1], checks[0], checks[1],
                     packs_rendered, message, load_id])
    finally:
        con.close()


@dataclass
class Status:
    tenant: str
    as_of: dt.date
    last_run: dict | None = None
    failing_checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    overdue: list[tuple] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)


def status(tenant: Tenant) -> Status:
    as_of = tenant.as_of or dt.date.today()
    result = Status(tenant.slug, as_of)
    warehouse = TenantPaths.for_tenant(tenant.slug).warehouse
    if not warehouse.exists():
        result.stale.append("no warehouse yet: nothing has been loaded (run `pccw run`)")
        return result
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        if _exists(con, "run_history"):
            cursor = con.execute("select * from meta.run_history order by started_at desc limit 1")
            row = cursor.fetchone()
            if row:
                result.last_run = dict(zip([d[0] for d in cursor.description], row))
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
    finally:
        con.close()
    return result


def format_status(s: Status) -> str:
    lines = [f"Status of {s.tenant} as of {s.as_of:%d/%m/%Y}"]
    if s.last_run:
        r = s.last_run
        lines.append(f"  last run {r['load_id']}: {r['status']}, started {r['started_at']:%Y-%m-%d %H:%M}"
                     + (f", finished {r['finished_at']:%H:%M}" if r.get("finished_at") else "")
                     + (f"; files landed {r['files_landed']}, skipped {r['files_skipped']}, quarantined "
                        f"{r['files_quarantined']}, returns rejected {r['returns_rejected']}; checks passed "
                        f"{r['checks_passed']}, failed {r['checks_failed']}; packs rendered {r['packs_rendered']}"
                        if r.get("finished_at") else ""))
    else:
        lines.append("  no run recorded yet")
    lines.append(f"  failing checks: {len(s.failing_checks) or 'none'}")
    lines += [f"    - {c}" for c in s.failing_checks]
    lines += [f"  warning: {w}" for w in s.warnings]
    lines.append(f"  overdue provider returns (30 days after quarter end): {len(s.overdue) or 'none'}")
    lines += [f"    - {p} {a} {q}: {d} days overdue" for p, a, q, d in s.overdue]
    lines.append(f"  stale sources: {len(s.stale) or 'none'}")
    lines += [f"    - {x}" for x in s.stale]
    lines += [f"  fresh: {x}" for x in s.fresh]
    return "\n".join(lines)


def _exists(con, table: str) -> bool:
    return _table(con, "meta", table)


def _table(con, schema: str, table: str) -> bool:
    return bool(con.execute("select 1 from information_schema.tables where table_schema = ? and table_name = ?",
                            [schema, table]).fetchone())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
