"""A pack's warnings: the funders' rules each section declares (``warnings:`` in the pack spec),
checked against the figures the pack prints.

A warning does not block the pack. It is printed on the cover and under its section, listed in
the manifest, and reported by the pack asset's ``funder_rules`` asset check in Dagster.
"""
from __future__ import annotations

import re

from dagster_project.packs import formulas
from dagster_project.packs.formats import format_value
from dagster_project.packs.spec import Section

PLACEHOLDER = re.compile(r"\{(\w+)(?::(money|percent|count|number))?\}")
def section_warnings(section: Section, rows: list[dict], row_id) -> list[dict]:
    """Each rule of the section that a row breaks: rule, section, row (its lineage key), message.
    ``row_id(row)`` gives the row's key as lineage ids write it. A rule whose figures are not
    available is not judged."""
    formats = {c.field: c.format for c in section.columns}
    found = []
    for rule in section.warnings:
        for row in rows:
            values = {n: row.get(n) for n in formulas.condition_names(rule.when)}
            missing = [n for n in values if n not in row]
            if missing:
                raise formulas.FormulaError(f"warning {rule.id} of section {section.id} reads "
                                            f"{', '.join(missing)}, which the row does not have")
            if formulas.holds(rule.when, values):
                message = PLACEHOLDER.sub(lambda m: _fill(m.group(1), m.group(2), row, formats, rule), rule.message)
                found.append({"rule": rule.id, "section": section.id, "row": row_id(row), "message": message})
    return found


def _fill(name: str, fmt: str | None, row: dict, formats: dict, rule) -> str:
    """``{name}`` in the column's format, or ``{name:money}`` (percent, count, number) for a value
    that is not a column of the section."""
    if name not in row:
        raise formulas.FormulaError(f"warning {rule.id}'s message names {{{name}}}, which the row does not have")
    return format_value(row[name], fmt or formats.get(name))
