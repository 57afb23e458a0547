-- Home Office VRU return: the quarter's headline figures: allocation, spend, share on
-- interventions, match funding, and reach (people under 25 engaged by VRU-funded services).
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
spend as (
    select period, sum(spend_in_period) as spend_in_period, sum(spend_year_to_date) as spend_year_to_date,
           sum(spend_year_to_date) filter (where vru_category = 'Interventions') as interventions_year_to_date
    from {{ ref('rpt_ho_vru__spend') }} group by period
),
vru_services as ({{ agreements_funded_by("stream_id = 'HO-VRU'") }}),
reach as (
    select quarter as period,
           sum(value_number) filter (where row_group = 'Age band' and row_label in ('Under 18', '18-24')) as under_25,
           sum(value_number) filter (where row_group = 'Age band') as engaged
    from {{ ref('int_provider_return_values_current') }}
    where sheet = 'Demographics' and agreement_ref in (select agreement_ref from vru_services)
    group by quarter
),
stream as (select * from {{ ref('int_funding_streams_current') }} where stream_id = 'HO-VRU'),
position as (select * from {{ ref('funding_position') }} where stream_id = 'HO-VRU')
select
    periods.period,
    position.allocation,
    cast(coalesce(spend.spend_in_period, 0) as decimal(18, 2)) as spend_in_period,
    cast(coalesce(spend.spend_year_to_date, 0) as decimal(18, 2)) as spend_year_to_date,
    cast(case when spend.spend_year_to_date > 0 then spend.interventions_year_to_date / spend.spend_year_to_date end
         as decimal(9, 4)) as interventions_share_year_to_date,
    stream.match_funding_pct,
    cast(round(coalesce(spend.spend_year_to_date, 0) * stream.match_funding_pct / 100, 2) as decimal(18, 2))
        as match_funding_required_year_to_date,
    cast(coalesce(reach.under_25, 0) as bigint) as people_under_25_engaged,
    cast(coalesce(reach.engaged, 0) as bigint) as people_engaged
from periods
cross join stream
left join spend using (period)
left join reach using (period)
left join position on position.financial_year = periods.financial_year
