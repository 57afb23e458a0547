"""Freshness as Dagster asset checks (warnings): a stale ledger, police data older than expected,
and provider returns overdue 30 days after quarter end, each visible on its raw asset in the UI.

Each check decides from the same :class:`~dagster_project.status.Status` as `pccw status`: a
source passes when its state is fresh. The bodies are plain functions of a loaded tenant
(:func:`freshness_result`, :func:`overdue_result`), so the checks only say which tenant.
"""
from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from dagster_project.resources import TenantResource
from dagster_project.status import FRESH, status
from dagster_project.tenants import Tenant


def freshness_result(t: Tenant, source: str) -> AssetCheckResult:
    """Whether ``source`` ("ledger" or "police") is fresh for tenant ``t``, with the dates compared."""
    found = status(t, packs=False).source(source)
    dates = {"latest": found.latest, "expected": found.expected}
    return _result(found.state == FRESH, [found.line],
                   {"state": found.state, **{name: iso for name, iso in dates.items() if iso is not None}})


def overdue_result(t: Tenant) -> AssetCheckResult:
    """Whether every provider return of tenant ``t`` came within 30 days of its quarter's end."""
    overdue = status(t, packs=False).overdue
    return _result(not overdue, [f"{o.provider} {o.agreement} {o.quarter}: {o.days_overdue} days overdue"
                                 for o in overdue], {"overdue": len(overdue)})


def _result(passed: bool, lines: list[str], metadata: dict) -> AssetCheckResult:
    detail = "\n".join(f"- {line}" for line in lines) or "nothing to report"
    return AssetCheckResult(passed=passed, severity=AssetCheckSeverity.WARN,
                            metadata={"detail": MetadataValue.md(detail), **metadata})


@asset_check(asset=AssetKey(["raw", "ledger_lines"]), name="ledger_is_fresh",
             description="The latest ledger posting is within freshness.ledger_max_age_days of the reporting date.")
def ledger_is_fresh(tenant: TenantResource) -> AssetCheckResult:
    return freshness_result(tenant.load(), "ledger")


@asset_check(asset=AssetKey(["raw", "police_street"]), name="police_data_is_fresh",
             description="data.police.uk data reaches the month expected (freshness.police_max_age_months).")
def police_data_is_fresh(tenant: TenantResource) -> AssetCheckResult:
    return freshness_result(tenant.load(), "police")


@asset_check(asset=AssetKey(["raw", "provider_return_cells"]), name="no_overdue_provider_returns",
             description="Every provider return was received within 30 days of its quarter's end.")
def no_overdue_provider_returns(tenant: TenantResource) -> AssetCheckResult:
    return overdue_result(tenant.load())


FRESHNESS_CHECKS = [ledger_is_fresh, police_data_is_fresh, no_overdue_provider_returns]
