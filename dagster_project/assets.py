"""Dagster assets: one landing asset per source family, the dbt models, and the packs.

Landing assets write the ``raw`` schema (keys ``raw/<table>``), which the dbt sources
of the same names read, so the asset graph runs files -> raw -> staging -> ... -> packs.
Every asset is partitioned by tenant: a run is one tenant's refresh. The builders take the
tenants' partitions definition (see ``definitions.py``).
"""

from collections.abc import Mapping
from typing import Any

from dagster import (AssetCheckKey, AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, AssetKey,
                     AssetSpec, Backoff, MaterializeResult, MetadataValue, PartitionsDefinition, RetryPolicy, asset,
                     multi_asset)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from dagster_dbt.asset_utils import get_asset_check_key_for_test

from dagster_project.dbt_project import (BUILDING_COPY, FILE_LOG_ARGS, dbt_vars, ensure_manifest, seed_parse,
                                         tenant_project)
from dagster_project.extract.families import BY_NAME, FAMILIES, Family
from dagster_project.extract.ingest import ingest_family
from dagster_project.refresh import building_copy, fingerprint_for, plan_build, publish, report_models_in_order
from dagster_project.resources import DBT_PROJECT, TenantResource, tenant_dbt
from dagster_project.warehouse import discard


# Transient failures (a file still being copied in, a disk briefly full) get two more tries.
TRANSIENT = RetryPolicy(max_retries=2, delay=5, backoff=Backoff.EXPONENTIAL)
PACKS_GROUP = "packs"
PUBLICATIONS_GROUP = "publications"


def landing_asset(family: Family, partitions: PartitionsDefinition):
    upstream = [AssetKey(["raw", table]) for name in family.depends_on for table in BY_NAME[name].tables]
    specs = [AssetSpec(AssetKey(["raw", table]), group_name="raw", kinds={"duckdb"}, deps=upstream,
                       description=f"{family.description} Raw table raw.{table}.")
             for table in family.tables]

    @multi_asset(name=f"land_{family.name}", specs=specs, group_name="raw", retry_policy=TRANSIENT,
                 partitions_def=partitions, description=f"Land new {family.name} files and load them into raw tables.")
    def _land(context: AssetExecutionContext, tenant: TenantResource):
        t = tenant.load(context)
        tenant.session(context)   # the run's lock, held until the run ends: one writer for the whole refresh
        report = ingest_family(t, family, tenant.load_id_for(context))
        context.log.info(report.summary())
        if report.skipped:   # one line, not one a file: at national scale thousands are skipped each night
            shown = ", ".join(report.skipped[:5])
            more = f" and {len(report.skipped) - 5} more" if len(report.skipped) > 5 else ""
            context.log.info(f"skipped, already landed: {shown}{more}")
        for name, reason in report.quarantined:
            context.log.error(f"quarantined: {reason}")
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
                    "rows_in_table": report.table_rows[table],
                    "quarantine_reasons": MetadataValue.md(
                        "\n".join(f"- {reason}" for _, reason in report.quarantined) or "none"),
                },
            )

    return _land


def landing_assets(partitions: PartitionsDefinition) -> list:
    """One landing asset per source family."""
    return [landing_asset(f, partitions) for f in FAMILIES]


class LayerTranslator(DagsterDbtTranslator):
    """dbt nodes grouped in the UI by layer (staging, intermediate, marts, returns; seeds apart),
    not all in one group called "default"."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


def warehouse_models_asset(partitions: PartitionsDefinition):
    """The dbt project as one partitioned multi-asset (one node per model, seed and test)."""

    # No `project=`: it would pin dbt's working folder to the shared project, and each tenant's dbt
    # works in its own (dbt_project.tenant_project).
    @dbt_assets(manifest=ensure_manifest(), partitions_def=partitions, dagster_dbt_translator=LayerTranslator())
    def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource, tenant: TenantResource):
        """The dbt models, seeds and tests, built into a copy of the tenant's warehouse that replaces
        the live one only when the build succeeds. Only what changed is rebuilt (see refresh.py).

        Under the run's lock, what the run landed is published first, so the copy holds every landed
        row and a failed or killed build loses none of them."""
        session = tenant.session(context)
        session.publish()
        warehouse = session.paths.warehouse
        t = tenant.load(context)
        as_of = t.as_of
        fingerprint = fingerprint_for(as_of)
        plan = plan_build(warehouse, session.tenant, fingerprint, today=None if as_of else t.reporting_date)
        context.log.info(f"dbt: {plan.mode} ({plan.reason})")
        if plan.mode == "skip":
            yield from _unchanged(context, plan.reason)
            yield from _checks_not_rerun(context, warehouse, set(), plan.reason)
            return
        session.set_phase("dbt build")
        copy, based_on = building_copy(warehouse)
        project = tenant_project(session.paths.root)
        assert copy == project.parent / BUILDING_COPY, copy     # the path the project's profile names
        build_vars = dbt_vars(None, as_of)
        args = ["build", *build_vars, *plan.dbt_args(), *FILE_LOG_ARGS]
        checked = set()
        try:
            # dbt starts from the project's parse kept for these vars (see seed_parse).
            target = session.paths.root / "dbt_target"
            seed_parse(target, build_vars)
            for event in tenant_dbt(dbt, project).cli(args, context=context, target_path=target).stream():
                if isinstance(event, AssetCheckResult):
                    checked.add(AssetCheckKey(event.asset_key, event.check_name))
                yield event
            publish(copy, based_on, warehouse, session.tenant, fingerprint, tenant.load_id_for(context))
        finally:
            discard(copy)
        yield from _checks_not_rerun(context, warehouse, checked, plan.reason)

    return warehouse_models


def _checks_not_rerun(context: AssetExecutionContext, warehouse, checked: set, reason: str):
    """The dbt tests this build left alone (all of them when dbt had nothing to build), reported with
    the result they had in the last build that ran them: what they test has not changed since.

    So the UI shows every check's state after every run, and Dagster does not log, for each of
    some 120 tests, that it "did not yield" a result or that a pack "will proceed without gating"."""
    from dagster_project.dbt_project import load_manifest
    from dagster_project.warehouse import open_reader_at

    wanted = [key for key in context.selected_asset_check_keys if key not in checked]
    if not wanted:
        return
    manifest = load_manifest()
    translator = LayerTranslator()
    test_ids = {get_asset_check_key_for_test(manifest, translator, uid, DBT_PROJECT): uid
                for uid, node in manifest["nodes"].items() if node["resource_type"] == "test"}
    con = open_reader_at(warehouse)
    try:       # each node's latest result, as the pack gate reads it
        last = {uid: (st, failures, at) for uid, st, failures, at in con.execute("""
            select unique_id, status, failures, recorded_at from returns.rpt_check_results
            where resource_type = 'test'""").fetchall()}
    finally:
        con.close()
    for key in wanted:
        if test_ids.get(key) not in last:
            continue     # never run (the first build failed before it): Dagster shows it as not evaluated
        status, failures, at = last[test_ids[key]]
        yield AssetCheckResult(
            asset_key=key.asset_key, check_name=key.name, passed=status == "pass",
            severity=AssetCheckSeverity.ERROR if status in ("fail", "error") else AssetCheckSeverity.WARN,
            metadata={"status": status, "failures": int(failures or 0), "checked_at": str(at),
                      "rerun": False, "why": f"not run again: {reason}"})


def _unchanged(context: AssetExecutionContext, reason: str):
    """When dbt has nothing to build, the report models (what the packs print and the publications
    write) are reported with ``rebuilt: false`` and why.

    Dagster skips a step when a selected upstream asset yields nothing, and a pack or publication
    must be looked at in every run: what it shows can differ from its files even when dbt had
    nothing to do (a rendering killed midway, a change to the template or the renderer). A build
    that does run always rebuilds the report models (see ``refresh.unaffected_nodes``)."""
    selected = context.selected_asset_keys
    for layer, name in report_models_in_order():
        key = AssetKey([layer, name])
        if key in selected:
            yield MaterializeResult(asset_key=key, metadata={"rebuilt": False, "why": f"not rebuilt: {reason}"})


def pack_asset_name(pack: str) -> str:
    """A pack's asset name: pack_moj_victims for moj-victims."""
    return f"pack_{pack.replace('-', '_')}"


def pack_asset(pack: str, partitions: PartitionsDefinition):
    from dagster import Failure

    from dagster_project.packs.due import due_packs
    from dagster_project.packs.render import PackBlocked, out_dir, read_manifest, render_if_changed
    from dagster_project.packs.spec import PACKS_DIR, load_spec

    latest = max((load_spec(p) for p in (PACKS_DIR / pack).glob("*.yml")), key=lambda s: s.valid_from)
    deps = [AssetKey(["returns", model]) for model in latest.models]
    name = pack_asset_name(pack)
    rules_check = AssetCheckSpec(
        "funder_rules", asset=name, blocking=False,
        description="The funder's rules the pack spec declares (overspend, forecast underspend that cannot be "
                    "carried forward, evaluation share, match funding): a warning on the pack, never a block.")

    @asset(name=name, group_name=PACKS_GROUP, deps=deps, kinds={"xlsx", "html", "pdf"}, check_specs=[rules_check],
           partitions_def=partitions,
           description=f"{latest.title}: every period due, rendered to reports/out/<tenant>/{pack}/<period>/ "
                       "whenever what it shows changed (figures, checks, template), and only then.")
    def _pack(context: AssetExecutionContext, tenant: TenantResource) -> MaterializeResult:
        t = tenant.load(context)
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


PACKS = ("moj-victims", "ho-vru", "ho-immediate-justice")


def pack_assets(partitions: PartitionsDefinition) -> list:
    """One asset per pack; each renders every period due of its tenant."""
    return [pack_asset(p, partitions) for p in PACKS]


PUBLICATION_MODELS = ("rpt_360giving__grants", "rpt_360giving__grant_programmes", "rpt_360giving__beneficiary_locations")


def publication_asset(partitions: PartitionsDefinition):
    """The 360Giving publication: each financial year's grants, written when they changed."""
    from dagster_project.publish.threesixtygiving import FOLDER, not_published, write_publication
    from dagster_project.warehouse import open_reader

    @asset(name="publication_360giving", group_name=PUBLICATIONS_GROUP, partitions_def=partitions,
           deps=[AssetKey(["publications", m]) for m in PUBLICATION_MODELS], kinds={"json", "xlsx"},
           description="The grants the office awarded, by financial year of award, as a 360Giving data package "
                       f"(JSON) and spreadsheet in reports/out/<tenant>/{FOLDER}/<year>/ (README: what is published).")
    def _publication(context: AssetExecutionContext, tenant: TenantResource) -> MaterializeResult:
        t = tenant.load(context)
        if t.publication is None:
            return MaterializeResult(metadata={"tenant": t.slug, "published": False,
                                               "why": "tenant.yml has no publication section: nothing is published"})
        tenant.session(context).set_phase("publishing 360Giving")
        con = open_reader(t.slug)
        try:
            written = write_publication(con, t)
            left_out = not_published(con)
        finally:
            con.close()
        return MaterializeResult(metadata={
            "tenant": t.slug, "files_written": len(written),
            "files": MetadataValue.md("\n".join(f"- {p}" for p in written) or "none changed"),
            "grants_not_published": MetadataValue.md("\n".join(f"- {ref}: {why}" for ref, why in left_out) or "none")})

    return _publication


def site_asset(partitions: PartitionsDefinition):
    """The tenant's reports site: reports/out/<tenant>/index.html, linking every pack and publication."""
    from dagster_project.publish.site import write_site

    deps = [AssetKey(pack_asset_name(p)) for p in PACKS] + [AssetKey("publication_360giving")]

    @asset(name="reports_site", group_name=PUBLICATIONS_GROUP, partitions_def=partitions, deps=deps, kinds={"html"},
           description="One page per tenant, reports/out/<tenant>/index.html, that opens from disk and links the "
                       "return packs, their audit pages, the 360Giving files and the dbt docs.")
    def _site(context: AssetExecutionContext, tenant: TenantResource) -> MaterializeResult:
        t = tenant.load(context)
        page = write_site(t)
        return MaterializeResult(metadata={"tenant": t.slug, "written": page is not None,
                                           "page": str(page) if page else "unchanged"})

    return _site
