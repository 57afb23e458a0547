"""Freshness as Dagster asset checks (warnings): a stale ledger, police data older than expected,
and provider returns overdue 30 days after quarter end, each visible on its raw asset in the UI.

Each check decides from the same :class:`~dagster_project.status.Status` as `pccw status`: a
source passes when its state is fresh. The bodies are plain functions of a loaded tenant
(:func:`freshness_result`, :func:`overdue_result`); the checks, one run per tenant (partition),
only say which tenant.
"""
from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue,
                     PartitionsDefinition, asset_check)

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


# Each check reads the marts (status does), so it runs after the run's dbt step. A returns model,
# because those are reported by every dbt step, even one with nothing to build (see assets._unchanged).
CHECKED_AFTER = AssetKey(["returns", "rpt_reporting_periods"])
CHECKS = (
    ("ledger_is_fresh", AssetKey(["raw", "ledger_lines"]), lambda t: freshness_result(t, "ledger"),
     "The latest ledger posting is within freshness.ledger_max_age_days of the reporting date."),
    ("police_data_is_fresh", AssetKey(["raw", "police_street"]), lambda t: freshness_result(t, "police"),
     "data.police.uk data reaches the month expected (freshness.police_max_age_months)."),
    ("no_overdue_provider_returns", AssetKey(["raw", "provider_return_cells"]), overdue_result,
     "Every provider return was received within 30 days of its quarter's end."),
)


def freshness_checks(partitions: PartitionsDefinition) -> list:
    """The freshness checks as Dagster asset checks (warnings) on their raw assets, one run per tenant."""
    def build(name, asset_key, judge, description):
        @asset_check(asset=asset_key, name=name, description=description, partitions_def=partitions,
                     additional_deps=[CHECKED_AFTER])
        def _check(context: AssetCheckExecutionContext, tenant: TenantResource) -> AssetCheckResult:
            return judge(tenant.load(context))
        return _check

    return [build(*check) for check in CHECKS]
