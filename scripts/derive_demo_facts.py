"""Derive the demo generator's facts from the real reference files in ../shared/reference.

Run once by a developer (``.venv/bin/python scripts/derive_demo_facts.py``); the outputs in
``dagster_project/demo/facts/`` are committed so a user's machine never needs ../shared.
Only aggregates and a small sample of codes are kept, never copies of the files.
"""
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT.parent / "shared" / "reference"
OUT = ROOT / "dagster_project" / "demo" / "facts"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    lookup = REF / "lookup" / "LSOA11_to_LSOA21_to_LAD22_EW_exact_filtered.csv"
    con.execute(f"create view lk as select * from read_csv('{lookup}', all_varchar=true)")
    con.execute(f"""
        copy (
          select LSOA11CD, LSOA11NM, LSOA21CD, LSOA21NM, CHGIND, LAD22CD, LAD22NM from (
            select *, row_number() over (partition by LAD22CD order by LSOA21CD, LSOA11CD) as n from lk
          ) where n <= 30 order by LAD22CD, LSOA21CD, LSOA11CD
        ) to '{OUT / "lsoa_sample.csv"}' (header)""")
    con.execute("create view lad as select distinct LSOA21CD, LAD22CD, LAD22NM from lk")
    age = REF / "census" / "census2021-ts007a-lsoa-filtered.csv"
    dis = REF / "census" / "census2021-ts038-lsoa-filtered.csv"
    eth = REF / "census" / "census2021-ts021-lsoa-nomis-filtered.csv"
    con.execute(f"""
        create table long as
        with age as (unpivot (select * exclude (date, geography) from read_csv('{age}')) on columns(* exclude ("geography code"))
                     into name measure value value),
             dis as (unpivot (select * exclude (date, geography) from read_csv('{dis}')) on columns(* exclude ("geography code"))
                     into name measure value value),
             eth_raw as (select * from read_csv('{eth}', skip=8, header=false, all_varchar=true, null_padding=true, strict_mode=false)),
             eth as (
               select split_part(column00, ' : ', 1) as "geography code", m.measure, cast(v as bigint) as value
               from eth_raw, lateral (values
                 ('Ethnic group: Total: All usual residents', column01),
                 ('Ethnic group: Asian, Asian British or Asian Welsh', column03),
                 ('Ethnic group: Black, Black British, Black Welsh, Caribbean or African', column05),
                 ('Ethnic group: Mixed or Multiple ethnic groups', column07),
                 ('Ethnic group: White', column09),
                 ('Ethnic group: Other ethnic group', column11)) as m(measure, v)
               where column00 like 'E0% : %')
        select 'TS007A' as table_code, * from age union all
        select 'TS038', * from dis union all
        select 'TS021', * from eth""")
    con.execute(f"""
        copy (
          select lad.LAD22CD as lad_code, lad.LAD22NM as lad_name, table_code, measure, sum(value)::bigint as value
          from long join lad on lad.LSOA21CD = long."geography code"
          group by all order by lad_code, table_code, measure
        ) to '{OUT / "census_districts.csv"}' (header)""")
    police = REF / "police" / "2023-01-avon-and-somerset-street.csv"
    con.execute(f"""
        copy (select "Crime type" as crime_type, count(*) as crimes_2023_01_avon_and_somerset
              from read_csv('{police}') group by all order by 2 desc, 1)
        to '{OUT / "crime_type_mix.csv"}' (header)""")


if __name__ == "__main__":
    main()
