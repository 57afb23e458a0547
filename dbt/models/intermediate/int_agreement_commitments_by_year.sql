-- What each agreement commits from each funding stream in each financial year with data: its
-- annual value times the stream's share times the whole months it runs inside the year, over
-- twelve, to the penny (exactly: pounds_divided). A stream's commitment for a year is the sum of these rows.
with years as (
    select distinct financial_year from {{ ref('int_reporting_periods') }}
    union
    select distinct financial_year from {{ ref('int_funding_allocations_current') }}
),
commitments as (
    select
        funding.agreement_ref,
        funding.stream_id,
        years.financial_year,
        agreements.annual_value,
        funding.share,
        {{ months_in_year('agreements.start_date', 'agreements.end_date', 'years.financial_year') }} as months_in_year,
        funding.register_file,
        funding.register_sha256,
        funding.register_locator
    from {{ ref('int_agreement_funding_current') }} as funding
    join {{ ref('int_agreements_current') }} as agreements using (agreement_ref)
    cross join years
)
select
    *,
    {{ pounds_divided('annual_value * share * months_in_year', 12) }} as committed
from commitments
where months_in_year > 0
