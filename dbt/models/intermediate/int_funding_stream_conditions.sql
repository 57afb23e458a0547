-- Each stream's grant conditions for each financial year with data, from the latest tenant.yml: the
-- match funding required (the year's condition, else the stream's match_funding_pct; not available
-- when the stream gives conditions for other years but none for this one) and the least share of
-- spend on evaluation (none unless a condition of the year gives one). A year outside the stream's
-- first_year..last_year has no row: the stream did not exist then.
with streams as (select * from {{ ref('int_funding_streams_current') }}),
conditions as ({{ latest_file(ref('stg_tenant__stream_conditions')) }}),
years as (select distinct financial_year from {{ ref('int_reporting_periods') }})
select
    streams.stream_id,
    years.financial_year,
    cast(case when conditions.stream_id is not null
              then coalesce(conditions.match_funding_pct, streams.match_funding_pct)
              when streams.stream_id in (select stream_id from conditions) then null
              else streams.match_funding_pct end as decimal(9, 4)) as match_funding_pct,
    conditions.evaluation_min_pct,
    conditions.source as condition_source
from streams
cross join years
left join conditions using (stream_id, financial_year)
where years.financial_year between coalesce(streams.first_year, '0000-00') and coalesce(streams.last_year, '9999-99')
