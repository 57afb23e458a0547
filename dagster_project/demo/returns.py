"""Synthetic provider quarterly monitoring returns, filled in as providers fill them.

Figures hang together (accepted <= received, new cases <= supported, open cases carried from one
quarter to the next, improved <= assessed, each demographic characteristic sums to people supported
and its new service users to the new cases, Immediate Justice starts within referrals, spend near
budget) except in a few returns
made wrong on purpose, as real ones are: those are later resubmitted corrected. One
return is never sent, so the overdue list has something on it. Returns are on the current template
(PQR-2025.1), but for two of the first quarter on the earlier one (PQR-2024.2).
"""
from __future__ import annotations

import csv
import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

from dagster_project.demo.commissioning import Agreement
from dagster_project.periods import FinancialYear, Quarter
from dagster_project.returns import template as t
from dagster_project.tenants import Tenant

FACTS = Path(__file__).parent / "facts"
FORENAMES = ("Amira", "Ben", "Chloe", "Dev", "Erin", "Farah", "Gareth", "Hannah", "Imran", "Jade", "Kofi", "Leah")
SURNAMES = ("Ahmed", "Brook", "Clarke", "Dale", "Evans", "Foster", "Green", "Hussain", "Iqbal", "Jones", "Khan")

CRIME_PROFILE = {
    "domestic_abuse": {"Domestic abuse": 80, "Stalking and harassment": 12, "Sexual violence": 5, "Other crime": 3},
    "idva": {"Domestic abuse": 88, "Stalking and harassment": 9, "Other crime": 3},
    "sexual_violence_isva": {"Sexual violence": 90, "Domestic abuse": 7, "Other crime": 3},
    "perpetrator_programme": {"Domestic abuse": 85, "Stalking and harassment": 15},
    "violence_reduction": {"Violence (not domestic)": 70, "Robbery": 15, "Other crime": 15},
    "immediate_justice": {"Anti-social behaviour": 75, "Criminal damage and arson": 25},
}
ALL_CRIME = {"Violence (not domestic)": 30, "Domestic abuse": 12, "Theft and fraud": 16, "Burglary": 10,
             "Criminal damage and arson": 9, "Robbery": 3, "Hate crime": 4, "Stalking and harassment": 6,
             "Sexual violence": 4, "Anti-social behaviour": 3, "Modern slavery": 1, "Other crime": 2}
FEMALE_SHARE = {"domestic_abuse": 0.86, "idva": 0.9, "sexual_violence_isva": 0.84, "perpetrator_programme": 0.08,
                "violence_reduction": 0.25, "immediate_justice": 0.3}
AGE_PROFILE_YOUNG = (30, 45, 15, 6, 2, 1, 0.5, 0.5)
# A children and young people service (its cohort names children or young people): mostly under 18.
AGE_PROFILE_CHILDREN = (88, 9, 1.5, 0.5, 0.5, 0.3, 0.1, 0.1)
# Immediate Justice referrals by disposal route (t.DISPOSAL_ROUTES).
DISPOSAL_ROUTE_WEIGHTS = (60, 25, 15)
AGE_PROFILE_ADULT = (3, 14, 26, 22, 16, 10, 6, 3)
FINANCE_SHARES = (62, 6, 8, 3, 4, 12, 5)


def split(total: int, weights, rng: random.Random) -> list[int]:
    """Whole numbers in proportion to ``weights`` (jittered) that add up to ``total`` exactly."""
    jittered = [max(0.0, float(w)) * rng.uniform(0.8, 1.2) for w in weights]
    s = sum(jittered) or 1.0
    raw = [total * w / s for w in jittered]
    parts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts


def ethnicity_weights(tenant: Tenant, served: tuple[str, ...]) -> list[float]:
    codes = {c for d in tenant.districts if d.name in served for c in d.all_codes}
    totals = dict.fromkeys(t.DEMOGRAPHICS["Ethnicity"][:-1], 0.0)
    with open(FACTS / "census_districts.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["lad_code"] in codes and row["table_code"] == "TS021":
                group = row["measure"].removeprefix("Ethnic group: ")
                if group in totals:
                    totals[group] += float(row["value"])
    return list(totals.values())


def children_and_young_people(a: Agreement) -> bool:
    cohort = (a.cohort or "").lower()
    return "young people" in cohort or "children" in cohort


def within(total: int, sizes: list[int]) -> list[int]:
    """``total`` (at most sum(sizes)) shared in proportion to ``sizes``, no part above its size."""
    whole = sum(sizes)
    if not whole:
        return [0] * len(sizes)
    total = min(total, whole)
    parts = [total * n // whole for n in sizes]
    order = sorted(range(len(sizes)), key=lambda i: (-(total * sizes[i] % whole), i))
    left = total - sum(parts)
    while left:
        for i in order:
            if left and parts[i] < sizes[i]:
                parts[i] += 1
                left -= 1
    return parts


def fill(tenant: Tenant, a: Agreement, quarter: Quarter, rng: random.Random,
         open_at_start: dict[str, list[int]] | None = None) -> t.ReturnContent:
    """One return. The activity follows the counting rule the warehouse uses, per crime type:
    supported(q) = open at the start(q) + new(q), and open at the start(q+1) = supported(q) - closed(q).
    ``open_at_start`` carries each agreement's open cases from its previous quarter (and is updated);
    without it, or for an agreement's first quarter, some cases are already open."""
    values: dict = {}
    cost_per_user = {"community_safety_grant": 120, "violence_reduction": 900, "immediate_justice": 700}.get(
        a.category, 650)
    target = max(5, int(float(a.annual_value) / 4 / cost_per_user * rng.uniform(0.85, 1.15)))
    profile = CRIME_PROFILE.get(a.category, ALL_CRIME)
    weights = [profile.get(c, 0) for c in t.CRIME_TYPES]
    targets = split(target, weights, rng)
    carried = (open_at_start or {}).get(a.ref)
    opened = carried if carried is not None else [int(n * rng.uniform(0.3, 0.5)) for n in targets]
    new_by_crime = [max(n - o, round(n * 0.25)) for n, o in zip(targets, opened)]
    supported_by_crime = [o + n for o, n in zip(opened, new_by_crime)]
    open_next = [int(s * rng.uniform(0.35, 0.6)) for s in supported_by_crime]
    closed_by_crime = [s - o for s, o in zip(supported_by_crime, open_next)]
    accepted_by_crime = [n + int(n * rng.uniform(0, 0.1)) for n in new_by_crime]
    received_by_crime = [n + int(n * rng.uniform(0.05, 0.35)) for n in accepted_by_crime]
    if open_at_start is not None:
        open_at_start[a.ref] = open_next
    for column, numbers in (("Referrals received", received_by_crime), ("Referrals accepted", accepted_by_crime),
                            ("New cases", new_by_crime), ("Closed cases", closed_by_crime),
                            ("Service users supported", supported_by_crime)):
        for crime, n in zip(t.CRIME_TYPES, numbers):
            values[("Activity", (crime,), column)] = n
    supported, new = sum(supported_by_crime), sum(new_by_crime)
    for measure in t.OUTCOME_MEASURES:
        assessed = int(supported * rng.uniform(0.5, 0.9))
        values[("Outcomes", (measure,), "Service users assessed")] = assessed
        values[("Outcomes", (measure,), "Service users improved")] = int(assessed * rng.uniform(0.55, 0.9))
    not_stated = rng.uniform(0.02, 0.1)
    female = FEMALE_SHARE.get(a.category, 0.58)
    age_profile = (AGE_PROFILE_CHILDREN if children_and_young_people(a)
                   else AGE_PROFILE_YOUNG if a.category in ("violence_reduction", "immediate_justice")
                   else AGE_PROFILE_ADULT)
    demo_weights = {
        "Age band": [*age_profile],
        "Sex": [female, 1 - female],
        "Ethnicity": ethnicity_weights(tenant, a.districts),
        "Disability": [0.28, 0.72],
        "Sexual orientation": [0.88, 0.04, 0.05, 0.03],
        "Religion": [0.4, 0.4, 0.01, 0.02, 0.005, 0.15, 0.015, 0.01],
    }
    for characteristic, w in demo_weights.items():
        total_w = sum(w)
        w = [x / total_w * (1 - not_stated) for x in w] + [not_stated]
        _demographic(values, characteristic, t.DEMOGRAPHICS[characteristic], split(supported, w, rng), new)
    served = [d.name for d in tenant.districts]
    district_w = [3.0 if d in a.districts else 0.05 for d in served] + [0.1, not_stated * 10]
    _demographic(values, "District", (*served, t.OUTSIDE_AREA, t.NOT_STATED), split(supported, district_w, rng),
                 new)
    budget_parts = _money_split(a.annual_value, FINANCE_SHARES)
    pace = Decimal(str(round(rng.uniform(0.82, 1.04), 3)))
    totals = {"Annual budget": Decimal(0), "Spend this quarter": Decimal(0), "Forecast full year": Decimal(0)}
    for category, budget in zip(t.SPEND_CATEGORIES, budget_parts):
        figures = {"Annual budget": budget, "Spend this quarter": (budget / 4 * pace).quantize(Decimal("0.01")),
                   "Forecast full year": (budget * pace).quantize(Decimal("0.01"))}
        for column, amount in figures.items():
            values[("Finance", (category,), column)] = float(amount)
            totals[column] += amount
    for column, amount in totals.items():
        values[("Finance", (t.FINANCE_TOTAL,), column)] = float(amount)
    for kpi, target, unit in a.kpis:
        tgt = float(target)
        values[("KPIs", (kpi,), "Actual")] = round(min(100.0, tgt * rng.uniform(0.96, 1.15)), 1) if unit == "%" \
            else int(tgt / 4 * rng.uniform(0.9, 1.25))
    explanation = ("Vacancy in the team for part of the quarter; recruitment completed." if pace < Decimal("0.9")
                   else None)
    immediate_justice = a.category == t.IMMEDIATE_JUSTICE_CATEGORY
    if immediate_justice:
        _immediate_justice(values, sum(received_by_crime), new, rng)
    submitted = quarter.end + dt.timedelta(days=rng.randint(6, 35))
    return t.ReturnContent(
        agreement_ref=a.ref, provider=a.provider.name, service=a.service_name, quarter=quarter.label,
        districts=tuple(served), kpis=tuple((k, tg) for k, tg, _ in a.kpis),
        completed_by=f"{rng.choice(FORENAMES)} {rng.choice(SURNAMES)}", date_completed=submitted.isoformat(),
        values=values, underspend_explanation=explanation, immediate_justice=immediate_justice,
    )


def _demographic(values: dict, characteristic: str, groups, users: list[int], new: int) -> None:
    """A characteristic's service users, and its new service users: the quarter's New cases shared in
    proportion to the groups' service users (never more than a group's service users)."""
    for group, n, n_new in zip(groups, users, within(new, users)):
        values[("Demographics", (characteristic, group), t.SERVICE_USERS)] = n
        values[("Demographics", (characteristic, group), t.NEW_SERVICE_USERS)] = n_new


def _immediate_justice(values: dict, referrals: int, started: int, rng: random.Random) -> None:
    """The Immediate Justice sheet: the quarter's referrals and the people who started (the Activity
    sheet's referrals received and New cases) by disposal route, and what became of them."""
    started_by_route = split(started, DISPOSAL_ROUTE_WEIGHTS, rng)
    waiting = split(referrals - started, DISPOSAL_ROUTE_WEIGHTS, rng)
    for route, begun, unstarted in zip(t.DISPOSAL_ROUTES, started_by_route, waiting):
        within_48 = round(begun * rng.uniform(0.6, 0.85))
        completed = int(begun * rng.uniform(0.6, 0.85))
        not_completed = int((begun - completed) * rng.uniform(0.3, 0.7))
        children = int(begun * rng.uniform(0.2, 0.4))
        consulted = int(begun * rng.uniform(0.4, 0.7))
        figures = {
            t.IJ_REFERRALS: begun + unstarted, t.IJ_WITHIN_48: within_48, t.IJ_AFTER_48: begun - within_48,
            t.IJ_COMPLETED: completed, t.IJ_NOT_COMPLETED: not_completed, t.IJ_ADULTS: begun - children,
            t.IJ_CHILDREN: children,
            t.IJ_HOURS: float(sum(rng.choice((4, 6, 7.5, 8, 10, 12)) for _ in range(completed))),
            t.IJ_VICTIMS_CONSULTED: consulted, t.IJ_VICTIMS_RESTORATIVE: int(consulted * rng.uniform(0.3, 0.6)),
        }
        for column, n in figures.items():
            values[(t.IMMEDIATE_JUSTICE.sheet, (route,), column)] = n


def _money_split(total: Decimal, weights) -> list[Decimal]:
    parts = [(total * Decimal(w) / Decimal(sum(weights))).quantize(Decimal("0.01")) for w in weights]
    parts[0] += total - sum(parts)
    return parts


def write_returns(tenant: Tenant, agreements: list[Agreement], years: list[FinancialYear], folder: Path,
                  rng: random.Random) -> list[Path]:
    quarters = [q for y in years for q in y.quarters()]
    planned = [(a, q) for q in quarters for a in agreements if a.active_on(q.end) or a.active_on(q.start)]
    # Made wrong on purpose and later corrected (improved > assessed; demographics not adding up),
    # and one never sent at all.
    special = dict(zip(rng.sample(range(len(planned)), 3), ("outcomes", "demographics", "never_sent")))
    earlier_template = _on_earlier_template(tenant, planned, quarters[0], set(special))
    paths: list[Path] = []
    open_at_start: dict[str, list[int]] = {}       # each agreement's open cases by crime type, quarter to quarter
    for index, (a, q) in enumerate(planned):
        content = fill(tenant, a, q, rng, open_at_start)
        kind = special.get(index)
        if kind == "never_sent":
            continue
        name = folder / q.label / f"{a.ref}_{q.label}.xlsx"
        if index in earlier_template:
            content.template_version = t.PREVIOUS_VERSION
        if kind:
            t.write_return(name, _spoil(content, kind))
            paths.append(name)
            content.date_completed = (dt.date.fromisoformat(content.date_completed)
                                      + dt.timedelta(days=14)).isoformat()
            content.submission_type = "Resubmission"
            name = folder / q.label / f"{a.ref}_{q.label}_resubmitted.xlsx"
        t.write_return(name, content)
        paths.append(name)
    return paths


def _on_earlier_template(tenant: Tenant, planned: list, first: Quarter, taken: set[int]) -> set[int]:
    """Two returns of the first quarter sent on the earlier template (PQR-2024.2), as some providers do,
    to show both versions load. Only for agreements no figure of a pack needs the new template's cells
    for: not Immediate Justice (its measures by disposal route) and not funded by a stream reported in
    the MoJ return (its unduplicated counts read New service users)."""
    moj = {s.id for s in tenant.funding_streams if s.reported_in == "moj-victims"}
    chosen = [i for i, (a, q) in enumerate(planned)
              if q == first and i not in taken and a.category != t.IMMEDIATE_JUSTICE_CATEGORY
              and not any(stream in moj for stream, _ in a.funding)]
    return set(chosen[:2])


def _spoil(content: t.ReturnContent, kind: str) -> t.ReturnContent:
    values = dict(content.values)
    if kind == "outcomes":
        measure = t.OUTCOME_MEASURES[0]
        assessed = values[("Outcomes", (measure,), "Service users assessed")]
        values[("Outcomes", (measure,), "Service users improved")] = assessed + 7
    else:
        key = ("Demographics", ("Ethnicity", "White"), t.SERVICE_USERS)
        values[key] = values[key] + 12
    return t.ReturnContent(**{**content.__dict__, "values": values})
