-- Agreements from the latest agreements register, with their provider.
with agreements as ({{ latest_file(ref('stg_register__agreements')) }}),
providers as ({{ latest_file(ref('stg_register__providers')) }})
select
    agreements.agreement_ref,
    agreements.provider_id,
    providers.provider_name,
    providers.organisation_type,
    providers.org_identifier,
    agreements.service_name,
    agreements.service_category,
    agreements.cohort,
    agreements.districts,
    agreements.agreement_type,
    agreements.commissioning_role,
    agreements.procurement_route,
    agreements.start_date,
    agreements.end_date,
    agreements.annual_value,
    agreements.total_value,
    agreements.decision_record,
    agreements.eia_done,
    agreements.dpia_done,
    agreements.modern_slavery_assessment,
    agreements.social_value_score,
    agreements.ages_served,
    agreements.age_from,
    agreements.age_to,
    agreements._source_file as register_file,
    agreements._source_locator as register_locator
from agreements
left join providers using (provider_id)
