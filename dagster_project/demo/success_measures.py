"""Synthetic publications for the VRU success measures, each in its published layout.

For every quarter of the demo years and the year before them (so each quarter has a same
quarter last year), three files per financial year:

- ``hospital_admissions/hes_x99_admissions_<year>.csv``: HES admissions for assault by sharp object
  by community safety partnership (the tenant's districts) and age group;
- ``knife_crime/knife_sharp_instrument_offences_<year>.csv``: police recorded offences involving a
  knife or sharp instrument by offence;
- ``homicides/homicide_index_<year>.csv``: homicide victims by domestic or non-domestic and age group.

Magnitudes follow the force area's population (West Yorkshire, 2.35 million people: about 125
admissions, 1,750 knife offences and 27 homicides a year). Each file also holds the rows of one
other force (Merseyside), as national publications do, to show that the warehouse keeps the
tenant's force only. All counts are invented; only the layouts are real (sources/README.md).
"""
from __future__ import annotations

import csv
import io
import random
from pathlib import Path

from dagster_project.demo.police import tenant_population
from dagster_project.extract.success_measures import (HES_AGE_GROUPS, HOMICIDE_AGE_GROUPS, HOMICIDES,
                                                      HOSPITAL_ADMISSIONS, KNIFE_OFFENCES)
from dagster_project.periods import FinancialYear
from dagster_project.tenants import Tenant

# A year's count per million residents (West Yorkshire's: 125, 1,750 and 27 for 2.35 million people).
ADMISSIONS_PER_MILLION = 53.0
KNIFE_OFFENCES_PER_MILLION = 745.0
HOMICIDES_PER_MILLION = 11.5

OTHER_FORCE = ("Merseyside", 1_430_000, ("Liverpool", "Knowsley", "Sefton", "St. Helens", "Wirral"))

HES_AGE_SHARE = (0.17, 0.28, 0.53, 0.02)
# Offences involving a knife or sharp instrument: (description, group, subgroup, share).
KNIFE_MIX = (
    ("Assault with injury", "Violence against the person", "Violence with injury", 0.30),
    ("Assault with intent to cause serious harm", "Violence against the person", "Violence with injury", 0.25),
    ("Attempted murder", "Violence against the person", "Violence with injury", 0.015),
    ("Threats to kill", "Violence against the person", "Violence without injury", 0.05),
    ("Robbery of personal property", "Robbery", "Robbery", 0.33),
    ("Robbery of business property", "Robbery", "Robbery", 0.04),
    ("Rape", "Sexual offences", "Rape", 0.01),
    ("Sexual assault", "Sexual offences", "Other sexual offences", 0.005),
    ("Homicide", "Violence against the person", "Homicide", 0.01),
)
HOMICIDE_AGE_SHARE = (0.07, 0.22, 0.22, 0.17, 0.14, 0.09, 0.08, 0.01)
DOMESTIC_SHARE = 0.2


def publication_force_name(tenant: Tenant) -> str:
    """The force as the Home Office and NHS England write it: 'West Yorkshire', not 'West Yorkshire Police'."""
    name = tenant.force_name
    for suffix in (" Police Service", " Police", " Constabulary"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _draw(rng: random.Random, mean: float) -> int:
    """A count around ``mean`` (within 25%)."""
    return max(0, round(mean * rng.uniform(0.75, 1.25)))


def _spread(rng: random.Random, total: int, cells: list, weights) -> dict:
    """``total`` people or offences spread over ``cells`` at random by ``weights``; every cell listed."""
    counts = {cell: 0 for cell in cells}
    for cell in rng.choices(cells, weights=weights, k=total):
        counts[cell] += 1
    return counts


def _csv_text(header: tuple[str, ...], rows: list[tuple]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_success_measures(tenant: Tenant, years: list[FinancialYear], folder: Path,
                           rng: random.Random) -> list[Path]:
    """Write the three publications for the demo years and the year before; the files written."""
    own = (publication_force_name(tenant), tenant_population(tenant), tuple(d.name for d in tenant.districts))
    forces = (own, OTHER_FORCE)
    first = years[0].start_year - 1
    paths = []
    for start_year in range(first, years[-1].start_year + 1):
        dash = f"{start_year}-{(start_year + 1) % 100:02d}"
        slash = dash.replace("-", "/")
        hes, knife, homicides = [], [], []
        for quarter in (1, 2, 3, 4):
            for force, population, partnerships in forces:
                millions = population / 1_000_000
                cells = [(csp, age) for csp in partnerships for age in HES_AGE_GROUPS]
                weights = [share / len(partnerships) for _ in partnerships for share in HES_AGE_SHARE]
                spread = _spread(rng, _draw(rng, ADMISSIONS_PER_MILLION * millions / 4), cells, weights)
                hes += [(dash, f"Q{quarter}", force, csp, "X99", age, n) for (csp, age), n in spread.items()]
                total = _draw(rng, KNIFE_OFFENCES_PER_MILLION * millions / 4)
                spread = _spread(rng, total, list(range(len(KNIFE_MIX))), [m[3] for m in KNIFE_MIX])
                knife += [(slash, quarter, force, KNIFE_MIX[i][0], KNIFE_MIX[i][1], KNIFE_MIX[i][2], "", n)
                          for i, n in spread.items()]
                cells = [(kind, age) for kind in ("Domestic", "Non-domestic") for age in HOMICIDE_AGE_GROUPS]
                weights = [(DOMESTIC_SHARE if kind == "Domestic" else 1 - DOMESTIC_SHARE) * share
                           for kind in ("Domestic", "Non-domestic") for share in HOMICIDE_AGE_SHARE]
                spread = _spread(rng, _draw(rng, HOMICIDES_PER_MILLION * millions / 4), cells, weights)
                homicides += [(slash, quarter, force, kind, age, n) for (kind, age), n in spread.items()]
        for sub, name, spec, rows in (
                ("hospital_admissions", f"hes_x99_admissions_{dash}.csv", HOSPITAL_ADMISSIONS, hes),
                ("knife_crime", f"knife_sharp_instrument_offences_{dash}.csv", KNIFE_OFFENCES, knife),
                ("homicides", f"homicide_index_{dash}.csv", HOMICIDES, homicides)):
            path = folder / sub / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_csv_text(spec.header, rows))
            paths.append(path)
    return paths
