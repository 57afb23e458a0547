-- Home Office VRU return: spend from the pack's streams by category (core function, interventions,
-- evaluation) in the quarter and year to date. Spend through agreements is intervention spend;
-- other spend takes the category of its ledger account (int_ledger_parts_by_period).
with periods as (select * from {{ ref('int_reporting_periods') }} where period_type = 'quarter'),
categories as (select unnest(['Core function', 'Interventions', 'Evaluation']) as vru_category),
figures as ({{ section_figures('rpt_ho_vru__contributions', 'spend', {'vru_category': 'row_key'},
    ['spend_in_period', 'spend_year_to_date']) }})
select
    periods.period,
    categories.vru_category,
    cast(coalesce(figures.spend_in_period, 0) as decimal(18, 2)) as spend_in_period,
    cast(coalesce(figures.spend_year_to_date, 0) as decimal(18, 2)) as spend_year_to_date
from periods
cross join categories
left join figures on figures.period = periods.period and figures.vru_category = categories.vru_category
where exists ({{ pack_streams('ho-vru') }})
