"""Render a return pack: ``<pack>.xlsx``, ``<pack>.html``, ``<pack>.pdf`` and ``manifest.json``.

The pack reads only its ``rpt_`` models. Every figure gets a lineage id
(``<section>:<row key>:<field>``) recorded in the manifest with its sheet and cell, so an
auditor can trace it (``pccw trace``). Nothing is rendered when the gate fails, unless an
override reason is given; the reason goes into the manifest and onto the cover.
"""
from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import duckdb

from dagster_project import settings, warehouse
from dagster_project.packs import charts, formulas, gate as gate_mod
from dagster_project.packs.spec import PackSpec, Section, spec_for
from dagster_project.packs.formats import NOT_AVAILABLE, format_value
from dagster_project.packs.warnings import section_warnings
from dagster_project.safe_text import set_text
from dagster_project.tenants import Tenant
from dagster_project.xlsx_files import save_workbook

MONEY_FORMAT = '"£"#,##0.00;[Red]-"£"#,##0.00'


class PackBlocked(RuntimeError):
    def __init__(self, pack: str, period: str, failures: list[str]):
        self.failures = failures
        super().__init__(f"{pack} {period} not rendered: a blocking check failed:\n  - " + "\n  - ".join(failures)
                         + "\nFix the data and run again, or render with --override-reason \"...\" to record why.")


@dataclass
class SectionData:
    section: Section
    rows: list[dict]
    totals: dict[str, Decimal | None] = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)   # the funders' rules its rows break (packs.warnings)

    @property
    def unavailable(self) -> list[tuple[str, str]]:
        """(column header, why) for each column with a figure that is not available."""
        return [(c.header, c.why_not_available) for c in self.section.columns
                if c.format and (any(r.get(c.field) is None for r in self.rows)
                                 or (c.field in self.totals and self.totals[c.field] is None))]


def out_dir(tenant: str, pack: str, period: str) -> Path:
    return settings.reports_out() / tenant / pack / period


def fetch(con: duckdb.DuckDBPyConnection, model: str, period: str, order: tuple[str, ...] = ()) -> list[dict]:
    order_by = " order by " + ", ".join(order) if order else ""
    cursor = con.execute(f"select * from returns.{model} where period = ?{order_by}", [period])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def section_rows(con: duckdb.DuckDBPyConnection, section: Section, period: str) -> list[dict]:
    """The rows a section prints: its ``rpt_`` model's rows for the period, with each derived
    figure worked out from its formula in the spec (``packs.formulas``)."""
    rows = fetch(con, section.model, period, section.order)
    derived = {name: col.formula for name, col in section.derived.items()}
    if derived:
        for row in rows:
            row.update(formulas.derive(derived, row))
    return rows


def section_totals(section: Section, rows: list[dict]) -> dict[str, Decimal | None]:
    """Each total the section prints: the sum of its rows, not available when a row's figure is not."""
    totals = {}
    for name in section.totals:
        values = [row.get(name) for row in rows]
        # No rows: nothing to add up, which is not the same as adding up to 0.
        totals[name] = None if not values or any(v is None for v in values) else sum(values, Decimal(0))
    return totals


def row_key(key: tuple[str, ...], row: dict) -> str:
    """A row's part of its lineage ids: its key values joined by '|', or 'all' for a one-row section."""
    return "|".join(str(row[k]) for k in key) or "all"


def lineage_id(section: str, key: tuple[str, ...], row: dict, field_name: str) -> str:
    return f"{section}:{row_key(key, row)}:{field_name}"


@dataclass
class PackRead:
    """What a pack would show, read from the warehouse in one go: the gate's verdict, the rows of each
    section, the reconciliation, and the landed files the build holds (with when the latest landed)."""
    gate: gate_mod.Gate
    sections: list[SectionData]
    reconciliation: list[dict]
    inputs: list[tuple]
    data_as_of: object


def read_pack(con: duckdb.DuckDBPyConnection, spec: PackSpec, period: str) -> PackRead:
    """Everything a pack for ``period`` shows, from one connection."""
    inputs, data_as_of = built_inputs(con)
    return PackRead(gate_mod.evaluate(con, spec, period),
                    [SectionData(s, section_rows(con, s, period)) for s in spec.sections],
                    fetch(con, spec.reconciliation_model, period, spec.reconciliation_key), inputs, data_as_of)


def render_pack(tenant: Tenant, pack: str, period: str, override_reason: str | None = None,
                out: Path | None = None, as_of: str | None = None, draft: bool = False) -> Path:
    """Render one pack. ``as_of`` (a load id or a date) renders it from the warehouse as it stood then.
    ``draft``: the period has not ended; the pack says DRAFT on its cover and heading and goes to
    ``<period>_draft`` beside the packs due, never in place of one.

    The rendering is written into a folder beside the pack's and swapped in whole: a reader never
    sees half a pack, a killed rendering leaves the previous one in place, and the audit page of
    the previous rendering is made again for the new figures. Figures that differ from the
    previous rendering are listed in the manifest (``changes``) and on a Changes sheet."""
    spec = spec_for(pack, period)
    if as_of:
        from dagster_project.lineage.as_of import build_as_of
        warehouse_file = build_as_of(tenant, as_of)
        out = out or out_dir(tenant.slug, pack, period).with_name(f"{period}_as_of_{warehouse_file.parent.name}")
        con = warehouse.open_reader_at(warehouse_file)
        try:
            read = read_pack(con, spec, period)
        finally:
            con.close()
    else:
        read, warehouse_file = _read_latest(tenant, spec, period)
    return _render(tenant, spec, period, read, warehouse_file, override_reason, out, as_of, draft)


def _read_latest(tenant: Tenant, spec: PackSpec, period: str) -> tuple[PackRead, Path]:
    """What the pack shows from the tenant's latest data (``warehouse.current``), and that file."""
    warehouse_file = warehouse.current(tenant.slug)
    con = warehouse.open_reader(tenant.slug)
    try:
        return read_pack(con, spec, period), warehouse_file
    finally:
        con.close()


def _render(tenant: Tenant, spec: PackSpec, period: str, read: PackRead, warehouse_file: Path,
            override_reason: str | None = None, out: Path | None = None, as_of: str | None = None,
            draft: bool = False) -> Path:
    gate, sections = read.gate, read.sections
    if not gate.passed and not override_reason:
        raise PackBlocked(spec.pack, period, gate.failures)
    digest = inputs_digest(spec, sections, read.reconciliation, gate, override_reason if not gate.passed else None)
    for data in sections:
        data.totals = section_totals(data.section, data.rows)
        data.warnings = section_warnings(data.section, data.rows, lambda row, key=data.section.key: row_key(key, row))
    folder = out or out_dir(tenant.slug, spec.pack, period).with_name(period + ("_draft" if draft else ""))
    with _pack_lock(folder):
        return _render_into(folder, tenant, spec, spec.pack, period, sections, read.reconciliation, gate,
                            override_reason, read.inputs, read.data_as_of, digest, warehouse_file, as_of, draft)


@contextlib.contextmanager
def _pack_lock(folder: Path):
    """One rendering of a pack folder at a time (a refresh and a `pccw packs render` may meet here)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _render_into(folder: Path, tenant: Tenant, spec: PackSpec, pack: str, period: str, sections, reconciliation,
                 gate, override_reason, inputs, data_as_of, digest, warehouse_file: Path, as_of, draft: bool) -> Path:
    previous = read_manifest(folder)
    staging = folder.with_name(f".{folder.name}.rendering-{os.getpid()}")
    clear_dead_renderings(folder)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        context = {"tenant": tenant, "spec": spec, "period": period, "sections": sections,
                   "reconciliation": reconciliation, "override_reason": override_reason if not gate.passed else None,
                   "gate": gate, "as_of": data_as_of_text(tenant, inputs, data_as_of), "changes": [],
                   "previous": previous, "draft": draft}
        context["changes"] = changed_figures(previous, figure_values(spec, sections))
        figures = write_xlsx(staging / f"{pack}.xlsx", context)
        placed = {f["id"]: f for f in figures}
        for change in context["changes"]:     # where each changed figure now stands (gone ones: where it stood)
            if change["id"] in placed:
                change["sheet"], change["cell"] = placed[change["id"]]["sheet"], placed[change["id"]]["cell"]
        html = render_html(context)
        (staging / f"{pack}.html").write_text(html, encoding="utf-8")
        write_pdf(staging / f"{pack}.pdf", html)
        manifest = {
            "pack": pack, "title": spec.title, "period": period, "tenant": tenant.slug,
            "template_version": spec.template_version, "spec": str(spec.path.relative_to(settings.REPO_ROOT)),
            "rendered_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            # The latest load the figures hold; rendered_as_of says the pack was asked for as of then.
            "as_of_load": max((load for *_, load in inputs if load), default=None),
            "rendered_as_of": warehouse_file.parent.name if as_of else None,
            "warehouse": str(warehouse_file),
            "data_as_of": data_as_of.isoformat(sep=" ") if data_as_of else None,
            "inputs_digest": digest,
            "draft": draft,
            "code_version": code_version(),
            "dbt_invocation_id": gate.invocation_id,
            "checks": gate.checks,
            "blocking_failures": gate.failures,
            "override_reason": override_reason if not gate.passed else None,
            "inputs": [{"family": f, "file": name, "sha256": sha, "load_id": load} for f, name, sha, load in inputs],
            "figures": figures,
            "previous_rendered_at": previous.get("rendered_at") if previous else None,
            "changes": context["changes"],
            "warnings": [w for data in sections for w in data.warnings],
            "outputs": {},
        }
        for name in (f"{pack}.xlsx", f"{pack}.html", f"{pack}.pdf"):
            manifest["outputs"][name] = hashlib.sha256((staging / name).read_bytes()).hexdigest()
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
        if (folder / "audit.html").exists():
            from dagster_project.lineage.audit_page import write_audit_page
            write_audit_page(staging, warehouse_file)
        swap_in(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def data_as_of_text(tenant: Tenant, inputs: list[tuple], loaded_at) -> str:
    """What the cover says the figures are as of: the reporting date, and the load they were built
    from with when it landed (to the minute, UTC)."""
    load = max((load for *_, load in inputs if load), default=None)
    text = f"reporting date {tenant.reporting_date:%-d %B %Y}"
    if load:
        text += f"; built from load {load}"
        if loaded_at:
            text += f", landed {loaded_at:%-d %B %Y %H:%M} UTC"
    return text


def built_inputs(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], object]:
    """The landed files the latest dbt build holds (``returns.rpt_landed_files``: not files landed since,
    whose rows are in raw but not yet in the models a pack reads), and when the latest of them landed."""
    inputs = con.execute("""select family, source_file, sha256, load_id from returns.rpt_landed_files
                            order by family, source_file""").fetchall()
    data_as_of = con.execute("select max(loaded_at) from returns.rpt_landed_files").fetchone()[0]
    return inputs, data_as_of


def pack_state(tenant: Tenant, pack: str, period: str) -> tuple[str, str]:
    """Whether the rendered pack shows what the warehouse holds now: ``current``, ``stale`` (with
    why), ``missing`` or ``blocked``. Asks the same questions :func:`render_pack` does, renders nothing."""
    spec = spec_for(pack, period)
    read, _ = _read_latest(tenant, spec, period)
    return _state(tenant, spec, period, read)


def _state(tenant: Tenant, spec: PackSpec, period: str, read: PackRead) -> tuple[str, str]:
    manifest = read_manifest(out_dir(tenant.slug, spec.pack, period))
    if not read.gate.passed and not (manifest and manifest.get("override_reason")):
        why = "; ".join(read.gate.failures[:2])
        return ("blocked", f"a blocking check fails ({why})" + (", and the rendered pack is older than the data"
                                                                if manifest else ""))
    if manifest is None:
        return "missing", "not rendered yet"
    digest = inputs_digest(spec, read.sections, read.reconciliation, read.gate, manifest.get("override_reason"))
    if manifest.get("inputs_digest") != digest:
        return "stale", f"rendered {manifest.get('rendered_at')}; its figures, checks or template changed since"
    return "current", f"rendered {manifest.get('rendered_at')}"


def render_if_changed(tenant: Tenant, pack: str, period: str) -> Path | None:
    """Render the pack when what it would show differs from its rendering (or there is none); else None.
    What it shows is read once, for the question and the rendering."""
    spec = spec_for(pack, period)
    read, warehouse_file = _read_latest(tenant, spec, period)
    state, _ = _state(tenant, spec, period, read)
    if state == "current":
        return None
    return _render(tenant, spec, period, read, warehouse_file)


RENDERER_FILES = (Path(__file__), Path(__file__).with_name("charts.py"), Path(__file__).with_name("formulas.py"),
                  Path(__file__).with_name("warnings.py"), Path(__file__).with_name("formats.py"),
                  settings.REPORTS_DIR / "templates" / "pack.html.j2")


def inputs_digest(spec: PackSpec, sections: list[SectionData], reconciliation: list[dict], gate, override) -> str:
    """What a rendering depends on: the template version's spec, every row it prints, its
    reconciliation, the verdict of every check on its inputs, and the code that draws it."""
    digest = hashlib.sha256()
    for path in (spec.path, *RENDERER_FILES):
        digest.update(path.read_bytes())
    payload = {"sections": {d.section.id: d.rows for d in sections}, "reconciliation": reconciliation,
               "checks": sorted((c["check"], c["kind"], c["status"], c.get("failures")) for c in gate.checks),
               "failures": gate.failures, "override": override}
    digest.update(json.dumps(payload, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def figure_values(spec: PackSpec, sections: list[SectionData]) -> dict[str, str]:
    """Every figure's lineage id and value as the pack will print it (rows and totals)."""
    values = {}
    for data in sections:
        s = data.section
        for row in data.rows:
            for col in s.columns:
                if col.format and row.get(col.field) is not None:
                    values[lineage_id(s.id, s.key, row, col.field)] = str(row[col.field])
        for name, total in data.totals.items():
            values[f"{s.id}:total:{name}"] = str(total)
    return values


def changed_figures(previous: dict | None, now: dict[str, str]) -> list[dict]:
    """Figures whose value differs from the previous rendering, or that appeared or went."""
    if not previous:
        return []
    # The reconciliation is a check beside the return, not a figure of it.
    before = {f["id"]: f for f in previous.get("figures", []) if not f["id"].startswith("reconciliation:")}
    changes = []
    for fid in sorted(set(before) | set(now)):
        was = before[fid]["value"] if fid in before else None
        is_now = now.get(fid)
        if was != is_now and not _same_number(was, is_now):
            changes.append({"id": fid, "sheet": before.get(fid, {}).get("sheet"), "cell": before.get(fid, {}).get("cell"),
                            "was": was, "now": is_now})
    return changes


def _same_number(a: str | None, b: str | None) -> bool:
    try:
        return a is not None and b is not None and Decimal(a) == Decimal(b)
    except ArithmeticError:
        return False


def swap_in(staging: Path, folder: Path) -> None:
    """Put a finished rendering in place of the old one with two renames. Between them the pack's
    folder is missing for an instant; a process killed there leaves the old rendering as
    ``.<period>.replaced-<pid>``, which :func:`clear_dead_renderings` puts back."""
    old = folder.with_name(f".{folder.name}.replaced-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.replace(old)
    staging.replace(folder)
    shutil.rmtree(old, ignore_errors=True)


def clear_dead_renderings(folder: Path) -> None:
    """Remove half-written renderings of this pack left by processes that died; a previous
    rendering moved aside by a process killed mid-swap is put back."""
    if not folder.parent.exists():
        return
    for leftover in sorted(folder.parent.glob(f".{folder.name}.*-*")):
        pid = leftover.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or (int(pid) != os.getpid() and warehouse.process_alive(int(pid))):
            continue            # another living process is rendering (this one's leftovers are dead)
        if ".replaced-" in leftover.name and not folder.exists():
            leftover.replace(folder)
        else:
            shutil.rmtree(leftover, ignore_errors=True)



@lru_cache(maxsize=1)
def code_version() -> str:
    """The code that rendered a pack; asked of git once per process (twenty packs: forty git calls)."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
                             cwd=settings.REPO_ROOT, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, cwd=settings.REPO_ROOT, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha, dirty = "", ""
    from importlib.metadata import version
    return f"pccw {version('pccw')}" + (f" git {sha}{'+changes' if dirty else ''}" if sha else "")


def write_xlsx(path: Path, context: dict) -> list[dict]:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    spec: PackSpec = context["spec"]
    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F0")
    figures: list[dict] = []
    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    lines = [(spec.title, None), ("Organisation", context["tenant"].name), ("Period", context["period"]),
             ("Template version", spec.template_version), ("Funder", spec.funder),
             ("Data as of", str(context["as_of"] or ""))]
    if context.get("draft"):
        lines.insert(1, ("DRAFT", "The period has not ended: figures are incomplete. Not for submission."))
    if context["changes"]:
        lines.append(("Changed since last rendered", f"{len(context['changes'])} figure(s) differ from the rendering of "
                      f"{context['previous'].get('rendered_at')}: see the Changes sheet"))
    lines += [(f"Warning ({w['section'].replace('_', ' ')})", w["message"])
              for data in context["sections"] for w in data.warnings]
    if context["override_reason"]:
        lines.append(("RENDERED DESPITE FAILED CHECKS", context["override_reason"]))
        lines += [("Failed check", f) for f in context["gate"].failures]
    for r, (label, value) in enumerate(lines, start=1):
        cover.cell(row=r, column=1, value=label).font = Font(
            bold=True, size=14 if r == 1 else 11,
            color="C00000" if label.startswith(("RENDERED", "DRAFT", "Warning")) else None)
        if value is not None:
            set_text(cover.cell(row=r, column=2), value)
    cover.column_dimensions["A"].width, cover.column_dimensions["B"].width = 34, 70

    def table(ws, title, columns, rows, key, section_id, totals=None):
        ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=12)
        for c, col in enumerate(columns, start=1):
            cell = ws.cell(row=3, column=c, value=col.header)
            cell.font, cell.fill, cell.alignment = bold, head_fill, Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions[get_column_letter(c)].width = 18 if col.format else 34
        for r, row in enumerate(rows, start=4):
            for c, col in enumerate(columns, start=1):
                cell = ws.cell(row=r, column=c)
                value = row.get(col.field)
                if col.format and value is not None:
                    cell.value = float(value) if col.format in ("money", "percent", "number") else int(value)
                    cell.number_format = {"money": MONEY_FORMAT, "percent": "0.0%", "count": "#,##0",
                                          "number": "#,##0.0#"}[col.format]
                    figures.append({"id": lineage_id(section_id, key, row, col.field), "sheet": ws.title,
                                    "cell": cell.coordinate, "value": str(value), "field": col.field,
                                    "key": {k: row[k] for k in key}})
                elif col.format:
                    not_available(cell, col)
                    figures.append({"id": lineage_id(section_id, key, row, col.field), "sheet": ws.title,
                                    "cell": cell.coordinate, "value": None, "field": col.field,
                                    "key": {k: row[k] for k in key}, "not_available": col.why_not_available})
                else:
                    set_text(cell, value)
        if totals:
            r = 4 + len(rows)
            ws.cell(row=r, column=1, value="Total").font = bold
            for c, col in enumerate(columns, start=1):
                if col.field in totals and totals[col.field] is None:
                    cell = ws.cell(row=r, column=c)
                    not_available(cell, col)
                    cell.font = bold
                    figures.append({"id": f"{section_id}:total:{col.field}", "sheet": ws.title,
                                    "cell": cell.coordinate, "value": None, "field": col.field, "key": {},
                                    "not_available": col.why_not_available})
                elif col.field in totals:
                    cell = ws.cell(row=r, column=c, value=float(totals[col.field]))
                    cell.font, cell.number_format = bold, MONEY_FORMAT if col.format == "money" else "#,##0"
                    figures.append({"id": f"{section_id}:total:{col.field}", "sheet": ws.title,
                                    "cell": cell.coordinate, "value": str(totals[col.field]), "field": col.field,
                                    "key": {}})
        ws.freeze_panes = "A4"
        ws.print_title_rows = "3:3"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True

    for data in context["sections"]:
        s = data.section
        ws = wb.create_sheet(s.id.replace("_", " ").title()[:31])
        table(ws, s.title, s.columns, data.rows, s.key, s.id, data.totals)
        if data.warnings:     # row 2, between the title and the header row, so the table stays a table
            cell = ws.cell(row=2, column=1)
            set_text(cell, "\n".join(f"Warning: {w['message']}" for w in data.warnings))
            cell.font, cell.alignment = Font(bold=True, color="C00000"), Alignment(wrap_text=True, vertical="top")
            ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(len(s.columns), 1))
            ws.row_dimensions[2].height = 30 * len(data.warnings)
    from dagster_project.packs.spec import Column
    recon_columns = (Column("stream_id", "Stream"), Column("reported_spend", "Spend reported", "money"),
                     Column("ledger_spend", "Ledger spend", "money"),
                     Column("booked_to_stream_cost_centres", "Booked to stream cost centres", "money"),
                     Column("attributed_from_other_cost_centres", "Attributed from other cost centres", "money"),
                     Column("attributed_to_other_streams", "Attributed to other streams", "money"),
                     Column("difference", "Difference", "money"), Column("status", "Status"),
                     Column("explanation", "Explanation"))
    table(wb.create_sheet("Reconciliation"), "Reconciliation: spend reported against the ledger", recon_columns,
          context["reconciliation"], spec.reconciliation_key, "reconciliation")
    signoff = wb.create_sheet("Sign-off")
    signoff["A1"], signoff["A1"].font = "Sign-off", Font(bold=True, size=12)
    for c, header in enumerate(("Role", "Name", "Signature", "Date"), start=1):
        cell = signoff.cell(row=3, column=c, value=header)
        cell.font, cell.fill = bold, head_fill
    for r, role in enumerate(spec.signoff, start=4):
        signoff.cell(row=r, column=1, value=role)
    for col, width in zip("ABCD", (28, 30, 30, 16)):
        signoff.column_dimensions[col].width = width
    notes = wb.create_sheet("Notes")
    notes["A1"], notes["A1"].font = "Notes", Font(bold=True, size=12)
    notes["A3"] = spec.notes
    notes["A3"].alignment = Alignment(wrap_text=True, vertical="top")
    notes.column_dimensions["A"].width = 120
    if context["changes"]:
        from dagster_project.packs.spec import Column
        change_columns = (Column("id", "Figure (lineage id)"), Column("was", "Was"), Column("now", "Now"))
        rows = [{**c, "was": c["was"] if c["was"] is not None else "(not shown)",
                 "now": c["now"] if c["now"] is not None else "(no longer shown)"} for c in context["changes"]]
        changes_sheet = wb.create_sheet("Changes")
        table(changes_sheet, f"Figures changed since the rendering of {context['previous'].get('rendered_at')}",
              change_columns, rows, (), "changes")
    save_workbook(wb, path)
    return figures


def not_available(cell, col) -> None:
    """A figure with nothing behind it: said in words, with the reason as the cell's note."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment

    cell.value = NOT_AVAILABLE
    cell.alignment = Alignment(horizontal="right")
    cell.comment = Comment(f"Not available: {col.why_not_available}", "pccw")


def render_html(context: dict) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(settings.REPORTS_DIR / "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["fmt"] = format_value
    images = {}
    for data in context["sections"]:
        chart = data.section.chart
        if chart and data.rows:
            svg, alt = charts.bar_chart(data.rows, chart, format_value)
            images[data.section.id] = {"src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
                                       "alt": alt, "title": chart["title"]}
    return env.get_template("pack.html.j2").render(**context, charts=images)


def write_pdf(path: Path, html: str) -> None:
    import logging

    from xhtml2pdf import pisa

    logging.getLogger("xhtml2pdf").setLevel(logging.ERROR)
    with open(path, "wb") as fh:
        result = pisa.CreatePDF(html, dest=fh, encoding="utf-8")
    if result.err:
        raise RuntimeError(f"PDF rendering failed for {path.name} ({result.err} errors)")
