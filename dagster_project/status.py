"""What an operator needs each morning: the last run, failing checks, overdue returns, stale
sources, and rendered packs that no longer show what the warehouse holds.

Reads only: the run history (``run_history.py``), the lock's note of a run in progress
(``warehouse.holder``) and the warehouse (``warehouse.open_reader``: the published file, or the
run's working copy when asked from inside a run, as the freshness checks are). A run recorded
as running whose lock is free died without recording its end, and is reported so.

:func:`status` gives one :class:`Status`, data rather than sentences: each source's freshness is a
:class:`SourceFreshness` (state, the dates compared, and a line for a person). The text and JSON
of ``pccw status``, its exit code and the freshness asset checks (``checks/freshness.py``) all
decide from it.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

from dagster_project import run_history, warehouse
from dagster_project.periods import add_months
from dagster_project.settings import TenantPaths
from dagster_project.tenants import Tenant

FRESH, STALE, NOT_AVAILABLE = "fresh", "stale", "not available"
SOURCES = ("ledger", "police")


@dataclass(frozen=True)
class SourceFreshness:
    """How recent one source's data is. Fresh when ``latest`` is on or after ``expected`` (both ISO:
    a date for the ledger, a month ``YYYY-MM`` for police data); not available when nothing is loaded."""

    source: str                    # one of SOURCES
    state: str                     # FRESH, STALE or NOT_AVAILABLE
    detail: str                    # for a person, e.g. "latest posting 01/05/2025"
    latest: str | None = None
    expected: str | None = None

    @property
    def line(self) -> str:
        """``ledger: latest posting 01/05/2025``: how status and the checks say it."""
        return f"{self.source}: {self.detail}"


class OverdueReturn(NamedTuple):
    provider: str
    agreement: str
    quarter: str
    days_overdue: int


class PackNotCurrent(NamedTuple):
    pack: str
    period: str
    state: str                     # pack_state's word: stale, missing, ...
    why: str


@dataclass
class Status:
    """The morning's report. Text (:func:`format_status`), JSON (:func:`status_json`), the exit
    code of ``pccw status`` and the freshness asset checks all read this, never each other."""

    tenant: str
    as_of: dt.date
    last_run: dict | None = None
    running: dict | None = None                       # the run holding the lock now, if any
    packs: list[PackNotCurrent] = field(default_factory=list)
    packs_current: int = 0
    packs_unknown: str = ""                           # why the packs due are not known, if they are not
    revisions: list[str] = field(default_factory=list)  # ledger amounts a later export changed, newest first
    failing_checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    overdue: list[OverdueReturn] = field(default_factory=list)
    sources: list[SourceFreshness] = field(default_factory=list)

    @property
    def stale(self) -> list[str]:
        """One line per source that is stale or not available."""
        return [s.line for s in self.sources if s.state != FRESH]

    @property
    def fresh(self) -> list[str]:
        """One line per fresh source."""
        return [s.line for s in self.sources if s.state == FRESH]

    @property
    def needs_attention(self) -> bool:
        """A failing check, a source not fresh, or a pack that does not (or may not) show the data.
        Overdue returns are the providers' to send, and only reported."""
        return bool(self.failing_checks or self.stale or self.packs or self.packs_unknown)

    def source(self, name: str) -> SourceFreshness:
        """The freshness of one of SOURCES."""
        return next(s for s in self.sources if s.source == name)


def status(tenant: Tenant, packs: bool = True) -> Status:
    """The morning's report; ``packs=False`` leaves out whether each rendered pack is current."""
    result = Status(tenant.slug, tenant.reporting_date)
    paths = TenantPaths.for_tenant(tenant.slug)
    result.last_run = run_history.last_run(paths)      # before the lock: a run starting now is then "running"
    result.running = warehouse.holder(paths)
    if result.last_run and result.last_run["status"] == "running" and \
            (result.running is None or result.running.get("load_id") != result.last_run["load_id"]):
        result.last_run["status"] = "ended without recording its end (killed or crashed)"
    if not warehouse.current(tenant.slug).exists():
        result.sources = [SourceFreshness(source, NOT_AVAILABLE, "no warehouse yet: nothing has been loaded "
                                          f"(run `pccw run --tenant {tenant.slug}`)") for source in SOURCES]
        return result
    con = warehouse.open_reader(tenant.slug)
    try:
        result.failing_checks = _failing_checks(con)
        result.warnings = _warnings(con)
        if _table(con, "marts", "provider_returns_due"):
            result.overdue = [OverdueReturn(*row) for row in con.execute(
                """select provider_name, agreement_ref, quarter, days_overdue from marts.provider_returns_due
                   where status = 'Overdue' order by provider_name, quarter""").fetchall()]
        result.sources = [_ledger_freshness(con, tenant), _police_freshness(con, tenant)]
        if packs:
            from dagster_project import flags, settings
            revised = flags.ledger_revisions(con, settings.reports_out() / tenant.slug)
            result.revisions = flags.format_revisions(list(reversed(revised)))
    finally:
        con.close()
    if packs:
        _pack_states(tenant, result)
    return result


def _failing_checks(con) -> list[str]:
    """The dbt tests and models whose latest result failed or errored."""
    if not _table(con, "meta", "dbt_results"):
        return []
    return [f"dbt {kind} {name}: {st}" + (f" ({failures} rows)" if failures else "")
            for name, kind, st, failures in con.execute("""
                select name, resource_type, status, failures from meta.dbt_results
                qualify row_number() over (partition by unique_id order by recorded_at desc) = 1
                """).fetchall()
            if st in ("fail", "error")]


def _warnings(con) -> list[str]:
    if not _table(con, "meta", "provider_return_feedback"):
        return []
    warned = con.execute("""select count(distinct sha256) from meta.provider_return_feedback
                            where status = 'accepted_with_warnings'""").fetchone()[0]
    return [f"{warned} provider return(s) accepted with warnings (see meta.provider_return_feedback)"] if warned else []


def _ledger_freshness(con, tenant: Tenant) -> SourceFreshness:
    """Fresh when the latest posting is within ``ledger_max_age_days`` of the reporting date."""
    as_of = tenant.reporting_date
    expected = as_of - dt.timedelta(days=tenant.ledger_max_age_days)
    latest = con.execute("""select max(strptime(posting_date, '%d/%m/%Y'))::date
                            from raw.ledger_lines""").fetchone()[0] if _table(con, "raw", "ledger_lines") else None
    if latest is None:
        return SourceFreshness("ledger", NOT_AVAILABLE, "no ledger exports loaded", None, expected.isoformat())
    fresh = latest >= expected
    detail = f"latest posting {latest:%d/%m/%Y}" + (
        "" if fresh else f" is more than {tenant.ledger_max_age_days} days before {as_of:%d/%m/%Y}")
    return SourceFreshness("ledger", FRESH if fresh else STALE, detail, latest.isoformat(), expected.isoformat())


def _police_freshness(con, tenant: Tenant) -> SourceFreshness:
    """Fresh when data.police.uk data reaches ``police_max_age_months`` before the reporting month."""
    expected = f"{add_months(tenant.reporting_date.replace(day=1), -tenant.police_max_age_months):%Y-%m}"
    latest = con.execute("select max(month) from raw.police_street").fetchone()[0] \
        if _table(con, "raw", "police_street") else None
    if latest is None:
        return SourceFreshness("police", NOT_AVAILABLE, "no data.police.uk files loaded", None, expected)
    fresh = latest >= expected                 # YYYY-MM strings order as the months do
    detail = f"latest month {latest}" + ("" if fresh else f", expected {expected} or later")
    return SourceFreshness("police", FRESH if fresh else STALE, detail, latest, expected)


def _pack_states(tenant: Tenant, result: Status) -> None:
    """Every pack due: is its rendering what the warehouse holds now?"""
    from dagster_project.packs.due import NotBuilt, due_packs
    from dagster_project.packs.render import pack_state

    try:
        due = due_packs(tenant)
    except NotBuilt as exc:
        result.packs_unknown = str(exc)
        return
    for pack, period in due:
        state, why = pack_state(tenant, pack, period)
        if state == "current":
            result.packs_current += 1
        else:
            result.packs.append(PackNotCurrent(pack, period, state, why))


def format_status(s: Status) -> str:
    """The report as ``pccw status`` prints it."""
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
    if s.packs_unknown:
        lines.append(f"  packs not showing the warehouse's data: not known: {s.packs_unknown}")
    else:
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


def status_json(s: Status) -> str:
    """The report as one JSON document (``pccw status --format json``); times are ISO strings."""
    document = {
        "tenant": s.tenant, "as_of": s.as_of, "needs_attention": s.needs_attention,
        "running": s.running, "last_run": s.last_run,
        "failing_checks": s.failing_checks, "warnings": s.warnings,
        "overdue_returns": [o._asdict() for o in s.overdue],
        "packs": {"current": s.packs_current, "not_current": [p._asdict() for p in s.packs],
                  "not_known": s.packs_unknown or None},
        "ledger_revisions": s.revisions,
        "sources": [asdict(source) for source in s.sources],
    }
    return json.dumps(document, indent=2, default=_iso)


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def _table(con, schema: str, table: str) -> bool:
    return bool(con.execute("select 1 from information_schema.tables where table_schema = ? and table_name = ?",
                            [schema, table]).fetchone())

