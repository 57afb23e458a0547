"""National-scale police data: every force of England and Wales, street-level files, five years.

About 7 million street-level rows a year across the 43 forces, near the volume data.police.uk
publishes. Rows are made by DuckDB in one vectorised statement per month and written one
file per force and month in the published layout (``YYYY-MM/YYYY-MM-<force>-street.csv``,
CRLF), so the same loader reads them as the real files. Volumes follow each force area's
population (rounded approximations in ``facts/police_forces.csv``; they only share out
synthetic volume). The tenant's own force uses its real LSOA codes, weighted as in
:mod:`dagster_project.demo.police`; other forces get codes that are plainly synthetic
(``E019xxxxx``/``W019xxxxx``, beyond any real LSOA), so they fall outside the tenant's area.

Deterministic: the same tenant, seed and months give byte-identical files (values come from
DuckDB's ``hash`` of the row's identity, never from a shared random state).
"""
from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.demo.police import CRIMES_PER_1000_PER_MONTH, OUTCOMES, STREETS, crime_mix, lsoa_draw, \
    tenant_population
from dagster_project.demo.returns import FACTS
from dagster_project.extract.police import STREET
from dagster_project.periods import FinancialYear
from dagster_project.tenants import Tenant

NATIONAL_YEARS = 5
POOL = 4096          # LSOA draws per force, picked from by hash: weights survive, the SQL stays a lookup


@dataclass(frozen=True)
class Force:
    slug: str
    name: str
    population: int


def forces() -> list[Force]:
    with open(FACTS / "police_forces.csv", newline="", encoding="utf-8") as fh:
        return [Force(r["slug"], r["name"], int(r["population_approx"])) for r in csv.DictReader(fh)]


def national_months(last_year: FinancialYear, years: int = NATIONAL_YEARS) -> list[dt.date]:
    first = FinancialYear(last_year.start_year - years + 1)
    return [m for y in range(years) for m in FinancialYear(first.start_year + y).months()]


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values) -> str:
    return "[" + ", ".join(_sql_text(v) for v in values) + "]"


def _crime_type_case(column: str) -> str:
    """A CASE choosing a crime type from a fraction in [0, 1) by the real mix's cumulative shares."""
    mix = crime_mix()
    total = sum(w for _, w in mix)
    running, whens = 0, []
    for name, weight in mix[:-1]:
        running += weight
        whens.append(f"when {column} < {running / total:.6f} then {_sql_text(name)}")
    return f"case {' '.join(whens)} else {_sql_text(mix[-1][0])} end"


def write_national_police(tenant: Tenant, last_year: FinancialYear, folder: Path, seed: int = 0,
                          years: int = NATIONAL_YEARS, scale: float = 1.0) -> list[Path]:
    """Write every force's street-level files for ``years`` financial years ending ``last_year``.

    ``scale`` multiplies the volume (1.0: the published volume); every file keeps at least 20 rows.
    """
    all_forces = forces()
    own = tenant.force_slug
    rng = random.Random(f"{seed}:{tenant.slug}:national")
    own_pool = [lsoa_draw(tenant, rng) for _ in range(POOL)]
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    con.execute("create temp table forces (force_idx integer, slug varchar, name varchar, lon double, lat double)")
    for idx, f in enumerate(all_forces):
        if f.slug == own:
            lon, lat = tenant.demo.map_centre
        else:
            place = random.Random(f"{seed}:{f.slug}:centre")
            lon, lat = round(place.uniform(-4.5, 1.3), 4), round(place.uniform(50.6, 54.9), 4)
        con.execute("insert into forces values (?, ?, ?, ?, ?)", [idx, f.slug, f.name, lon, lat])
    own_codes = _sql_list(code for code, _ in own_pool)
    own_names = _sql_list(name for _, name in own_pool)
    own_idx = next((i for i, f in enumerate(all_forces) if f.slug == own), -1)
    welsh = {"dyfed-powys", "gwent", "north-wales", "south-wales"}
    country = f"case when slug in ({', '.join(_sql_text(s) for s in sorted(welsh))}) then 'W' else 'E' end"
    paths: list[Path] = []
    for month in national_months(last_year, years):
        label = f"{month:%Y-%m}"
        counts = []
        for idx, f in enumerate(all_forces):
            population = tenant_population(tenant) if f.slug == own else f.population
            jitter = random.Random(f"{seed}:{f.slug}:{label}").uniform(0.9, 1.1)
            summer = 1.08 if month.month in (6, 7, 8) else 1.0
            counts.append((idx, max(20, int(population / 1000 * CRIMES_PER_1000_PER_MONTH * jitter * summer * scale))))
        values = ", ".join(f"({i}, {n})" for i, n in counts)
        con.execute(f"""
            create or replace temp table month_rows as
            with sized as (select f.*, n.n from forces f join (values {values}) n(force_idx, n) using (force_idx)),
            numbered as (select *, unnest(range(n)) as i from sized),
            rolled as (
                select *, hash({seed}, '{label}', slug, i) as h from numbered
            ),
            parts as (
                select *,
                    (h % 1000003) / 1000003.0 as u_type,
                    (hash(h, 1) % 10007) / 10007.0 as u_place,
                    hash(h, 2) as h_pick,
                    {_crime_type_case('(h % 1000003) / 1000003.0')} as crime_type
                from rolled
            )
            select force_idx, i,
                case when crime_type = 'Anti-social behaviour' then null
                     else sha256('{seed}:{label}:' || slug || ':' || i) end as crime_id,
                '{label}' as month, name as reported_by, name as falls_within,
                case when u_place < 0.02 then null else printf('%.6f', lon + ((h_pick % 7001) / 7000.0 - 0.5) * 0.7) end
                    as longitude,
                case when u_place < 0.02 then null else printf('%.6f', lat + ((hash(h, 3) % 4001) / 4000.0 - 0.5) * 0.4) end
                    as latitude,
                case when u_place < 0.02 then 'No Location'
                     else 'On or near ' || {_sql_list(STREETS)}[1 + cast(hash(h, 4) % {len(STREETS)} as bigint)] end as location,
                case when u_place < 0.02 then null
                     when force_idx = {own_idx} then {own_codes}[1 + cast(h_pick % {POOL} as bigint)]
                     else {country} || '019' || lpad(cast(force_idx * 1000 + h_pick % 997 as varchar), 5, '0') end
                    as lsoa_code,
                case when u_place < 0.02 then null
                     when force_idx = {own_idx} then {own_names}[1 + cast(h_pick % {POOL} as bigint)]
                     else replace(name, ' Police', '') || ' ' || lpad(cast(h_pick % 997 as varchar), 3, '0') || 'X' end
                    as lsoa_name,
                crime_type,
                case when crime_type = 'Anti-social behaviour' then null
                     else {_sql_list(OUTCOMES['default'])}[1 + cast(hash(h, 5) % {len(OUTCOMES['default'])} as bigint)] end
                    as last_outcome_category,
                cast(null as varchar) as context
            from parts
            order by force_idx, i""")
        columns = ", ".join(f'{c} as "{h}"' for c, h in zip(STREET.columns, STREET.header))
        for idx, f in enumerate(all_forces):
            path = folder / label / f"{label}-{f.slug}-street.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            con.execute(f"copy (select {columns} from month_rows where force_idx = {idx} order by i) "
                        f"to '{path}' (format csv, header, new_line '\r\n')")
            paths.append(path)
    con.close()
    return paths
