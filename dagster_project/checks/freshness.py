"""Freshness as Dagster asset checks (warnings): a stale ledger, police data older than expected,
and provider returns overdue 30 days after quarter end, each visible on its raw asset in the UI.
The figures come from the same place as `pccw status`."""
from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue,
                     PartitionsDefinition, asset_check)

from dagster_project.resources import TenantResource
from dagster_project.status import status
from dagster_project.tenants import Tenant


def _source_result(tenant: Tenant, source: str) -> AssetCheckResult:
    report = status(tenant, packs=False)
    return _result([f for f in report.fresh if f.startswith(source)],
                   [s for s in report.stale if s.startswith((source, "no warehouse"))])


def _result(lines: list[str], problems: list[str]) -> AssetCheckResult:
    return AssetCheckResult(passed=not problems, severity=AssetCheckSeverity.WARN,
                            metadata={"detail": MetadataValue.md("\n".join(f"- {x}" for x in (problems or lines))
                                                                 or "nothing to report")})


def ledger_is_fresh(tenant: Tenant) -> AssetCheckResult:
    """The latest ledger posting is within freshness.ledger_max_age_days of the reporting date."""
    return _source_result(tenant, "ledger")


def police_data_is_fresh(tenant: Tenant) -> AssetCheckResult:
    """data.police.uk data reaches the month expected (freshness.police_max_age_months)."""
    return _source_result(tenant, "police")


def no_overdue_provider_returns(tenant: Tenant) -> AssetCheckResult:
    """Every provider return was received within 30 days of its quarter's end."""
    report = status(tenant, packs=False)
    return _result([], [f"{p} {a} {q}: {d} days overdue" for p, a, q, d in report.overdue])


# Each check reads the marts (status does), so it runs after the run's dbt step. A returns model,
# because those are reported by every dbt step, even one with nothing to build (see assets._unchanged).
CHECKED_AFTER = AssetKey(["returns", "rpt_reporting_periods"])
CHECKS = ((ledger_is_fresh, AssetKey(["raw", "ledger_lines"])),
          (police_data_is_fresh, AssetKey(["raw", "police_street"])),
          (no_overdue_provider_returns, AssetKey(["raw", "provider_return_cells"])))


def freshness_checks(partitions: PartitionsDefinition) -> list:
    """The freshness checks as Dagster asset checks (warnings) on their raw assets, one run per tenant."""
    def build(judge, asset_key):
        @asset_check(asset=asset_key, name=judge.__name__, description=judge.__doc__, partitions_def=partitions,
                     additional_deps=[CHECKED_AFTER])
        def _check(context: AssetCheckExecutionContext, tenant: TenantResource) -> AssetCheckResult:
            return judge(tenant.load(context))
        return _check

    return [build(judge, key) for judge, key in CHECKS]
