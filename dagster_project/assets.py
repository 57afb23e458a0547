"""Dagster assets: one landing asset per source family, then the dbt models.

Landing assets write the ``raw`` schema (keys ``raw/<table>``), which the dbt sources
of the same names read, so the asset graph runs files -> raw -> staging -> ...
"""

import contextlib
import json
import os

from dagster import (AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, AssetKey,
                     AssetSpec, Backoff, MaterializeResult, MetadataValue, RetryPolicy, asset, multi_asset)
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.dbt_project import DBT_PROJECT, ensure_manifest
from dagster_project.extract.families import BY_NAME, FAMILIES, Family
from dagster_project.extract.ingest import ingest_family, raw_row_counts
from dagster_project.refresh import building_copy, fingerprint_for, plan_build, publish, returns_models_in_order
from dagster_project.resources import TenantResource
from dagster_project.warehouse import discard


# Transient failures (a file still being copied in, a disk briefly full) get two more tries.
TRANSIENT = RetryPolicy(max_retries=2, delay=5, backoff=Backoff.EXPONENTIAL)


def landing_asset(family: Family):
    upstream = [AssetKey(["raw", table]) for name in family.depends_on for table in BY_NAME[name].tables]
    specs = [AssetSpec(AssetKey(["raw", table]), group_name="raw", kinds={"duckdb"}, deps=upstream,
                       description=f"{family.description} Raw table raw.{table}.")
             for table in family.tables]

    @multi_asset(name=f"land_{family.name}", specs=specs, group_name="raw", retry_policy=TRANSIENT,
                 description=f"Land new {family.name} files and load them into raw tables.")
    def _land(context: AssetExecutionContext, tenant: TenantResource):
        t = tenant.load()
        tenant.session(context)   # the run's lock, held until the run ends: one writer for the whole refresh
        report = ingest_family(t, family, tenant.load_id_for(context))
        context.log.info(report.summary())
        if report.skipped:   # one line, not one a file: at national scale thousands are skipped each night
            shown = ", ".join(report.skipped[:5])
            more = f" and {len(report.skipped) - 5} more" if len(report.skipped) > 5 else ""
            context.log.info(f"skipped, already landed: {shown}{more}")
        for name, reason in report.quarantined:
            context.log.error(f"quarantined: {reason}")
        counts = raw_row_counts(t)
        for table in family.tables:
            yield MaterializeResult(
                asset_key=AssetKey(["raw", table]),
                metadata={
                    "tenant": t.slug,
                    "load_id": report.load_id,
                    "files_landed": len(report.landed),
                    "files_skipped": len(report.skipped),
                    "files_quarantined": len(report.quarantined),
                    "rows_loaded_now": report.rows,
                    "rows_in_table": counts.get(table, 0),
                    "quarantine_reasons": MetadataValue.md(
                        "\n".join(f"- {reason}" for _, reason in report.quarantined) or "none"),
                },
            )

    return _land


LANDING_ASSETS = [landing_asset(f) for f in FAMILIES]


@dbt_assets(manifest=ensure_manifest(), project=DBT_PROJECT)
def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource, tenant: TenantResource):
    """The dbt models, seeds and tests, built into a copy of the tenant's warehouse that replaces
    the live one only when the build succeeds. Only what changed is rebuilt (see refresh.py).

    Under the run's lock, what the run landed is published first, so the copy holds every landed
    row and a failed or killed build loses none of them."""
    session = tenant.session(context)
    session.publish()
    warehouse = session.paths.warehouse
    as_of = tenant.load().as_of
    fingerprint = fingerprint_for(as_of)
    plan = plan_build(warehouse, tenant.tenant, fingerprint)
    context.log.info(f"dbt: {plan.mode} ({plan.reason})")
    if plan.mode == "skip":
        yield from _unchanged(context, plan.reason)
        return
    session.set_phase("dbt build")
    copy, based_on = building_copy(warehouse)
    args = ["build"]
    if as_of:
        args += ["--vars", json.dumps({"as_of": as_of.isoformat()})]
    args += plan.dbt_args()
    try:
        # One target folder per tenant, kept between runs: its partial_parse.msgpack was written
        # with this tenant's warehouse path and vars, so dbt need not parse the project again
        # (a fresh folder would get the one from `dbt parse`, whose profile differs: full parse).
        target = tenant.paths().root / "dbt_target"
        with _warehouse_env(copy):
            yield from dbt.cli(args, context=context, target_path=target).stream()
        publish(copy, based_on, warehouse, tenant.tenant, fingerprint, tenant.load_id_for(context))
    finally:
        discard(copy)


def _unchanged(context: AssetExecutionContext, reason: str):
    """When dbt has nothing to build, the ``returns`` models (what the packs print) are reported
    with ``rebuilt: false`` and why.

    Dagster skips a step when a selected upstream asset yields nothing, and a pack must be looked
    at in every run: what it shows can differ from its rendering even when dbt had nothing to do
    (a rendering killed midway, a change to the template or the renderer). A build that does run
    always rebuilds the ``returns`` models (see ``refresh.unaffected_nodes``)."""
    selected = context.selected_asset_keys
    for name in returns_models_in_order():
        key = AssetKey(["returns", name])
        if key in selected:
            yield MaterializeResult(asset_key=key, metadata={"rebuilt": False, "why": f"not rebuilt: {reason}"})


@contextlib.contextmanager
def _warehouse_env(path):
    """dbt's profile reads the warehouse path from PCCW_WAREHOUSE; set it for the build, then put back
    exactly what was there (or nothing)."""
    before = os.environ.get("PCCW_WAREHOUSE")
    os.environ["PCCW_WAREHOUSE"] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PCCW_WAREHOUSE", None)
        else:
            os.environ["PCCW_WAREHOUSE"] = before


def pack_asset(pack: str):
    from dagster import Failure

    from dagster_project.packs.due import due_packs
    from dagster_project.packs.render import PackBlocked, out_dir, read_manifest, render_if_changed
    from dagster_project.packs.spec import PACKS_DIR, load_spec

    latest = max((load_spec(p) for p in (PACKS_DIR / pack).glob("*.yml")), key=lambda s: s.valid_from)
    deps = [AssetKey(["returns", model]) for model in latest.models]
    name = f"pack_{pack.replace('-', '_')}"
    rules_check = AssetCheckSpec(
        "funder_rules", asset=name, blocking=False,
        description="The funder's rules the pack spec declares (overspend, forecast underspend that cannot be "
                    "carried forward, evaluation share, match funding): a warning on the pack, never a block.")

    @asset(name=name, group_name="packs", deps=deps, kinds={"xlsx", "html", "pdf"}, check_specs=[rules_check],
           description=f"{latest.title}: every period due, rendered to reports/out/<tenant>/{pack}/<period>/ "
                       "whenever what it shows changed (figures, checks, template), and only then.")
    def _pack(context: AssetExecutionContext, tenant: TenantResource) -> MaterializeResult:
        t = tenant.load()
        tenant.session(context).set_phase(f"rendering {pack}")
        rendered, current, blocked, warnings = [], 0, [], []
        for _, period in due_packs(t, pack):
            try:
                folder = render_if_changed(t, pack, period)
            except PackBlocked as exc:
                blocked.append(str(exc))
                continue
            if folder is None:
                current += 1
            else:
                rendered.append(str(folder))
            manifest = read_manifest(out_dir(t.slug, pack, period)) or {}
            warnings += [f"{period} {w['section']}: {w['message']}" for w in manifest.get("warnings", [])]
        if blocked:
            raise Failure(description=f"{len(blocked)} {pack} pack(s) blocked", metadata={"blocked": "\n\n".join(blocked)})
        return MaterializeResult(metadata={"tenant": t.slug, "packs_rendered": len(rendered), "packs_current": current,
                                           "folders": MetadataValue.md("\n".join(f"- {r}" for r in rendered)
                                                                       or "none changed")},
                                 check_results=[AssetCheckResult(
                                     check_name="funder_rules", passed=not warnings, severity=AssetCheckSeverity.WARN,
                                     metadata={"warnings": len(warnings),
                                               "details": MetadataValue.md("\n".join(f"- {w}" for w in warnings)
                                                                           or "every rule met")})])

    return _pack


PACK_ASSETS = [pack_asset(p) for p in ("moj-victims", "ho-vru", "ho-immediate-justice")]
