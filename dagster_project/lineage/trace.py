"""``pccw trace``: follow a pack figure back to its sources, or a ledger line forward to packs.

A figure's lineage id (``<section>:<row key>:<field>``) and the section's ``trace`` recipe in
the pack spec say where it comes from:

* ``ledger``: the ledger-line parts allocated to the figure's stream, agreement or category in
  the period (or year to date). Their sum is the figure, to the penny.
* ``returns``: the provider-return cells (file, sheet!cell, value) of current returns in the
  period. Their sum is the figure.
* ``police``: the street-level crime rows counted.
* ``allocation``: the funding-allocation rows (award letters).

Each source row carries its landed file and sha256, so the chain ends at an immutable file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project.errors import UsageError
from dagster_project.packs.spec import PackSpec, Section, load_spec


class TraceError(UsageError, ValueError):
    """A figure, folder or transaction that cannot be traced (the command line exits 2)."""


@dataclass
class Trace:
    figure_id: str
    pack: str
    period: str
    sheet: str | None
    cell: str | None
    value: Decimal
    section: str
    model: str
    key: dict
    field: str
    source: str
    contributions: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    context: list[dict] = field(default_factory=list)     # agreement, stream, plan priority

    @property
    def traced_total(self) -> Decimal:
        return sum((Decimal(str(c["amount"])) for c in self.contributions), Decimal(0))

    @property
    def reconciles(self) -> bool:
        return self.traced_total == self.value

    def as_dict(self) -> dict:
        return {"figure": self.figure_id, "pack": self.pack, "period": self.period, "sheet": self.sheet,
                "cell": self.cell, "value": str(self.value), "model": self.model, "key": self.key,
                "field": self.field, "source": self.source, "traced_total": str(self.traced_total),
                "reconciles": self.reconciles, "contributions": self.contributions, "files": self.files,
                "context": self.context}


def load_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not path.is_file():
        what = "does not exist" if not folder.exists() else "is not a folder" if not folder.is_dir() \
            else "has no manifest.json"
        raise TraceError(f"{folder} is not a pack folder: it {what}; a pack folder is "
                         f"reports/out/<tenant>/<pack>/<period> holding manifest.json")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TraceError(f"{path} is not a pack manifest (not valid JSON: {exc}); "
                         f"render the pack again with `pccw packs render`") from None
    if not isinstance(manifest, dict) or not {"tenant", "pack", "period", "figures"} <= manifest.keys():
        raise TraceError(f"{path} is not a pack manifest (it lacks tenant, pack, period or figures); "
                         f"render the pack again with `pccw packs render`")
    return manifest


def find_figure(manifest: dict, ref: str) -> dict:
    for figure in manifest["figures"]:
        if figure["id"] == ref or f"{figure['sheet']}!{figure['cell']}" == ref:
            return figure
    raise TraceError(f"no figure {ref!r} in this pack; give a lineage id from manifest.json "
                     f"(e.g. {manifest['figures'][0]['id']}) or a sheet!cell (e.g. "
                     f"{manifest['figures'][0]['sheet']}!{manifest['figures'][0]['cell']})")


def trace_figure(con: duckdb.DuckDBPyConnection, manifest: dict, figure: dict, with_context: bool = True) -> Trace:
    spec = load_spec(Path(manifest["spec"]) if Path(manifest["spec"]).is_absolute()
                     else _repo() / manifest["spec"])
    section_id, _, field_name = figure["id"].split(":", 2)
    if section_id == "reconciliation":
        raise TraceError("reconciliation figures compare two totals; trace the pack's spend figures instead")
    section = next(s for s in spec.sections if s.id == section_id)
    recipe = (section.trace or {}).get(field_name) or (section.trace or {}).get("*")
    if recipe is None:
        raise TraceError(f"the spec gives no trace for {section_id}.{field_name}")
    trace = Trace(figure["id"], manifest["pack"], manifest["period"], figure.get("sheet"), figure.get("cell"),
                  Decimal(figure["value"]), section_id, section.model, figure.get("key") or {}, field_name,
                  recipe["source"])
    period = manifest["period"]
    key = {} if ":total:" in figure["id"] else trace.key
    SOURCES[recipe["source"]](con, trace, recipe, key, period, with_context)
    trace.files = _files(con, {c["sha256"] for c in trace.contributions if c.get("sha256")})
    return trace


def _where(recipe: dict, key: dict, prefix: str = "") -> tuple[str, list]:
    clauses, params = [], []
    for rpt_column, source_column in (recipe.get("keys") or {}).items():
        if rpt_column not in key:
            continue
        value = key[rpt_column]
        if value in recipe.get("null_keys", []):
            clauses.append(f"{prefix}{source_column} is null")
        else:
            clauses.append(f"{prefix}{source_column} = ?")
            params.append(value)
    for column, value in (recipe.get("match") or {}).items():
        if isinstance(value, list):
            clauses.append(f"{prefix}{column} in ({', '.join('?' for _ in value)})")
            params += value
        else:
            clauses.append(f"{prefix}{column} = ?")
            params.append(value)
    for column, values in (recipe.get("exclude") or {}).items():
        clauses.append(f"{prefix}{column} not in ({', '.join('?' for _ in values)})")
        params += values
    return (" and ".join(clauses) or "true"), params


def _ledger(con, trace: Trace, recipe: dict, key: dict, period: str, with_context: bool = True) -> None:
    where, params = _where(recipe, key, "parts.")
    window = "parts.in_period" if recipe.get("window", "period") == "period" else "true"
    rows = con.execute(f"""
        select parts.transaction_id, parts.posting_date, parts.allocated_amount, parts.line_amount,
               parts.journal_type, parts.stream_id, parts.agreement_ref, parts.plan_id, parts.priority_id,
               parts.source_file, parts.source_sha256, parts.source_locator
        from intermediate.int_ledger_parts_by_period as parts
        where parts.period = ? and {window} and {where}
        order by parts.posting_date, parts.transaction_id, parts.stream_id, parts.priority_id""",
                       [period, *params]).fetchall()
    for txn, day, amount, line, kind, stream, agreement, plan, priority, file, sha, locator in rows:
        trace.contributions.append({"kind": "ledger line part", "transaction_id": txn, "date": str(day),
                                    "amount": str(amount), "line_amount": str(line), "journal_type": kind,
                                    "stream_id": stream, "agreement_ref": agreement, "plan_id": plan,
                                    "priority_id": priority, "file": file, "sha256": sha, "locator": locator})
    if not with_context:
        return
    cursor = con.execute(f"""
        select parts.agreement_ref, ag.provider_name, ag.service_name, parts.stream_id, parts.plan_id,
               pp.plan_title, parts.priority_id, pp.priority_name, sum(parts.allocated_amount) as amount
        from intermediate.int_ledger_parts_by_period as parts
        left join intermediate.int_agreements_current as ag using (agreement_ref)
        left join intermediate.int_plan_priorities_current as pp using (plan_id, priority_id)
        where parts.period = ? and {window} and {where}
        group by all order by amount desc""", [period, *params])
    names = [d[0] for d in cursor.description]
    trace.context = [{k: (None if v is None else str(v)) for k, v in zip(names, row)} for row in cursor.fetchall()]


def _returns(con, trace: Trace, recipe: dict, key: dict, period: str, with_context: bool = True) -> None:
    where, params = _where(recipe, key, "cells.")
    services = ""
    if recipe.get("services"):
        column, value = next(iter(recipe["services"].items()))
        services = f"""and cells.agreement_ref in (select f.agreement_ref
            from intermediate.int_agreement_funding_current f join intermediate.int_funding_streams_current s
            using (stream_id) where s.{column} = '{value}')"""
    columns = recipe["columns"] if isinstance(recipe["columns"], list) else [recipe["columns"]]
    rows = con.execute(f"""
        select cells.agreement_ref, cells.quarter, cells.sheet, cells.cell, cells.row_group, cells.row_label,
               cells.column_label, cells.value_number, cells.source_file, cells.return_file_sha256
        from intermediate.int_return_cells_by_period as cells
        where cells.period = ? and cells.sheet = ? and cells.column_label in ({', '.join('?' for _ in columns)})
          and cells.value_number is not null and cells.value_number <> 0 and {where} {services}
        order by cells.agreement_ref, cells.quarter, cells.sheet, cells.cell""",
                       [period, recipe["sheet"], *columns, *params]).fetchall()
    for agreement, quarter, sheet, cell, group, label, column, number, file, sha in rows:
        trace.contributions.append({"kind": "provider return cell", "agreement_ref": agreement, "quarter": quarter,
                                    "cell": f"{sheet}!{cell}", "row": " / ".join(x for x in (group, label) if x),
                                    "column": column, "amount": str(number), "file": file, "sha256": sha})


def _police(con, trace: Trace, recipe: dict, key: dict, period: str, with_context: bool = True) -> None:
    where, params = _where(recipe, key, "crimes.")
    rows = con.execute(f"""
        select crimes.crime_id, crimes.crime_month, crimes.crime_type, crimes.district_code,
               crimes._source_file, crimes._source_sha256, crimes._source_locator
        from intermediate.int_police_crimes_located as crimes
        join intermediate.int_reporting_periods as p on p.period = ?
        where crimes.crime_month between p.period_start and p.period_end and {where}
        order by crimes._source_file, crimes._source_locator""", [period, *params]).fetchall()
    for crime_id, month, kind, district, file, sha, locator in rows:
        trace.contributions.append({"kind": "police record", "crime_id": crime_id, "month": str(month),
                                    "crime_type": kind, "district_code": district, "amount": "1", "file": file,
                                    "sha256": sha, "locator": locator})


def _allocation(con, trace: Trace, recipe: dict, key: dict, period: str, with_context: bool = True) -> None:
    where, params = _where(recipe, key, "a.")
    rows = con.execute(f"""
        select a.stream_id, a.financial_year, a.allocation, a.award_reference, a._source_file, a._source_sha256,
               a._source_locator
        from (select allocations.*, streams.funder
              from staging.stg_finance__funding_allocations as allocations
              join intermediate.int_funding_streams_current as streams using (stream_id)) as a
        where a.financial_year = left(?, 7) and {where}
        qualify row_number() over (partition by a.stream_id, a.financial_year order by a._loaded_at desc) = 1
        order by a.stream_id""", [period, *params]).fetchall()
    for stream, year, amount, reference, file, sha, locator in rows:
        trace.contributions.append({"kind": "funding allocation", "stream_id": stream, "financial_year": year,
                                    "award_reference": reference, "amount": str(amount), "file": file,
                                    "sha256": sha, "locator": locator})


SOURCES = {"ledger": _ledger, "returns": _returns, "police": _police, "allocation": _allocation}


def _files(con, shas: set[str]) -> list[dict]:
    if not shas:
        return []
    rows = con.execute(f"""select source_file, sha256, landed_path, load_id, loaded_at from meta.landed_files
                           where sha256 in ({', '.join('?' for _ in shas)}) order by source_file""",
                       sorted(shas)).fetchall()
    return [{"file": f, "sha256": s, "landed": p, "load_id": l, "loaded_at": str(t)} for f, s, p, l, t in rows]


def trace_transaction(con: duckdb.DuckDBPyConnection, transaction_id: str, packs_root: Path) -> dict:
    """Which rendered pack figures a ledger line feeds (forward trace)."""
    line = con.execute("""select transaction_id, posting_date, amount, agreement_ref, cost_centre, match_status,
                                 _source_file, _source_sha256, _source_locator
                          from intermediate.int_ledger_lines_matched where transaction_id = ?""",
                       [transaction_id]).fetchone()
    if line is None:
        raise TraceError(f"no ledger transaction {transaction_id!r} in the warehouse")
    parts = con.execute("""select period, in_period, stream_id, agreement_ref, vru_category, plan_id, priority_id,
                                  allocated_amount, funder
                           from intermediate.int_ledger_parts_by_period where transaction_id = ?""",
                        [transaction_id]).fetchall()
    feeds = []
    for manifest_path in sorted(packs_root.glob("*/*/manifest.json")):
        manifest = json.loads(manifest_path.read_text())
        spec = load_spec(_repo() / manifest["spec"])
        for figure in manifest["figures"]:
            section_id, _, field_name = figure["id"].split(":", 2)
            section = next((s for s in spec.sections if s.id == section_id), None)
            recipe = section and ((section.trace or {}).get(field_name) or (section.trace or {}).get("*"))
            if not recipe or recipe["source"] != "ledger":
                continue
            key = {} if ":total:" in figure["id"] else (figure.get("key") or {})
            for period, in_period, stream, agreement, category, plan, priority, amount, funder in parts:
                row = {"stream_id": stream, "agreement_ref": agreement, "vru_category": category, "funder": funder}
                if period != manifest["period"] or (recipe.get("window", "period") == "period" and not in_period):
                    continue
                if _matches(recipe, key, row):
                    feeds.append({"pack": manifest["pack"], "period": manifest["period"], "figure": figure["id"],
                                  "sheet": figure["sheet"], "cell": figure["cell"], "part": str(amount),
                                  "folder": str(manifest_path.parent)})
    return {"transaction_id": line[0], "posting_date": str(line[1]), "amount": str(line[2]),
            "agreement_ref": line[3], "cost_centre": line[4], "match_status": line[5], "file": line[6],
            "sha256": line[7], "locator": line[8], "feeds": feeds}


def _matches(recipe: dict, key: dict, row: dict) -> bool:
    for rpt_column, source_column in (recipe.get("keys") or {}).items():
        if rpt_column in key:
            wanted = None if key[rpt_column] in recipe.get("null_keys", []) else key[rpt_column]
            if row.get(source_column) != wanted:
                return False
    for column, value in (recipe.get("match") or {}).items():
        if (row.get(column) not in value) if isinstance(value, list) else (row.get(column) != value):
            return False
    for column, values in (recipe.get("exclude") or {}).items():
        if row.get(column) in values:
            return False
    return True


def _repo() -> Path:
    from dagster_project import settings
    return settings.REPO_ROOT


def format_trace(trace: Trace) -> str:
    lines = [f"Figure {trace.figure_id} in {trace.pack} {trace.period}"
             + (f" ({trace.sheet}!{trace.cell})" if trace.sheet else "") + f": {trace.value}",
             f"  model returns.{trace.model}, row {trace.key or 'all rows'}, column {trace.field}",
             f"  source: {trace.source}; {len(trace.contributions)} contributing rows sum to {trace.traced_total}"
             + ("  (matches the figure)" if trace.reconciles else "  (DOES NOT MATCH THE FIGURE)")]
    for c in trace.contributions[:40]:
        if c["kind"] == "ledger line part":
            lines.append(f"    {c['transaction_id']} {c['date']} {c['journal_type']} £{c['amount']} "
                         f"(of £{c['line_amount']}) {c['stream_id']} {c['agreement_ref'] or '-'} "
                         f"{c['priority_id'] or '-'}  {c['file']} {c['locator']}")
        elif c["kind"] == "provider return cell":
            lines.append(f"    {c['file']} {c['cell']} = {c['amount']}  ({c['row']}, {c['column']})")
        else:
            lines.append(f"    {c['kind']}: " + ", ".join(f"{k}={v}" for k, v in c.items() if k not in ("kind", "sha256")))
    if len(trace.contributions) > 40:
        lines.append(f"    ... and {len(trace.contributions) - 40} more (use --format json for all)")
    if trace.context:
        lines.append("  serves:")
        for c in trace.context[:15]:
            lines.append(f"    {c['agreement_ref']} {c['provider_name']} / {c['service_name']}: stream {c['stream_id']}, "
                         f"plan {c['plan_title']} - priority {c['priority_name']}: £{c['amount']}")
    lines.append("  landed files:")
    lines += [f"    {f['file']}  sha256 {f['sha256']}  ({f['landed']}, load {f['load_id']})" for f in trace.files]
    return "\n".join(lines)
