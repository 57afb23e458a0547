-- Every quarterly return due from each agreement, from the first quarter any return was received
-- (when monitoring began in the warehouse) to the reporting date, and whether it came: Received,
-- Overdue (not received 30 days after the quarter ended), or Not yet due.
with agreements as (select * from {{ ref('int_agreements_current') }}),
received as (select * from {{ ref('int_provider_returns_received') }}),
first_quarter as (select min({{ quarter_start('quarter') }}) as monitoring_start from received where quarter is not null),
quarters as (
    select
        q.quarter_start::date as quarter_start,
        (q.quarter_start + interval 3 month - interval 1 day)::date as quarter_end
    from first_quarter,
         generate_series(monitoring_start, {{ as_of_date() }}, interval 3 month) as q(quarter_start)
    where monitoring_start is not null
),
due as (
    select
        agreements.agreement_ref,
        agreements.provider_id,
        agreements.provider_name,
        agreements.service_name,
        {{ financial_year('quarters.quarter_start') }} || '-Q' ||
            cast(((month(quarters.quarter_start) + 8) % 12) // 3 + 1 as varchar) as quarter,
        quarters.quarter_end,
        {{ return_due_date('quarters.quarter_end') }} as due_date
    from agreements
    join quarters on agreements.start_date <= quarters.quarter_end and agreements.end_date >= quarters.quarter_start
    where quarters.quarter_end < {{ as_of_date() }}
      -- An influencing role carries no money: the office monitors nothing there.
      and coalesce(agreements.commissioning_role, '') <> 'Influencing'
),
current_returns as (
    select agreement_ref, quarter, date_completed, source_file, submissions
    from received where is_current
)
select
    {{ as_of_date() }} as as_of_date,
    due.agreement_ref,
    due.provider_id,
    due.provider_name,
    due.service_name,
    due.quarter,
    due.quarter_end,
    due.due_date,
    current_returns.date_completed,
    current_returns.source_file,
    cast(coalesce(current_returns.submissions, 0) as integer) as submissions,
    case
        when current_returns.quarter is not null then 'Received'
        when {{ as_of_date() }} > due.due_date then 'Overdue'
        else 'Not yet due'
    end as status,
    cast(case when current_returns.quarter is null and {{ as_of_date() }} > due.due_date
              then {{ as_of_date() }} - due.due_date end as integer) as days_overdue
from due
left join current_returns using (agreement_ref, quarter)
