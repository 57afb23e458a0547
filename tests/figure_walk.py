"""Walk every figure of every rendered pack and check its trace, as an auditor would: the JSON
``pccw trace --format json`` prints for it must add up to the figure exactly. Checked here with
an evaluator of the test's own (Python arithmetic on Decimals), not the pipeline's."""
from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from dagster_project.lineage.trace import load_manifest, trace_figure, tracer


def _round(x: Decimal, places: int = 0) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)


def expected(node: dict) -> Decimal | None:
    """What the sources in a trace's JSON make of the figure, worked out here."""
    if node["kind"] == "additive":
        if node["value"] is None:
            return None
        return sum((Decimal(c["amount"]) for c in node["contributions"]), Decimal(0))
    if node["kind"] == "given":
        return None if node["value"] is None else Decimal(node["value"])
    parts = [expected(p) for p in node["parts"]]
    if node["kind"] == "total":
        return None if any(p is None for p in parts) else sum(parts, Decimal(0))
    if any(p is None for p in parts):
        return None
    names = {p["field"]: value for p, value in zip(node["parts"], parts)}
    try:
        return eval(node["formula"], {"__builtins__": {}}, {**names, "round": _round, "max": max, "min": min})  # noqa: S307
    except ZeroDivisionError:
        return None
    except ArithmeticError:
        return None


def check(node: dict, where: str) -> None:
    value = None if node["value"] is None else Decimal(node["value"])
    got = expected(node)
    assert got == value, f"{where}: {node['figure']} is {value} but its sources make {got}"
    assert node["reconciles"], where
    if node["kind"] == "additive" and value is not None:
        assert all(c["sha256"] and c["file"] for c in node["contributions"]), where
    for part in node["parts"]:
        check(part, where)


def walk_rendered_packs(root: Path, warehouse: Path) -> dict[str, int]:
    """Every figure of every pack rendered under ``root`` (tenant's reports folder): traced and
    checked. Returns how many figures of each kind were walked."""
    kinds: dict[str, int] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for manifest_path in sorted(root.glob("*/*/manifest.json")):
            manifest = load_manifest(manifest_path.parent)
            reader = tracer(con, manifest)
            for figure in manifest["figures"]:
                if figure["id"].startswith("reconciliation:"):
                    continue
                node = json.loads(json.dumps(trace_figure(con, manifest, figure, with_context=False,
                                                          tracer=reader).as_dict(), default=str))
                assert node["value"] == figure["value"]
                assert figure["value"] is not None or node["not_available"], f"{figure['id']}: no reason given"
                check(node, f"{manifest['pack']} {manifest['period']}")
                kinds[node["kind"]] = kinds.get(node["kind"], 0) + 1
    finally:
        con.close()
    return kinds
