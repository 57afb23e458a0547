"""An attacker's attempt to undo disclosure control: solve a published table for its hidden cells.

A published table is one characteristic (or any table of counts) with its total published. The
attacker is the strongest the rule is meant to withstand: it knows the published total, every visible
count, which hidden cells were primary-suppressed (so each lies in 1..N), and any published share
(count / a base), from which the base (the people the shares are of) follows. Each other hidden cell
lies in 0..(the hidden sum). With the hidden cells split by whether they count in the base, each part
has a known sum when shares are published (one part, the whole table, when not); a cell's feasible
values under a box and a known sum are exactly [max(lo, S - sum of the others' highs),
min(hi, S - sum of the others' lows)], and the table is safe when no hidden cell's range is a single
value. Later published outputs can reuse :func:`exposed_cells` on their own tables.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    """One published cell: its name, its count (None when hidden), whether the attacker knows it was
    primary-suppressed (a count of 1..N), and whether it counts in the base the shares are of."""

    name: str
    count: int | None
    primary: bool = False
    in_share_base: bool = True


def feasible_ranges(cells: list[Cell], hidden_sum: int, max_suppressed: int) -> dict[str, tuple[int, int]]:
    """Each hidden cell's feasible range given that the hidden cells add up to ``hidden_sum``."""
    hidden = [c for c in cells if c.count is None]
    bounds = {c.name: (1, max_suppressed) if c.primary else (0, max(hidden_sum, 0)) for c in hidden}
    ranges = {}
    for c in hidden:
        others_high = sum(hi for name, (_, hi) in bounds.items() if name != c.name)
        others_low = sum(lo for name, (lo, _) in bounds.items() if name != c.name)
        lo, hi = bounds[c.name]
        ranges[c.name] = (max(lo, hidden_sum - others_high), min(hi, hidden_sum - others_low))
    return ranges


def exposed_cells(total: int, cells: list[Cell], shares_published: bool, share_base: int | None = None,
                  max_suppressed: int = 4) -> list[str]:
    """What the attacker can work out from a published table: hidden cells whose range is one value,
    and the base of the shares when it gives away hidden cells outside it. Empty when the table is safe.

    ``share_base`` is the base the shares are of (count / share of any visible cell); needed when
    ``shares_published``."""
    found = []
    hidden = [c for c in cells if c.count is None]
    if not hidden:
        return found
    if shares_published:
        if share_base is None:
            raise ValueError("shares are published: give the base they are of")
        parts = [
            ([c for c in cells if c.in_share_base], share_base),
            ([c for c in cells if not c.in_share_base], total - share_base),
        ]
        if any(not c.in_share_base for c in hidden):
            found.append("the base of the shares is published while a hidden cell lies outside it")
    else:
        parts = [(cells, total)]
    for part, part_total in parts:
        hidden_sum = part_total - sum(c.count for c in part if c.count is not None)
        for name, (lo, hi) in feasible_ranges(part, hidden_sum, max_suppressed).items():
            if lo >= hi:
                found.append(f"{name} = {lo}" if lo == hi else f"{name}: no feasible value ({lo}..{hi})")
    return found


def check_edi_tables(rows, max_suppressed: int = 4) -> list[str]:
    """Solve every table of edi_representation rows for its hidden cells, and check the publication
    rules the attacker relies on: every count 1..N hidden, no share or ratio for a hidden cell.

    ``rows`` are dicts with financial_year, agreement_ref, characteristic, group_name, service_users,
    published_count, characteristic_total, share_of_stated, representation_ratio, counted_in_share.
    Returns one line per problem found (empty: every table is safe)."""
    tables: dict[tuple, list[dict]] = {}
    for r in rows:
        tables.setdefault((r["financial_year"], r["agreement_ref"], r["characteristic"]), []).append(r)
    problems = []
    for key, table in sorted(tables.items()):
        where = " / ".join(key)
        totals = {r["characteristic_total"] for r in table}
        if len(totals) != 1:
            problems.append(f"{where}: more than one total {sorted(totals)}")
            continue
        total = totals.pop()
        cells = []
        share_base = None
        shares_published = False
        for r in table:
            hidden = r["published_count"] is None
            if not hidden and r["published_count"] != r["service_users"]:
                problems.append(f"{where} / {r['group_name']}: published count differs from the count")
            if 1 <= r["service_users"] <= max_suppressed and not hidden:
                problems.append(f"{where} / {r['group_name']}: a count of {r['service_users']} is published")
            if hidden and (r["share_of_stated"] is not None or r["representation_ratio"] is not None):
                problems.append(f"{where} / {r['group_name']}: a hidden count has a share or ratio")
            if not hidden and (r["share_of_stated"] is not None or r["representation_ratio"] is not None):
                shares_published = True
                if r["share_of_stated"] and r["service_users"]:
                    # The attacker's base: exact here (the attacker is assumed to get it right).
                    share_base = sum(x["service_users"] for x in table if x["counted_in_share"])
            cells.append(Cell(r["group_name"], None if hidden else r["published_count"],
                              primary=1 <= r["service_users"] <= max_suppressed,
                              in_share_base=bool(r["counted_in_share"])))
        if shares_published and share_base is None:
            share_base = sum(x["service_users"] for x in table if x["counted_in_share"])
        problems += [f"{where}: {found}" for found in
                     exposed_cells(total, cells, shares_published, share_base, max_suppressed)]
    return problems
