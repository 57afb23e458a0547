"""The nightly schedule and the inbox sensor, one of each per configured tenant.

Both ask the ``refresh`` job for a run of the tenant's partition. The sensor notices files
that are new or changed in the tenant's inbox since it last looked (its cursor keeps each
file's size and modification time) and asks for one run covering them; landing then skips
anything already landed by sha256, so a file seen twice is still loaded once.
"""
from __future__ import annotations

import hashlib
import json

from dagster import RunRequest, ScheduleDefinition, ScheduleEvaluationContext, SensorEvaluationContext, SkipReason, \
    schedule, sensor

from dagster_project.tenants import load_tenant


def nightly_schedule(slug: str, job) -> ScheduleDefinition:
    @schedule(name=f"nightly_{slug}", job=job, cron_schedule="30 2 * * *", execution_timezone="Europe/London",
              description=f"Nightly refresh of {slug}")
    def _nightly(context: ScheduleEvaluationContext):
        return RunRequest(partition_key=slug, tags={"pccw/tenant": slug})

    return _nightly


def nightly_schedules(job, tenants: tuple[str, ...]) -> list[ScheduleDefinition]:
    return [nightly_schedule(slug, job) for slug in tenants]


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
        return RunRequest(run_key=f"{slug}-{key}", partition_key=slug,
                          tags={"pccw/tenant": slug, "pccw/new_files": str(len(new))})

    return _sensor


def inbox_sensors(job, tenants: tuple[str, ...]) -> list:
    return [inbox_sensor(slug, job) for slug in tenants]
