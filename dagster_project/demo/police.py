"""Synthetic data.police.uk street-level files in the exact published layout.

Crime types follow the real mix of a month of Avon and Somerset data; LSOAs are real
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


def write_police(tenant: Tenant, years: list[FinancialYear], folder: Path, rng: random.Random,
                 scale: float) -> list[Path]:
    inside, outside, inside_cumulative = _areas(frozenset(c for d in tenant.districts for c in d.all_codes))
    crime_types, crime_weights = zip(*crime_mix())
    per_month = max(20, int(tenant_population(tenant) / 1000 * CRIMES_PER_1000_PER_MONTH * scale))
    force = tenant.force_reported_by[0]
    lon0, lat0 = tenant.demo.map_centre
    paths = []
    month = years[0].start
    while month <= years[-1].end:
        label = f"{month:%Y-%m}"
        n = int(per_month * rng.uniform(0.9, 1.1) * (1.08 if month.month in (6, 7, 8) else 1.0))
        types = rng.choices(crime_types, weights=crime_weights, k=n)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(STREET.header)
        for crime_type in types:
            roll = rng.random()
            if roll < 0.02:
                lon = lat = code = name = ""
                location = "No Location"
            else:
                area = rng.choice(outside) if roll < 0.025 and outside else \
                    rng.choices(inside, cum_weights=inside_cumulative)[0]
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
        month = add_months(month, 1)
    return paths
