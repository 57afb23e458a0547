-- Plans and their priorities from the latest tenant.yml: one row per plan priority.
with plans as ({{ latest_file(ref('stg_tenant__plans')) }}),
priorities as ({{ latest_file(ref('stg_tenant__priorities')) }})
select
    plans.plan_id,
    plans.plan_title,
    plans.valid_from,
    plans.valid_to,
    priorities.priority_id,
    priorities.priority_name,
    priorities.priority_order
from plans
join priorities using (plan_id)
