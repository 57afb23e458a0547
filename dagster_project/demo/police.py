"""Synthetic data.police.uk street-level files in the exact published layout.

Each district has its own crime rate per 1,000 residents and its own mix of crime types,
from real data.police.uk months (``facts/district_crime.csv``, derived by
``scripts/derive_demo_facts.py``; a district with no real file takes the nearest comparable
district's mix, as that file says). The files start in April of the year before the first
reported year, so comparisons with last year have data. LSOAs are real
codes for the tenant's districts (a sample in ``facts/lsoa_sample.csv``), some given as
2011 codes, some rows with no location, a few LSOAs outside the force area, anti-social
behaviour with an empty Crime ID; CRLF line endings as published.
"""
from __future__ import annotations

import csv
import io
import random
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

from dagster_project.demo.returns import FACTS
from dagster_project.extract.police import STREET
from dagster_project.periods import FinancialYear, add_months
from dagster_project.tenants import Tenant

STREETS = ("High Street", "Station Road", "Church Lane", "Park Avenue", "Mill Lane", "Victoria Road", "Green Lane",
           "Manor Road", "School Lane", "Kings Road", "Queens Road", "New Street", "Bridge Street", "Market Place",
           "Shopping Area", "Supermarket", "Parking Area", "Petrol Station", "Sports/Recreation Area", "Nightclub")
OUTCOMES = {
    "Anti-social behaviour": ("",),
    "default": ("Investigation complete; no suspect identified", "Unable to prosecute suspect",
                "Under investigation", "Status update unavailable", "Awaiting court outcome",
                "Local resolution", "Offender given a caution", "Court result unavailable",
                "Further investigation is not in the public interest"),
}
CRIMES_PER_1000_PER_MONTH = 9.5


def _facts(name: str) -> list[dict]:
    with open(FACTS / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def tenant_population(tenant: Tenant) -> int:
    codes = {c for d in tenant.districts for c in d.all_codes}
    return sum(int(r["value"]) for r in _facts("census_districts.csv")
               if r["lad_code"] in codes and r["measure"] == "Age: Total")


def crime_mix() -> list[tuple[str, int]]:
    """Crime types with their counts in a real month (Avon and Somerset, January 2023)."""
    return [(r["crime_type"], int(r["crimes_2023_01_avon_and_somerset"])) for r in _facts("crime_type_mix.csv")]


@lru_cache(maxsize=None)
def _areas(codes: frozenset[str]) -> tuple[list[dict], list[dict], list[float]]:
    lsoas = _facts("lsoa_sample.csv")
    inside = [r for r in lsoas if r["LAD22CD"] in codes]
    outside = [r for r in lsoas if r["LAD22CD"] not in codes][:40]
    # Crime follows people: weight each sampled LSOA by its district's population.
    population = {r["lad_code"]: int(r["value"]) for r in _facts("census_districts.csv") if r["measure"] == "Age: Total"}
    per_district = {code: sum(1 for r in inside if r["LAD22CD"] == code) for code in codes}
    inside_cumulative = list(accumulate(population.get(r["LAD22CD"], 1) / per_district[r["LAD22CD"]] for r in inside))
    return inside, outside, inside_cumulative


def lsoa_draw(tenant: Tenant, rng: random.Random) -> tuple[str, str]:
    """One located crime's LSOA (code, name): mostly the tenant's, weighted by population; a few
    just outside the force area; some given by their 2011 code, as older records are."""
    inside, outside, inside_cumulative = _areas(frozenset(c for d in tenant.districts for c in d.all_codes))
    area = rng.choice(outside) if rng.random() < 0.005 / 0.98 and outside else \
        rng.choices(inside, cum_weights=inside_cumulative)[0]
    old = area["CHGIND"] in ("U", "S") and rng.random() < 0.2
    return (area["LSOA11CD"], area["LSOA11NM"]) if old else (area["LSOA21CD"], area["LSOA21NM"])


def district_crime(tenant: Tenant) -> list[tuple[str, tuple[str, ...], int, list[tuple[str, float]]]]:
    """Per district: (name, codes, residents, [(crime type, crimes per 1,000 residents a month)]),
    from ``facts/district_crime.csv`` (real data.police.uk months, see its ``basis`` column). A
    district recoded since (Somerset's four districts became one) sums its old districts."""
    rows = _facts("district_crime.csv")
    residents = {r["lad_code"]: int(r["value"]) for r in _facts("census_districts.csv") if r["measure"] == "Age: Total"}
    out = []
    for d in tenant.districts:
        codes = tuple(c for c in d.all_codes if any(r["lad_code"] == c for r in rows))
        if not codes:
            raise ValueError(f"no crime facts for district {d.name} ({', '.join(d.all_codes)}); "
                             "add it to scripts/derive_demo_facts.py")
        people = sum(residents[c] for c in codes)
        counts: dict[str, float] = {}
        for r in rows:
            if r["lad_code"] in codes:
                counts[r["crime_type"]] = counts.get(r["crime_type"], 0.0) + float(r["crimes_per_1000"]) * residents[r["lad_code"]]
        out.append((d.name, codes, people, sorted(((t, n / people) for t, n in counts.items()), key=lambda x: (-x[1], x[0]))))
    return out


def police_months(years: list[FinancialYear]) -> list:
    """Police data from April of the year before the first reported year, so the first year's
    comparisons with last year have data, to the end of the last."""
    month, out = add_months(years[0].start, -12), []
    while month <= years[-1].end:
        out.append(month)
        month = add_months(month, 1)
    return out


def write_police(tenant: Tenant, years: list[FinancialYear], folder: Path, rng: random.Random,
                 scale: float) -> list[Path]:
    """One street file a month; each district's crimes drawn from its own rate and mix."""
    _, outside, _ = _areas(frozenset(c for d in tenant.districts for c in d.all_codes))
    lsoas = _facts("lsoa_sample.csv")
    districts = []
    for name, codes, people, mix in district_crime(tenant):
        areas = [r for r in lsoas if r["LAD22CD"] in codes]
        types, rates = zip(*mix)
        # Each district's crime drifts a little from year to year, as real series do.
        districts.append((areas, types, rates, people / 1000 * sum(rates) * scale, rng.uniform(-0.04, 0.04)))
    force = tenant.force_reported_by[0]
    lon0, lat0 = tenant.demo.map_centre
    paths = []
    for month in police_months(years):
        label = f"{month:%Y-%m}"
        summer = 1.08 if month.month in (6, 7, 8) else 1.0
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(STREET.header)
        step = (month.year - years[0].start.year) * 12 + month.month - years[0].start.month
        for areas, types, rates, per_month, drift in districts:
            n = max(5, int(per_month * (1 + drift) ** (step / 12) * rng.uniform(0.9, 1.1) * summer))
            for crime_type in rng.choices(types, weights=rates, k=n):
                roll = rng.random()
                if roll < 0.02:
                    lon = lat = code = name = ""
                    location = "No Location"
                else:
                    area = rng.choice(outside) if roll < 0.025 and outside else rng.choice(areas)
                    old = area["CHGIND"] in ("U", "S") and rng.random() < 0.2
                    code = area["LSOA11CD"] if old else area["LSOA21CD"]
                    name = area["LSOA11NM"] if old else area["LSOA21NM"]
                    lon = f"{lon0 + rng.uniform(-0.35, 0.35):.6f}"
                    lat = f"{lat0 + rng.uniform(-0.2, 0.2):.6f}"
                    location = f"On or near {rng.choice(STREETS)}"
                asb = crime_type == "Anti-social behaviour"
                crime_id = "" if asb else f"{rng.getrandbits(256):064x}"
                outcome = "" if asb else rng.choice(OUTCOMES["default"])
                writer.writerow((crime_id, label, force, force, lon, lat, location, code, name, crime_type, outcome, ""))
        path = folder / label / f"{label}-{tenant.force_slug}-street.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue().encode("utf-8"))
        paths.append(path)
    return paths
