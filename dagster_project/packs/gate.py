"""Whether a pack may be rendered: its inputs' checks passed and its figures reconcile.

Inputs are the pack's ``rpt_`` models and every model upstream of them (the dbt manifest's
parent map). A blocking failure is any dbt test or model on those inputs that failed or
errored in its latest dbt run (``returns.rpt_check_results``: each node's latest result, as the
on-run-end hook recorded it), or a reconciliation row that does not match the ledger.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import duckdb

from dagster_project.dbt_project import load_manifest, reachable
from dagster_project.packs.spec import PackSpec


@dataclass
class Gate:
    failures: list[str] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)     # every check on the inputs, for the manifest
    invocation_id: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


@lru_cache(maxsize=1)
def _parent_map() -> dict[str, list[str]]:
    return load_manifest()["parent_map"]


def upstream_nodes(models: list[str]) -> set[str]:
    return reachable(_parent_map(), {f"model.pccw.{m}" for m in models})


def evaluate(con: duckdb.DuckDBPyConnection, spec: PackSpec, period: str) -> Gate:
    gate = Gate()
    try:
        latest = con.execute("""select invocation_id from returns.rpt_check_results
                                order by recorded_at desc limit 1""").fetchone()
    except duckdb.CatalogException:     # never built: the view is not there
        latest = None
    if latest is None:
        gate.failures.append("no dbt run has been recorded for this warehouse; run `pccw run` first")
        return gate
    gate.invocation_id = latest[0]
    inputs = upstream_nodes(spec.models)
    # Each node's most recent result: incremental builds rebuild only what changed.
    rows = con.execute("""select unique_id, resource_type, name, status, failures, depends_on, message
                          from returns.rpt_check_results order by unique_id""").fetchall()
    for unique_id, kind, name, status, failures, depends_on, message in rows:
        relevant = unique_id in inputs or any(d in inputs for d in (depends_on or "").split(","))
        if not relevant or kind not in ("test", "unit_test", "model", "seed"):
            continue
        gate.checks.append({"check": name, "kind": kind, "status": status, "failures": failures})
        if status in ("fail", "error") or (kind == "model" and status == "skipped"):
            gate.failures.append(f"dbt {kind} {name} {status}"
                                 + (f" ({failures} failing rows)" if failures else "")
                                 + (f": {message}" if message and status == "error" else ""))
    rpt = {f"model.pccw.{m}" for m in spec.models}
    built = {r[0] for r in rows if r[1] == "model" and r[3] == "success"}
    for missing in sorted(rpt - built):
        gate.failures.append(f"{missing.split('.')[-1]} did not build successfully in its latest dbt run")
    mismatches = con.execute(f"""select stream_id, reported_spend, ledger_spend, difference
                                 from returns.{spec.reconciliation_model}
                                 where period = ? and status <> 'Reconciled'""", [period]).fetchall()
    for stream, reported, ledger, difference in mismatches:
        gate.failures.append(f"reconciliation: {stream} reported £{reported:,.2f} but the ledger shows "
                             f"£{ledger:,.2f} (difference £{difference:,.2f})")
    gate.checks.append({"check": f"{spec.reconciliation_model} for {period}", "kind": "reconciliation",
                        "status": "fail" if mismatches else "pass", "failures": len(mismatches)})
    return gate
