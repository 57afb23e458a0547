"""The nightly schedule and the inbox sensor, one of each per configured tenant.

Both launch the ``refresh`` job with the tenant set in run config. The sensor notices files
that are new or changed in the tenant's inbox since it last looked (its cursor keeps each
file's size and modification time) and asks for one run covering them; landing then skips
anything already landed by sha256, so a file seen twice is still loaded once.
"""
from __future__ import annotations

import hashlib
import json

from dagster import RunRequest, ScheduleDefinition, SensorEvaluationContext, SkipReason, sensor

from dagster_project.tenants import available_tenants, load_tenant


def tenant_run_config(slug: str) -> dict:
    return {"resources": {"tenant": {"config": {"tenant": slug}}}}


def nightly_schedules(job) -> list[ScheduleDefinition]:
    return [ScheduleDefinition(name=f"nightly_{slug}", job=job, cron_schedule="30 2 * * *",
                               execution_timezone="Europe/London", run_config=tenant_run_config(slug),
                               tags={"pccw/tenant": slug}, description=f"Nightly refresh of {slug}")
            for slug in available_tenants()]


def inbox_snapshot(slug: str) -> dict[str, list[int]]:
    inbox = load_tenant(slug).inbox
    if not inbox.exists():
        return {}
    snapshot = {}
    for path in inbox.rglob("*"):
        if path.is_file() and not path.name.startswith((".", "~$")) and not path.name.endswith(".part"):
            stat = path.stat()
            snapshot[path.relative_to(inbox).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return snapshot


def inbox_sensor(slug: str, job):
    @sensor(name=f"inbox_{slug}", job=job, minimum_interval_seconds=300,
            description=f"Runs the refresh for {slug} when files arrive in its inbox")
    def _sensor(context: SensorEvaluationContext):
        seen = json.loads(context.cursor) if context.cursor else {}
        now = inbox_snapshot(slug)
        new = sorted(name for name, stamp in now.items() if seen.get(name) != stamp)
        context.update_cursor(json.dumps(now, sort_keys=True))
        if not new:
            return SkipReason(f"no new files in the {slug} inbox")
        key = hashlib.sha256(json.dumps({n: now[n] for n in new}, sort_keys=True).encode()).hexdigest()[:16]
        return RunRequest(run_key=f"{slug}-{key}", run_config=tenant_run_config(slug),
                          tags={"pccw/tenant": slug, "pccw/new_files": str(len(new))})

    return _sensor


def inbox_sensors(job) -> list:
    return [inbox_sensor(slug, job) for slug in available_tenants()]
