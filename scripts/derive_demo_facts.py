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
    district_crime(con)


# West Yorkshire has no street file in the reference copies (only June 2013 outcomes, which
# carry no crime type). Each of its districts takes the crime mix of the South Yorkshire
# district most like it (a core city, a large mixed city, a group of mill towns, a smaller
# town-and-moorland borough, a coalfield town district).
COMPARABLE_MIX = {"E08000035": "E08000019",   # Leeds -> Sheffield
                  "E08000032": "E08000019",   # Bradford -> Sheffield
                  "E08000034": "E08000018",   # Kirklees -> Rotherham
                  "E08000033": "E08000016",   # Calderdale -> Barnsley
                  "E08000036": "E08000017"}   # Wakefield -> Doncaster


def district_crime(con: duckdb.DuckDBPyConnection) -> None:
    """Each district's crimes per 1,000 residents in one real month, by crime type.

    Counts come from the real data.police.uk street files (South Yorkshire June 2013, Avon and
    Somerset January 2023), placed in districts through their LSOA codes (2011 or 2021); residents
    are Census 2021. West Yorkshire's level comes from its June 2013 outcomes file (distinct crimes
    with an outcome, per resident, relative to the force), set on South Yorkshire's force-wide rate
    that month; its mix is the comparable South Yorkshire district's (COMPARABLE_MIX)."""
    police = REF / "police"
    con.execute("""
        create or replace table lsoa_lad as
        select distinct LSOA11CD as code, LAD22CD, LAD22NM from lk
        union select distinct LSOA21CD, LAD22CD, LAD22NM from lk""")
    con.execute(f"""
        create or replace table residents as
        select lad_code, value as residents from read_csv('{OUT / "census_districts.csv"}')
        where measure = 'Age: Total'""")
    con.execute(f"""
        create or replace table street as
        select '2013-06-south-yorkshire-street.csv' as source, * from read_csv('{police / "2013-06-south-yorkshire-street.csv"}', all_varchar=true)
        union all by name
        select '2023-01-avon-and-somerset-street.csv' as source, * from read_csv('{police / "2023-01-avon-and-somerset-street.csv"}', all_varchar=true)""")
    con.execute("""
        create or replace table observed as
        select l.LAD22CD as lad_code, l.LAD22NM as lad_name, s."Crime type" as crime_type, s.source,
               count(*) as crimes
        from street s join lsoa_lad l on l.code = s."LSOA code"
        group by all""")
    # Only districts of the file's own force (a few records fall just outside it).
    con.execute("""
        delete from observed where (source like '%south-yorkshire%' and lad_code not like 'E0800001%')
                                or (source like '%avon-and-somerset%' and lad_code like 'E08%')""")
    con.execute(f"""
        create or replace table wy_level as
        with o as (select * from read_csv('{police / "2013-06-west-yorkshire-outcomes.csv"}', all_varchar=true)),
             d as (select l.LAD22CD as lad_code, l.LAD22NM as lad_name, count(distinct o."Crime ID") as crimes
                   from o join lsoa_lad l on l.code = o."LSOA code"
                   where l.LAD22CD in ({", ".join(f"'{c}'" for c in COMPARABLE_MIX)}) group by all),
             rel as (select d.*, residents, (crimes / residents) / (sum(crimes) over () / sum(residents) over ()) as relative
                     from d join residents using (lad_code)),
             sy as (select sum(crimes) / (select sum(residents) from residents where lad_code in
                        (select distinct lad_code from observed where source like '%south-yorkshire%')) as rate
                    from observed where source like '%south-yorkshire%')
        select lad_code, lad_name, residents, relative * sy.rate * 1000 as per_1000 from rel, sy""")
    comparable = ", ".join(f"('{w}', '{s}')" for w, s in COMPARABLE_MIX.items())
    con.execute(f"""
        copy (
          with real as (
            select lad_code, lad_name, crime_type, crimes, residents,
                   round(crimes * 1000.0 / residents, 4) as crimes_per_1000,
                   'data.police.uk ' || replace(source, '.csv', '') || ', LSOA to district' as basis
            from observed join residents using (lad_code)),
          pairs(wy, sy) as (values {comparable}),
          mix as (select lad_code, crime_type, crimes / sum(crimes) over (partition by lad_code) as share
                  from observed where source like '%south-yorkshire%'),
          wy as (
            select w.lad_code, w.lad_name, mix.crime_type, null::bigint as crimes, w.residents,
                   round(w.per_1000 * mix.share, 4) as crimes_per_1000,
                   'level: data.police.uk 2013-06-west-yorkshire-outcomes (crimes with an outcome per resident, '
                   || 'relative to the force) on South Yorkshire''s 2013-06 rate; mix: nearest comparable district, '
                   || sy_name.lad_name || ' (2013-06-south-yorkshire-street)' as basis
            from wy_level w join pairs on pairs.wy = w.lad_code join mix on mix.lad_code = pairs.sy
            join (select distinct lad_code, lad_name from observed) sy_name on sy_name.lad_code = pairs.sy)
          select * from real union all select * from wy
          order by lad_code, crimes_per_1000 desc, crime_type
        ) to '{OUT / "district_crime.csv"}' (header)""")


if __name__ == "__main__":
    main()
