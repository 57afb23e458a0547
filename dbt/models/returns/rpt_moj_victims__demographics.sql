-- MoJ victims' services return: victims supported in the half-year by characteristic and group
-- (exact counts, as the return asks; not for publication without disclosure control), and the
-- number of victims in the characteristic who stated a group (the share's denominator; null for
-- the "Not stated" row, whose share is not asked).
select
    period,
    row_group as characteristic,
    substr(row_key, length(row_group) + 2) as group_name,      -- the row's group (a denominator cell is another's)
    cast(coalesce(sum(amount) filter (where field = 'victims_supported'), 0) as bigint) as victims_supported,
    cast(sum(amount) filter (where field = 'stated_in_characteristic') as bigint) as stated_in_characteristic
from {{ ref('rpt_moj_victims__contributions') }}
where section = 'demographics'
group by all
