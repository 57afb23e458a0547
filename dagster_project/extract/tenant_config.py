"""The tenant's own configuration (tenant.yml) as raw tables, so models join to it.

tenant.yml is landed like any other input: each version is archived by sha256 and its
rows kept; staging reads the latest version. Plans, priorities, districts (with their
code crosswalk) and funding-stream rules therefore reach dbt without living in code.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.extract.landing import Provenance
from dagster_project.extract.workbooks import insert_rows
from dagster_project.tenants import Tenant, load_tenant


TABLES: dict[str, tuple[str, ...]] = {
    "tenant": ("tenant", "tenant_name", "force_name", "force_slug", "force_reported_by"),
    "tenant_districts": ("district_code", "district_name", "area_code", "code_relation"),
    "tenant_plans": ("plan_id", "plan_title", "valid_from", "valid_to", "cross_cutting_themes"),
    "tenant_priorities": ("plan_id", "priority_id", "priority_name", "priority_order"),
    "tenant_funding_streams": ("stream_id", "stream_name", "funder", "ring_fence", "carry_forward",
                               "match_funding_pct", "reported_in", "first_year", "last_year", "match_funding_for"),
    "tenant_stream_conditions": ("stream_id", "financial_year", "match_funding_pct", "evaluation_min_pct", "source"),
    "tenant_returns": ("pack", "frequency"),
    "tenant_cost_centres": ("cost_centre", "stream_id"),
}


def _text(value) -> str | None:
    return None if value is None else str(value)


def load_config(con: duckdb.DuckDBPyConnection, path: Path, prov: Provenance) -> int:
    tenant: Tenant = load_tenant(path.parent.name)
    total = 0

    def put(table: str, rows: list[tuple], keys: list[str]) -> None:
        nonlocal total
        total += insert_rows(con, table, TABLES[table], rows, prov, keys)

    put("tenant", [(tenant.slug, tenant.name, tenant.force_name, tenant.force_slug, "|".join(tenant.force_reported_by))],
        ["tenant"])
    district_rows, keys = [], []
    for i, d in enumerate(tenant.districts):
        for code in d.all_codes:
            district_rows.append((d.code, d.name, code, "current" if code == d.code else "other"))
            keys.append(f"districts[{i}]")
    put("tenant_districts", district_rows, keys)
    put("tenant_plans", [(p.id, p.title, p.valid_from.isoformat(), p.valid_to.isoformat(), "|".join(p.cross_cutting))
         for p in tenant.plans],
        [f"plans[{i}]" for i in range(len(tenant.plans))])
    prio_rows, keys = [], []
    for i, p in enumerate(tenant.plans):
        for j, pr in enumerate(p.priorities):
            prio_rows.append((p.id, pr.id, pr.name, str(j + 1)))
            keys.append(f"plans[{i}].priorities[{j}]")
    put("tenant_priorities", prio_rows, keys)
    put("tenant_funding_streams", [(s.id, s.name, s.funder, "|".join(s.ring_fence), str(s.carry_forward).lower(),
                                    str(s.match_funding_pct), s.reported_in, s.first_year, s.last_year,
                                    s.match_funding_for) for s in tenant.funding_streams],
        [f"funding_streams[{i}]" for i in range(len(tenant.funding_streams))])
    put("tenant_stream_conditions",
        [(s.id, c.financial_year, _text(c.match_funding_pct), _text(c.evaluation_min_pct), c.source)
         for s in tenant.funding_streams for c in s.conditions],
        [f"funding_streams[{i}].conditions.{c.financial_year}"
         for i, s in enumerate(tenant.funding_streams) for c in s.conditions])
    put("tenant_cost_centres", [(c, s.id) for s in tenant.funding_streams for c in s.cost_centres],
        [f"funding_streams[{i}].cost_centres" for i, s in enumerate(tenant.funding_streams) for _ in s.cost_centres])
    put("tenant_returns", [(r.pack, r.frequency) for r in tenant.returns],
        [f"returns[{i}]" for i in range(len(tenant.returns))])
    return total
