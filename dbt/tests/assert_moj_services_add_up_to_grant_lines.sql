-- The MoJ return's spend-by-service rows add up, per half-year, to its grant lines.
with services as (select period, sum(spend_in_period) as services from {{ ref('rpt_moj_victims__spend_by_service') }} group by 1),
lines as (select period, sum(spend_in_period) as grant_lines from {{ ref('rpt_moj_victims__grant_lines') }} group by 1)
select * from lines full join services using (period)
where coalesce(services, 0) <> coalesce(grant_lines, 0)
