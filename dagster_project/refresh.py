"""Nightly refresh mechanics: build only what changed, and build aside then swap.

``plan_build`` decides what dbt must do: everything when the dbt project (or the reporting
date set in tenant.yml) changed since the last successful build; only the models downstream of raw
tables that received files since then and, for a tenant that reports as of today, of the models
that read the reporting date when the last build was on another day; or nothing at all.
``building_copy``/``publish`` give safe failure: dbt builds a copy of the warehouse, and only a
successful build replaces the file readers use, in one atomic rename (``warehouse.publish_file``,
which refuses to replace a file that changed since the copy was made). A run killed midway leaves
the last good warehouse untouched. All of this happens under the tenant's run lock
(``warehouse.writing``), after what the run landed was published, so the copy dbt builds holds every
landed row.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from dagster_project import settings
from dagster_project.dbt_project import project_fingerprint
from dagster_project.extract.families import BY_NAME
from dagster_project.warehouse import copy_published, open_reader_at, open_writer_at, publish_file


# The dbt folders whose models packs and publications read: rebuilt in every build that runs.
REPORT_LAYERS = ("returns", "publications")
# The macro through which a model reads the reporting date (tenant.yml's as_of, else today).
DATED = "macro.pccw.as_of_date"
DATED_SELECTOR = "dated"


@dataclass(frozen=True)
class BuildPlan:
    mode: str                      # "full", "changed" or "skip"
    selectors: tuple[str, ...]     # the raw sources that changed, as dbt selectors
    reason: str

    def dbt_args(self) -> list[str]:
        """Extra dbt arguments. dagster-dbt always selects every node of the asset (a runtime --select
        would be overridden), so a partial build is expressed as an --exclude of everything that is
        not downstream of the changed sources."""
        from dagster_project.dbt_project import DATA_BUILD_ARGS

        if self.mode != "changed":
            return DATA_BUILD_ARGS
        return [*DATA_BUILD_ARGS, "--exclude", " ".join([*unaffected_nodes(self.selectors), "resource_type:seed"])]


def unaffected_nodes(selectors: tuple[str, ...]) -> list[str]:
    """Models and tests a changed build leaves alone: those not downstream of the changed sources.

    The report models (``REPORT_LAYERS``: what the packs print and the publications write) and their
    tests are always rebuilt: they are small, and a step that left them out would leave Dagster
    nothing to say for them, so it would skip the packs and publications, which must be looked at in
    every run that built anything."""
    from dagster_project.dbt_project import load_manifest, reachable

    manifest = load_manifest()
    start = {f"source.pccw.{s.removeprefix('source:').removesuffix('+')}" for s in selectors if s != DATED_SELECTOR}
    if DATED_SELECTOR in selectors:
        start |= {uid for uid, node in manifest["nodes"].items()
                  if DATED in node.get("depends_on", {}).get("macros", [])}
    start |= {uid for uid, node in manifest["nodes"].items()
              if node["resource_type"] == "model" and node["fqn"][1] in REPORT_LAYERS}
    affected = reachable(manifest["child_map"], start)
    return sorted(node["name"] for uid, node in manifest["nodes"].items()
                  if node["resource_type"] in ("model", "test") and uid not in affected)


def report_models_in_order() -> list[tuple[str, str]]:
    """The report models (``REPORT_LAYERS``) as (layer, name), each after the models it reads."""
    from dagster_project.dbt_project import load_manifest

    manifest = load_manifest()
    wanted = {uid for uid, node in manifest["nodes"].items()
              if node["resource_type"] == "model" and node["fqn"][1] in REPORT_LAYERS}
    ordered: list[str] = []

    def visit(uid: str) -> None:
        if uid in ordered:
            return
        for parent in manifest["parent_map"].get(uid, []):
            if parent in wanted:
                visit(parent)
        ordered.append(uid)

    for uid in sorted(wanted):
        visit(uid)
    return [(manifest["nodes"][uid]["fqn"][1], manifest["nodes"][uid]["name"]) for uid in ordered]


def plan_build(warehouse: Path, tenant: str, fingerprint: str, today: dt.date | None = None) -> BuildPlan:
    """What dbt must do. ``today``: the date, for a tenant that reports as of today (no ``as_of`` in
    tenant.yml), whose date-dependent models (due and overdue returns, the forward plan, closed years)
    must be built again on a new day even when no file landed."""
    con = open_reader_at(warehouse)
    try:
        has_state = con.execute("""select 1 from information_schema.tables
                                   where table_schema = 'meta' and table_name = 'build_state'""").fetchone()
        state = con.execute("select fingerprint, built_at from meta.build_state where tenant = ?",
                            [tenant]).fetchone() if has_state else None
        if state is None:
            return BuildPlan("full", (), "no successful build yet")
        if state[0] != fingerprint:
            return BuildPlan("full", (), "the dbt project or the reporting date changed since the last build")
        families = [f for (f,) in con.execute("""select distinct family from meta.landed_files where loaded_at > ?
                                                 order by 1""", [state[1]]).fetchall()]
    finally:
        con.close()
    built_on = state[1].replace(tzinfo=dt.timezone.utc).astimezone().date()
    new_day = today is not None and built_on != today
    if not families and not new_day:
        return BuildPlan("skip", (), "no files landed since the last successful build")
    selectors = tuple(f"source:raw.{t}+" for f in families for t in BY_NAME[f].tables)
    reasons = [f"files landed for {', '.join(families)} since the last successful build"] if families else []
    if new_day:
        selectors += (DATED_SELECTOR,)
        reasons.append(f"the reporting date is today, {today:%d/%m/%Y}, and the last build was on {built_on:%d/%m/%Y}")
    return BuildPlan("changed", selectors, "; ".join(reasons))


def building_copy(warehouse: Path) -> tuple[Path, tuple[int, int] | None]:
    """The copy dbt builds into, and the published file it was made from.

    The copy has every ``meta`` table the dbt sources read (views over them are built in the
    ``returns`` schema), even before the first successful build has written ``meta.build_state``:
    ``open_writer_at`` makes them."""
    copy = warehouse.with_name(settings.BUILDING_COPY)
    based_on = copy_published(warehouse, copy)
    open_writer_at(copy).close()
    return copy, based_on


def publish(copy: Path, based_on, warehouse: Path, tenant: str, fingerprint: str, load_id: str) -> None:
    con = open_writer_at(copy)
    try:
        con.execute("insert or replace into meta.build_state values (?, ?, ?, ?)",
                    [tenant, fingerprint, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), load_id])
    finally:
        con.close()
    publish_file(copy, warehouse, based_on)


def fingerprint_for(as_of: dt.date | None) -> str:
    return project_fingerprint(json.dumps({"as_of": as_of.isoformat() if as_of else None}))
