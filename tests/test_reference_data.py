"""The loaders on real public files (../shared/reference), exactly as published."""
from __future__ import annotations

import shutil

from dagster_project.extract.families import BY_NAME
from dagster_project.extract.ingest import ingest_family
from dagster_project.load_ids import new_load_id
from tests.test_landing import query


def drop(tenant, reference_dir, relative: str, to: str) -> None:
    target = tenant.inbox / to
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(reference_dir / relative, target)


def test_real_police_files_load_unchanged(tenant, reference_dir):
    drop(tenant, reference_dir, "police/2023-01-avon-and-somerset-street.csv",
         "police/2023-01/2023-01-avon-and-somerset-street.csv")
    drop(tenant, reference_dir, "police/2013-06-south-yorkshire-street.csv",
         "police/2013-06/2013-06-south-yorkshire-street.csv")
    drop(tenant, reference_dir, "police/2013-06-west-yorkshire-outcomes.csv",
         "police/2013-06/2013-06-west-yorkshire-outcomes.csv")
    report = ingest_family(tenant, BY_NAME["police"], new_load_id())
    assert report.quarantined == []
    assert sorted(report.landed) == [
        ("police/2013-06/2013-06-south-yorkshire-street.csv", 14703),
        ("police/2013-06/2013-06-west-yorkshire-outcomes.csv", 15590),
        ("police/2023-01/2023-01-avon-and-somerset-street.csv", 12566),
    ]
    # Quirks kept as published: "South Yorkshire" without "Police"; blank LSOAs; ASB without Crime ID.
    assert query(tenant, "select distinct falls_within from raw.police_street where month = '2013-06'") == [
        ("South Yorkshire",)]
    assert query(tenant, "select count(*) from raw.police_street where month = '2023-01' and lsoa_code is null") == [
        (758,)]
    assert query(tenant, "select count(*) from raw.police_outcomes where lsoa_code is null") == [(327,)]
    assert query(tenant, """select count(*) from raw.police_street
                            where crime_type = 'Anti-social behaviour' and crime_id is not null""") == [(0,)]
    # The locator points at the physical line of the published file.
    [(crime_id,)] = query(tenant, """select crime_id from raw.police_street
                                     where _source_file like '%avon%' and _source_locator = 'line 3'""")
    third_line = (reference_dir / "police/2023-01-avon-and-somerset-street.csv").read_text().splitlines()[2]
    assert third_line.startswith(crime_id)


def test_real_police_files_pass_through_staging_types(tenant, reference_dir):
    drop(tenant, reference_dir, "police/2023-01-avon-and-somerset-street.csv",
         "police/2023-01/2023-01-avon-and-somerset-street.csv")
    ingest_family(tenant, BY_NAME["police"], new_load_id())
    [(n, types)] = query(tenant, """select count(*), count(distinct crime_type) from raw.police_street
                                    where try_cast(longitude as double) is not null or longitude is null""")
    assert (n, types) == (12566, 14)


def test_census_bulk_layouts(tenant, reference_dir):
    drop(tenant, reference_dir, "census/census2021-ts007-ltla-filtered.csv", "census/census2021-ts007-ltla.csv")
    drop(tenant, reference_dir, "census/census2021-ts007a-lsoa-filtered.csv", "census/census2021-ts007a-lsoa.csv")
    drop(tenant, reference_dir, "census/census2021-ts038-lsoa-filtered.csv", "census/census2021-ts038-lsoa.csv")
    report = ingest_family(tenant, BY_NAME["census"], new_load_id())
    assert report.quarantined == []
    counts = dict(query(tenant, "select table_code, count(distinct geography_code) from raw.census_observations "
                                "group by 1"))
    assert counts == {"TS007": 18, "TS007A": 3302, "TS038": 3302}
    [(leeds,)] = query(tenant, """select value from raw.census_observations where table_code = 'TS007'
                                  and geography_code = 'E08000035' and measure = 'Age: Total; measures: Value'""")
    assert leeds == "811950"
    [(england,)] = query(tenant, """select value from raw.census_observations where table_code = 'TS007'
                                    and geography_code = 'E92000001' and measure = 'Age: Total; measures: Value'""")
    assert england == "56490045"


def test_census_web_query_layout(tenant, reference_dir):
    drop(tenant, reference_dir, "census/census2021-ts021-lsoa-nomis-filtered.csv", "census/ts021-ethnic-group.csv")
    report = ingest_family(tenant, BY_NAME["census"], new_load_id())
    assert report.quarantined == []
    assert query(tenant, "select count(distinct geography_code), count(distinct measure) from raw.census_observations") \
        == [(3302, 6)]
    row = query(tenant, """select geography_name, measure, value, _source_locator from raw.census_observations
                           where geography_code = 'E01007434' and measure = 'White'""")
    assert row == [("Barnsley 001A", "White", "2395", "line 9, column 10")]
    # The percentage columns beside each count are not loaded as counts.
    assert query(tenant, "select count(*) from raw.census_observations where measure = '%'") == [(0,)]


def test_lsoa_lookups_exact_and_best_fit(tenant, reference_dir):
    drop(tenant, reference_dir, "lookup/LSOA11_to_LSOA21_to_LAD22_EW_exact_filtered.csv", "lookup/exact.csv")
    drop(tenant, reference_dir, "lookup/LSOA11_to_LSOA21_to_LAD22_EW_bestfit_filtered.csv", "lookup/best_fit.csv")
    report = ingest_family(tenant, BY_NAME["lsoa_lookup"], new_load_id())
    assert report.quarantined == []
    assert query(tenant, "select count(*) from raw.lsoa_lookup_exact") == [(3309,)]
    assert query(tenant, "select count(*) from raw.lsoa_lookup_best_fit") == [(3246,)]
    assert query(tenant, "select change_indicator, count(*) from raw.lsoa_lookup_exact group by 1 order by 1") == [
        ("M", 14), ("S", 119), ("U", 3176)]
