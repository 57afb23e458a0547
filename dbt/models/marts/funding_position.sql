-- Each funding stream's position per financial year: allocation, committed, spent, remaining,
-- ring-fence breaches, what may be carried forward and what must be returned, match funding.
-- A year the ledger does not cover (no line posted in it) has no spend figure: its underspend,
-- carry-forward and overspend are not available (null), never the whole allocation. So are they
-- when no allocation letter for the year has landed. What is carried forward or returned is known
-- only for a year that has ended by the reporting date and whose last month the ledger holds.
with streams as (select * from {{ ref('int_funding_streams_current') }}),
allocations as (select stream_id, financial_year, allocation from {{ ref('int_funding_allocations_current') }}),
allocated as (
    select a.*, ag.service_category
    from {{ ref('int_ledger_spend_allocated') }} as a
    left join {{ ref('int_agreements_current') }} as ag using (agreement_ref)
),
spent as (
    select allocated.stream_id, allocated.financial_year,
           sum(allocated.allocated_amount) as spent,
           sum(allocated.allocated_amount) filter (
               where len(streams.ring_fence) > 0 and allocated.service_category is not null
                 and not list_contains(streams.ring_fence, allocated.service_category)) as ring_fence_breach_amount,
           count(distinct allocated.agreement_ref) filter (
               where len(streams.ring_fence) > 0 and allocated.service_category is not null
                 and not list_contains(streams.ring_fence, allocated.service_category)) as ring_fence_breaches
    from allocated join streams using (stream_id)
    group by all
),
-- A year is closed when it has ended and the ledger holds its last month (March).
ledger_years as (select financial_year, year_closed from {{ ref('int_ledger_months_covered') }}),
conditions as (select stream_id, financial_year, match_funding_pct from {{ ref('int_funding_stream_conditions') }}),
years as (
    select stream_id, financial_year from allocations
    union select stream_id, financial_year from spent
),
committed as (
    select stream_id, financial_year, sum(committed) as committed
    from {{ ref('int_agreement_commitments_by_year') }}
    group by all
),
position as (
    select
        years.financial_year,
        years.stream_id,
        streams.stream_name,
        streams.funder,
        cast(allocations.allocation as decimal(18, 2)) as allocation,
        cast(coalesce(committed.committed, 0) as decimal(18, 2)) as committed,
        ledger_years.financial_year is not null as ledger_covers_year,
        coalesce(ledger_years.year_closed, false) as year_closed,
        cast(case when ledger_years.financial_year is not null then coalesce(spent.spent, 0) end
             as decimal(18, 2)) as spent,
        streams.carry_forward_allowed,
        -- the year's grant condition (int_funding_stream_conditions), as the packs read it
        conditions.match_funding_pct,
        cast(case when ledger_years.financial_year is not null then coalesce(spent.ring_fence_breach_amount, 0) end
             as decimal(18, 2)) as ring_fence_breach_amount,
        cast(case when ledger_years.financial_year is not null then coalesce(spent.ring_fence_breaches, 0) end
             as integer) as ring_fence_breaches
    from years
    join streams using (stream_id)
    left join allocations using (stream_id, financial_year)
    left join committed using (stream_id, financial_year)
    left join spent using (stream_id, financial_year)
    left join ledger_years using (financial_year)
    left join conditions using (stream_id, financial_year)
)
select
    position.*,
    cast(allocation - spent as decimal(18, 2)) as remaining,
    cast(allocation - committed as decimal(18, 2)) as uncommitted,
    cast(case when allocation > 0 then spent / allocation end as decimal(9, 4)) as utilisation,
    -- Not available (null) when the allocation or the spend is; greatest() would skip a null.
    cast(case when allocation is null or spent is null or not year_closed then null
              when carry_forward_allowed then greatest(allocation - spent, 0) else 0 end as decimal(18, 2))
        as carry_forward,
    cast(case when allocation is null or spent is null or not year_closed then null
              when not carry_forward_allowed then greatest(allocation - spent, 0) else 0 end as decimal(18, 2))
        as underspend_to_return,
    cast(case when spent > allocation then spent - allocation when spent <= allocation then 0 end
         as decimal(18, 2)) as overspend,
    cast(round(spent * match_funding_pct / 100, 2) as decimal(18, 2)) as match_funding_required
from position
