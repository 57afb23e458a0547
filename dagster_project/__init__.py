"""The commissioning warehouse: Dagster assets, dbt models and return packs for a PCC office."""
from dagster_project.settings import apply_offline_env as _apply_offline_env

_apply_offline_env()   # before dbt, Dagster or Great Expectations can be imported
