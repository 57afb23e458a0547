"""Pack specs: YAML under ``reports/packs/<pack>/``, one file per template version.

A spec maps each section of a government return to an ``rpt_`` model and its columns. The
spec used for a period is the one whose ``valid_from``/``valid_to`` cover it, so a new
template version is a new file and old periods keep rendering with their old spec.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from dagster_project import settings
from dagster_project.packs import formulas

PACKS_DIR = settings.REPORTS_DIR / "packs"
PERIOD = re.compile(r"^(20\d{2}-\d{2})-(Q[1-4]|H[12])$")
FORMATS = ("money", "count", "percent", "number", None)
COLUMN_KEYS = {"field", "header", "format", "text_from_provider", "formula", "not_available"}


class SpecError(ValueError):
    pass


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    format: str | None = None
    text_from_provider: bool = False
    formula: str | None = None            # a derived figure: formula over named figures (packs.formulas)
    not_available: str | None = None      # why the figure can be missing, said where it would stand

    @property
    def why_not_available(self) -> str:
        """What the pack says where this column's figure is missing."""
        return self.not_available or "there is nothing behind it for the period"


@dataclass(frozen=True)
class WarningRule:
    """A funder's rule a row must keep: when ``when`` holds (a comparison of formulas over the
    row's figures, ``packs.formulas``) the pack warns with ``message``, its ``{names}`` filled from
    the row. A warning does not block the pack."""
    id: str
    when: str
    message: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    model: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    order: tuple[str, ...] = ()
    totals: tuple[str, ...] = ()
    chart: dict | None = None
    given: dict | None = None         # name -> where a non-additive value a formula reads comes from
    warnings: tuple[WarningRule, ...] = ()

    @property
    def derived(self) -> dict[str, Column]:
        """The section's derived figures (columns with a formula), by field."""
        return {c.field: c for c in self.columns if c.formula}

    def kind(self, name: str) -> str:
        """How a figure of this section is made: ``derived``, ``given`` or ``additive`` (a sum of contributions)."""
        return "derived" if name in self.derived else "given" if name in (self.given or {}) else "additive"


@dataclass(frozen=True)
class PackSpec:
    pack: str
    title: str
    funder: str
    frequency: str
    template_version: str
    valid_from: str
    valid_to: str | None
    sections: tuple[Section, ...]
    reconciliation_model: str
    reconciliation_key: tuple[str, ...]
    signoff: tuple[str, ...]
    notes: str
    path: Path = field(compare=False)

    @property
    def period_type(self) -> str:
        return "half" if self.frequency == "half-yearly" else "quarter"

    def covers(self, period: str) -> bool:
        return self.valid_from <= period and (self.valid_to is None or period <= self.valid_to)

    @property
    def contributions_model(self) -> str:
        """The pack's contribution grain: every source item of every additive figure."""
        return "rpt_" + self.pack.replace("-", "_") + "__contributions"

    @property
    def models(self) -> list[str]:
        return [s.model for s in self.sections] + [self.reconciliation_model, self.contributions_model]


def parse_period(period: str) -> tuple[str, str]:
    match = PERIOD.match(period or "")
    if not match:
        raise SpecError(f"{period!r} is not a period like 2024-25-Q3 or 2024-25-H1")
    return match.group(1), match.group(2)


def load_spec(path: Path) -> PackSpec:
    """The pack template version at ``path``, checked. Read again only when the file changes (a
    refresh asks for each pack's spec for every period it renders or checks)."""
    stat = path.stat()
    return _load_spec(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load_spec(path: Path, mtime_ns: int, size: int) -> PackSpec:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))

    def need(mapping: dict, key: str, where: str):
        if key not in mapping:
            raise SpecError(f"{path}: {where}{key}: missing")
        return mapping[key]

    sections = []
    for i, s in enumerate(need(doc, "sections", "")):
        where = f"sections[{i}]."
        columns = []
        for j, c in enumerate(need(s, "columns", where)):
            unknown = set(c) - COLUMN_KEYS
            if unknown:    # e.g. an unquoted comma in a flow mapping cuts a reason short into a new key
                raise SpecError(f"{path}: {where}columns[{j}]: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                                f"expected {', '.join(sorted(COLUMN_KEYS))} (quote text that has a comma)")
            if c.get("format") not in FORMATS:
                raise SpecError(f"{path}: {where}columns[{j}].format: {c.get('format')!r} is not one of "
                                f"money, count, percent, number")
            if c.get("formula"):
                try:
                    formulas.parse(str(c["formula"]))
                except formulas.FormulaError as exc:
                    raise SpecError(f"{path}: {where}columns[{j}].formula: {exc}") from None
            columns.append(Column(need(c, "field", f"{where}columns[{j}]."), need(c, "header", f"{where}columns[{j}]."),
                                  c.get("format"), bool(c.get("text_from_provider")),
                                  str(c["formula"]) if c.get("formula") else None, c.get("not_available")))
        if "trace" in s:
            raise SpecError(f"{path}: {where}trace: figures are traced from the pack's contributions; "
                            f"remove the trace recipe (a derived figure gives a formula on its column)")
        rules = []
        for j, w in enumerate(s.get("warnings") or ()):
            rule = WarningRule(need(w, "id", f"{where}warnings[{j}]."), str(need(w, "when", f"{where}warnings[{j}].")),
                               str(need(w, "message", f"{where}warnings[{j}].")))
            try:
                formulas.parse_condition(rule.when)
            except formulas.FormulaError as exc:
                raise SpecError(f"{path}: {where}warnings[{j}].when: {exc}") from None
            rules.append(rule)
        sections.append(Section(need(s, "id", where), need(s, "title", where), need(s, "model", where),
                                tuple(s.get("key") or ()), tuple(columns), tuple(s.get("order") or ()),
                                tuple(s.get("totals") or ()), s.get("chart"), s.get("given"), tuple(rules)))
    recon = need(doc, "reconciliation", "")
    spec = PackSpec(
        pack=need(doc, "pack", ""), title=need(doc, "title", ""), funder=need(doc, "funder", ""),
        frequency=need(doc, "frequency", ""), template_version=need(doc, "template_version", ""),
        valid_from=str(need(doc, "valid_from", "")), valid_to=str(doc["valid_to"]) if doc.get("valid_to") else None,
        sections=tuple(sections), reconciliation_model=need(recon, "model", "reconciliation."),
        reconciliation_key=tuple(recon.get("key") or ()), signoff=tuple(doc.get("signoff") or ()),
        notes=str(doc.get("notes") or "").strip(), path=path,
    )
    parse_period(spec.valid_from)
    return spec


def available_packs() -> list[str]:
    return sorted(p.name for p in PACKS_DIR.iterdir() if p.is_dir())


def spec_for(pack: str, period: str) -> PackSpec:
    parse_period(period)
    folder = PACKS_DIR / pack
    if not folder.is_dir():
        raise SpecError(f"unknown pack {pack!r}; packs: {', '.join(available_packs())}")
    specs = [load_spec(p) for p in sorted(folder.glob("*.yml"))]
    matching = [s for s in specs if s.covers(period)]
    if not matching:
        raise SpecError(f"no {pack} template version covers {period} (versions: "
                        + ", ".join(f"{s.template_version} from {s.valid_from}" for s in specs) + ")")
    spec = max(matching, key=lambda s: s.valid_from)
    suffix = "H" if spec.period_type == "half" else "Q"
    if parse_period(period)[1][0] != suffix:
        raise SpecError(f"{pack} is {spec.frequency}: give a period like 2024-25-{suffix}1")
    return spec
