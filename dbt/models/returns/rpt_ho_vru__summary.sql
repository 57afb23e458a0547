-- Home Office VRU return: the quarter's headline figures: allocation, spend, spend on
-- interventions, and reach (people engaged, and those under 25, by services the pack's streams
-- fund). The share on interventions and the match funding are formulas over these (the pack spec).
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
streams as ({{ pack_streams('ho-vru') }}),
figures as ({{ section_figures('rpt_ho_vru__contributions', 'summary', {},
    ['allocation', 'spend_in_period', 'spend_year_to_date', 'interventions_spend_year_to_date',
     'evaluation_spend_year_to_date', 'match_funding_year_to_date', 'people_under_25_engaged',
     'people_engaged']) }})
select
    periods.period,
    cast(figures.allocation as decimal(18, 2)) as allocation,
    cast(coalesce(figures.spend_in_period, 0) as decimal(18, 2)) as spend_in_period,
    cast(coalesce(figures.spend_year_to_date, 0) as decimal(18, 2)) as spend_year_to_date,
    cast(coalesce(figures.interventions_spend_year_to_date, 0) as decimal(18, 2)) as interventions_spend_year_to_date,
    cast(coalesce(figures.evaluation_spend_year_to_date, 0) as decimal(18, 2)) as evaluation_spend_year_to_date,
    -- Not available when no partners' match-funding stream is configured for the pack's streams.
    cast(case when exists (select 1 from ({{ match_funding_streams('ho-vru') }}))
              then coalesce(figures.match_funding_year_to_date, 0) end as decimal(18, 2)) as match_funding_year_to_date,
    -- The year's grant conditions (tenant.yml); the pack's streams share them (assert_pack_streams_unambiguous).
    conditions.match_funding_pct,
    conditions.evaluation_min_pct,
    -- Null (not available) when no return of the services the stream funds gives an age band; under
    -- 25s are 0 when returns give age bands but none under 25.
    case when figures.people_engaged is not null
         then cast(coalesce(figures.people_under_25_engaged, 0) as bigint) end as people_under_25_engaged,
    cast(figures.people_engaged as bigint) as people_engaged
from periods
left join figures using (period)
left join (
    select financial_year, max(match_funding_pct) as match_funding_pct, max(evaluation_min_pct) as evaluation_min_pct
    from {{ ref('int_funding_stream_conditions') }}
    where stream_id in (select stream_id from streams)
    group by all
) as conditions using (financial_year)
where exists (select 1 from streams)
