"""``pccw trace``: follow a pack figure back to its sources, or a ledger line forward to packs.

A lookup, not a second derivation. Every additive figure of a pack is the sum of its rows in the
pack's contribution grain (``returns.rpt_<pack>__contributions``: one row per ledger-line part,
provider-return cell, police record, allocation letter, agreement commitment, agreement forecast
(its register row) or run rate of a ledger line outside agreements, and the figure it adds to),
which is also what the pack's ``rpt_`` models sum. A derived figure (a rate, a share,
a forecast, a change on last year) is its formula in the pack spec over named parts of the same
row, each traced in turn; a total of a derived figure is the sum of its rows. Each source row
carries its landed file and sha256, so the chain ends at an immutable file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project.errors import UsageError
from dagster_project.packs import formulas
from dagster_project.packs.spec import PackSpec, Section, load_spec

# Columns of a contribution row that place it in the pack, not in its source.
PLACEMENT = ("period", "section", "row_key", "field")
# Contribution columns as a trace names them: what the source is, what it adds, where it is.
SHOWN_AS = {"kind": "source_kind", "amount": "cast(amount as varchar)", "file": "source_file",
            "sha256": "source_sha256", "locator": "source_locator"}
SOURCE_COLUMNS = ("source_kind", "amount", "source_file", "source_sha256", "source_locator")
TEXT_COLUMNS = {"transaction_id", "journal_type", "stream_id", "agreement_ref", "provider_name", "service_name",
                "plan_id", "plan_title", "priority_id", "priority_name", "vru_category", "detail", "quarter",
                "row_group", "row_label", "column_label", "district_code", "crime_type"}


class TraceError(UsageError, ValueError):
    """A figure, folder or transaction that cannot be traced (the command line exits 2)."""


@dataclass
class Trace:
    figure_id: str
    pack: str
    period: str
    sheet: str | None
    cell: str | None
    value: Decimal | None
    section: str
    model: str
    key: dict
    field: str
    kind: str                       # additive, derived, given, total (of a derived figure's rows)
    formula: str | None = None
    not_available: str | None = None
    contributions: list[dict] = field(default_factory=list)
    parts: list["Trace"] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    context: list[dict] = field(default_factory=list)     # agreement, stream, plan priority
    given_from: str | None = None

    @property
    def traced_total(self) -> Decimal | None:
        """What the sources make of the figure: the sum of its contributions, its formula over its
        parts, or the sum of its rows. A figure that is not available stays so: a partial sum of
        whatever data there is never stands in for it."""
        if self.kind == "additive":
            if self.value is None:
                return None
            return sum((Decimal(str(c["amount"])) for c in self.contributions), Decimal(0))
        if self.kind == "derived":
            return formulas.evaluate(self.formula, {p.field: p.traced_total for p in self.parts})
        if self.kind == "total":
            values = [p.traced_total for p in self.parts]
            return None if any(v is None for v in values) else sum(values, Decimal(0))
        return self.value

    @property
    def reconciles(self) -> bool:
        return self.traced_total == self.value and all(p.reconciles for p in self.parts)

    def as_dict(self) -> dict:
        return {"figure": self.figure_id, "pack": self.pack, "period": self.period, "sheet": self.sheet,
                "cell": self.cell, "value": _str(self.value), "model": self.model, "key": self.key,
                "field": self.field, "kind": self.kind, "formula": self.formula,
                "not_available": self.not_available, "given_from": self.given_from,
                "traced_total": _str(self.traced_total), "reconciles": self.reconciles,
                "contributions": self.contributions, "parts": [p.as_dict() for p in self.parts],
                "files": self.files, "context": self.context}


def _str(value) -> str | None:
    return None if value is None else str(value)


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


def rendered_as_of(manifest: dict) -> str | None:
    """The load a pack was rendered as of (from a rebuilt past warehouse), or None. Manifests written
    before ``rendered_as_of`` existed said it in ``as_of_load``."""
    return manifest["rendered_as_of"] if "rendered_as_of" in manifest else manifest.get("as_of_load")


def find_figure(manifest: dict, ref: str) -> dict:
    for figure in manifest["figures"]:
        if figure["id"] == ref or f"{figure['sheet']}!{figure['cell']}" == ref:
            return figure
    raise TraceError(f"no figure {ref!r} in this pack; give a lineage id from manifest.json "
                     f"(e.g. {manifest['figures'][0]['id']}) or a sheet!cell (e.g. "
                     f"{manifest['figures'][0]['sheet']}!{manifest['figures'][0]['cell']})")


def manifest_spec(manifest: dict) -> PackSpec:
    path = Path(manifest["spec"])
    return load_spec(path if path.is_absolute() else _repo() / path)


def trace_figure(con: duckdb.DuckDBPyConnection, manifest: dict, figure: dict, with_context: bool = True,
                 tracer: "_Tracer | None" = None) -> Trace:
    """The figure's sources: its contributions, or its formula's parts each traced, read from the
    warehouse the pack was rendered from. Tracing many figures of one pack, pass one
    :func:`tracer` so each section and field is read once."""
    spec = tracer.spec if tracer else manifest_spec(manifest)
    section_id, _, field_name = figure["id"].split(":", 2)
    if section_id == "reconciliation":
        raise TraceError("reconciliation figures compare two totals; trace the pack's spend figures instead")
    section = next((s for s in spec.sections if s.id == section_id), None)
    if section is None:
        raise TraceError(f"the pack's spec has no section {section_id!r}")
    total = ":total:" in figure["id"]
    key = {} if total else (figure.get("key") or {})
    value = None if figure.get("value") is None else Decimal(str(figure["value"]))
    tracer = tracer or _Tracer(con, spec, manifest["period"])
    if total and section.kind(field_name) == "derived":
        trace = tracer.derived_total(section, field_name, value)
    else:
        trace = tracer.figure(section, key, field_name, value, row=None if total else tracer.row(section, key))
    trace.figure_id, trace.sheet, trace.cell = figure["id"], figure.get("sheet"), figure.get("cell")
    trace.files = tracer.files({c["sha256"] for c in _all_contributions(trace) if c.get("sha256")})
    if with_context:
        trace.context = _context(_all_contributions(trace))
    return trace


class _Tracer:
    """Reads a pack's rows and contributions for one period, each section's rows and each
    figure's contributions once (one query a section or field), so a pack's whole audit page
    costs a query per column, not per figure."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spec: PackSpec, period: str, whole_pack: bool = False):
        self.con, self.spec, self.period = con, spec, period
        self.whole_pack = whole_pack        # read a field's contributions for every row at once
        self._rows: dict[str, list[dict]] = {}
        self._contributions: dict[tuple[str, str], dict[str, list[dict]]] = {}
        self._columns: list[str] | None = None
        self._files: dict[str, dict] | None = None

    def files(self, shas: set[str]) -> list[dict]:
        """The landed files (with load) behind a figure's sources, by sha256."""
        if self._files is None:
            self._files = {sha: {"file": f, "sha256": sha, "landed": p, "load_id": load, "loaded_at": str(at)}
                           for f, sha, p, load, at in self.con.execute(
                               """select source_file, sha256, landed_path, load_id, loaded_at
                                  from returns.rpt_landed_files""").fetchall()}
        return sorted((self._files[s] for s in shas if s in self._files), key=lambda f: f["file"])

    def rows(self, section: Section) -> list[dict]:
        """The section's rows for the period, derived figures worked out as the pack does."""
        if section.id not in self._rows:
            cursor = self.con.execute(f"select * from returns.{section.model} where period = ?", [self.period])
            names = [d[0] for d in cursor.description]
            derived = {n: c.formula for n, c in section.derived.items()}
            rows = [dict(zip(names, found)) for found in cursor.fetchall()]
            for row in rows:
                row.update(formulas.derive(derived, row))
            self._rows[section.id] = rows
        return self._rows[section.id]

    def row(self, section: Section, key: dict) -> dict:
        for row in self.rows(section):
            if all(str(row[k]) == str(v) for k, v in key.items()):
                return row
        raise TraceError(f"returns.{section.model} has no row {key or 'for the period'} in {self.period}: "
                         f"the warehouse has changed since the pack was rendered; render it again")

    def contributions(self, section: Section, key: dict | None, field_name: str) -> list[dict]:
        """The contributions of one row's figure, or (key None) of the total over the rows shown."""
        if key is not None and not self.whole_pack and (section.id, field_name) not in self._contributions:
            return self._read(section, field_name, _row_key(section, key)).get(_row_key(section, key), [])
        if (section.id, field_name) not in self._contributions:
            self._contributions[(section.id, field_name)] = self._read(section, field_name)
        by_row = self._contributions[(section.id, field_name)]
        if key is not None:
            return list(by_row.get(_row_key(section, key), []))
        shown = [_row_key(section, {k: row[k] for k in section.key}) for row in self.rows(section)]
        return [c for row_key in shown for c in by_row.get(row_key, [])]

    def _read(self, section: Section, field_name: str, row_key: str | None = None) -> dict[str, list[dict]]:
        """Contribution rows by row key, as the trace shows them, with only the columns that say
        something for this figure (a police record has no plan priority)."""
        where = "period = ? and section = ? and field = ?" + (" and row_key = ?" if row_key is not None else "")
        params = [self.period, section.id, field_name] + ([row_key] if row_key is not None else [])
        model = f"returns.{self.spec.contributions_model}"
        if self._columns is None:
            self._columns = [d[0] for d in self.con.execute(f"select * from {model} limit 0").description]
        meaning = [c for c in self._columns if c not in PLACEMENT and c not in SOURCE_COLUMNS]
        counts = self.con.execute(f"select {', '.join(f'count({c})' for c in meaning)} from {model} where {where}",
                                  params).fetchone()
        said = [c for c, n in zip(meaning, counts) if n]
        select = ", ".join([f"{column} as {name}" for name, column in SHOWN_AS.items()]
                           + [c if c in TEXT_COLUMNS else f"cast({c} as varchar) as {c}" for c in said])
        cursor = self.con.execute(f"select row_key, {select} from {model} where {where} "
                                  f"order by source_file, source_locator, row_key", params)
        names = [d[0] for d in cursor.description][1:]
        by_row: dict[str, list[dict]] = {}
        for found in cursor.fetchall():
            by_row.setdefault(found[0], []).append(dict(zip(names, found[1:])))
        return by_row

    def figure(self, section: Section, key: dict, field_name: str, value: Decimal | None, row: dict | None) -> Trace:
        kind = section.kind(field_name)
        column = next((c for c in section.columns if c.field == field_name), None)
        trace = Trace(f"{section.id}:{'|'.join(str(v) for v in key.values()) or 'all'}:{field_name}",
                      self.spec.pack, self.period, None, None, value, section.id, section.model, key,
                      field_name, kind, not_available=column.why_not_available if column and value is None else None)
        if kind == "additive":
            trace.contributions = self.contributions(section, None if row is None else key, field_name)
        elif kind == "given":
            trace.given_from = (section.given or {})[field_name]
        else:
            trace.formula = section.derived[field_name].formula
            for name in formulas.names(trace.formula):
                trace.parts.append(self.figure(section, key, name, _decimal(row.get(name)), row))
        return trace

    def derived_total(self, section: Section, field_name: str, value: Decimal | None) -> Trace:
        column = section.derived[field_name]
        trace = Trace(f"{section.id}:total:{field_name}", self.spec.pack, self.period, None, None, value,
                      section.id, section.model, {}, field_name, "total", formula=f"sum of the rows' {column.header}",
                      not_available=column.why_not_available if value is None else None)
        self.whole_pack = True
        for row in self.rows(section):
            key = {k: row[k] for k in section.key}
            trace.parts.append(self.figure(section, key, field_name, _decimal(row[field_name]), row))
        return trace


def _row_key(section: Section, key: dict) -> str:
    return "|".join(str(key[k]) for k in section.key) if section.key else "all"


def tracer(con: duckdb.DuckDBPyConnection, manifest: dict) -> _Tracer:
    """A reader of one rendered pack's rows and contributions, for tracing many of its figures."""
    return _Tracer(con, manifest_spec(manifest), manifest["period"], whole_pack=True)


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _all_contributions(trace: Trace) -> list[dict]:
    found = list(trace.contributions)
    for part in trace.parts:
        found += _all_contributions(part)
    return found


def _context(contributions: list[dict]) -> list[dict]:
    """What the money served: ledger parts summed by agreement, stream, plan and priority."""
    served: dict[tuple, Decimal] = {}
    names = ("agreement_ref", "provider_name", "service_name", "stream_id", "plan_id", "plan_title",
             "priority_id", "priority_name")
    for c in contributions:
        if c["kind"] == "ledger line part":
            key = tuple(c.get(n) for n in names)
            served[key] = served.get(key, Decimal(0)) + Decimal(c["amount"])
    return [{**dict(zip(names, key)), "amount": str(amount)}
            for key, amount in sorted(served.items(), key=lambda kv: -kv[1])]


def trace_transaction(con: duckdb.DuckDBPyConnection, transaction_id: str, packs_root: Path) -> dict:
    """Which rendered pack figures a ledger line feeds (forward trace): the figures its parts add to,
    their totals, and the derived figures whose formulas read them."""
    parts = []
    models = [name for (name,) in con.execute(
        """select table_name from information_schema.tables
           where table_schema = 'returns' and table_name like 'rpt_%__contributions' order by table_name""").fetchall()]
    for model in models:
        pack = model.removeprefix("rpt_").removesuffix("__contributions").replace("_", "-")
        cursor = con.execute(f"""select period, section, row_key, field, amount, posting_date, line_amount,
                                        agreement_ref, journal_type, source_file, source_sha256, source_locator
                                 from returns.{model} where transaction_id = ?""", [transaction_id])
        parts += [(pack, *found) for found in cursor.fetchall()]
    if not parts:
        raise TraceError(f"no ledger transaction {transaction_id!r} adds to any pack figure in this warehouse "
                         f"(unknown, or spent from a stream no return reports)")
    feeds = []
    for manifest_path in sorted(packs_root.glob("*/*/manifest.json")):
        manifest = json.loads(manifest_path.read_text())
        spec = manifest_spec(manifest)
        by_place = {}
        for pack, period, section_id, row_key, field_name, amount, *_ in parts:
            if pack == manifest["pack"] and period == manifest["period"]:
                place = (section_id, row_key, field_name)       # a line split across priorities: add its parts
                by_place[place] = by_place.get(place, Decimal(0)) + amount
        if not by_place:
            continue
        for figure in manifest["figures"]:
            section_id, row_key, field_name = figure["id"].split(":", 2)
            section = next((s for s in spec.sections if s.id == section_id), None)
            if section is None:
                continue
            reads = _reads(section, field_name)
            hit = [(f, a) for (s, r, f), a in by_place.items()
                   if s == section_id and f in reads and (row_key == "total" or r == row_key)]
            if hit:
                feeds.append({"pack": manifest["pack"], "period": manifest["period"], "figure": figure["id"],
                              "sheet": figure["sheet"], "cell": figure["cell"],
                              "part": str(sum((a for f, a in hit if f == field_name), Decimal(0)))
                              if section.kind(field_name) == "additive" else None,
                              "through": sorted({f for f, _ in hit}) if section.kind(field_name) != "additive"
                              else None,
                              "folder": str(manifest_path.parent)})
    first = parts[0]
    return {"transaction_id": transaction_id, "posting_date": str(first[6]), "amount": str(first[7]),
            "agreement_ref": first[8], "journal_type": first[9], "file": first[10], "sha256": first[11],
            "locator": first[12], "feeds": feeds}


def _reads(section: Section, field_name: str) -> set[str]:
    """The additive figures a figure of the section is made from (itself, if it is one)."""
    if section.kind(field_name) != "derived":
        return {field_name}
    found: set[str] = set()
    for name in formulas.names(section.derived[field_name].formula):
        found |= _reads(section, name)
    return found


def _repo() -> Path:
    from dagster_project import settings
    return settings.REPO_ROOT


def format_trace(trace: Trace, indent: str = "") -> str:
    head = (f"{indent}Figure {trace.figure_id} in {trace.pack} {trace.period}"
            + (f" ({trace.sheet}!{trace.cell})" if trace.sheet else "") + f": {_shown(trace.value)}")
    lines = [head] if not indent else [f"{indent}{trace.field} = {_shown(trace.value)}"]
    if trace.value is None and trace.not_available:
        lines.append(f"{indent}  not available: {trace.not_available}")
    if not indent:
        lines.append(f"  model returns.{trace.model}, row {trace.key or 'all rows'}, column {trace.field}")
    if trace.kind == "additive":
        lines.append(f"{indent}  the sum of {len(trace.contributions)} contributions: {_shown(trace.traced_total)}"
                     + ("  (matches the figure)" if trace.reconciles else "  (DOES NOT MATCH THE FIGURE)"))
        shown = 5 if indent else 40          # a part of a formula lists its first few sources
        for c in trace.contributions[:shown]:
            lines.append(f"{indent}    " + _contribution_line(c))
        if len(trace.contributions) > shown:
            lines.append(f"{indent}    ... and {len(trace.contributions) - shown} more (--format json lists all)")
    elif trace.kind == "given":
        lines.append(f"{indent}  given: {trace.given_from}")
    else:
        lines.append(f"{indent}  = {trace.formula} = {_shown(trace.traced_total)}"
                     + ("  (matches the figure)" if trace.reconciles else "  (DOES NOT MATCH THE FIGURE)"))
        for part in trace.parts:
            lines.append(format_trace(part, indent + "    "))
    if not indent:
        if trace.context:
            lines.append("  serves:")
            for c in trace.context[:15]:
                what = (f"{c['agreement_ref']} {c['provider_name']} / {c['service_name']}" if c["agreement_ref"]
                        else "spend with no agreement")
                plan = (f"plan {c['plan_title']} - priority {c['priority_name']}" if c["priority_id"]
                        else "no plan priority")
                lines.append(f"    {what}: stream {c['stream_id']}, {plan}: £{c['amount']}")
        lines.append("  landed files:")
        lines += [f"    {f['file']}  sha256 {f['sha256']}  ({f['landed']}, load {f['load_id']})" for f in trace.files]
    return "\n".join(lines)


def _shown(value) -> str:
    return "not available" if value is None else str(value)


def _contribution_line(c: dict) -> str:
    if c["kind"] == "ledger line part":
        return (f"{c.get('transaction_id')} {c.get('posting_date')} {c.get('journal_type')} £{c['amount']} "
                f"(of £{c.get('line_amount')}) {c.get('stream_id')} {c.get('agreement_ref') or '-'} "
                f"{c.get('priority_id') or '-'}  {c['file']} {c['locator']}")
    if c["kind"] == "provider return cell":
        return f"{c['file']} {c['locator']} = {c['amount']}  ({c.get('detail')})"
    return f"{c['kind']}: {c['amount']}  {c.get('detail') or ''}  {c['file']} {c['locator']}"
