"""Freshness as Dagster asset checks (warnings): a stale ledger, police data older than expected,
and provider returns overdue 30 days after quarter end, each visible on its raw asset in the UI.
The figures come from the same place as `pccw status`."""
from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from dagster_project.resources import TenantResource
from dagster_project.status import status


def _source_result(tenant: TenantResource, source: str) -> AssetCheckResult:
    report = status(tenant.load(), packs=False)
    return _result([f for f in report.fresh if f.startswith(source)],
                   [s for s in report.stale if s.startswith((source, "no warehouse"))])


def _result(lines: list[str], problems: list[str]) -> AssetCheckResult:
    return AssetCheckResult(passed=not problems, severity=AssetCheckSeverity.WARN,
                            metadata={"detail": MetadataValue.md("\n".join(f"- {x}" for x in (problems or lines))
                                                                 or "nothing to report")})


@asset_check(asset=AssetKey(["raw", "ledger_lines"]), name="ledger_is_fresh",
             description="The latest ledger posting is within freshness.ledger_max_age_days of the reporting date.")
def ledger_is_fresh(tenant: TenantResource) -> AssetCheckResult:
    return _source_result(tenant, "ledger")


@asset_check(asset=AssetKey(["raw", "police_street"]), name="police_data_is_fresh",
             description="data.police.uk data reaches the month expected (freshness.police_max_age_months).")
def police_data_is_fresh(tenant: TenantResource) -> AssetCheckResult:
    return _source_result(tenant, "police")


@asset_check(asset=AssetKey(["raw", "provider_return_cells"]), name="no_overdue_provider_returns",
             description="Every provider return was received within 30 days of its quarter's end.")
def no_overdue_provider_returns(tenant: TenantResource) -> AssetCheckResult:
    report = status(tenant.load(), packs=False)
    return _result([], [f"{p} {a} {q}: {d} days overdue" for p, a, q, d in report.overdue])


FRESHNESS_CHECKS = [ledger_is_fresh, police_data_is_fresh, no_overdue_provider_returns]
