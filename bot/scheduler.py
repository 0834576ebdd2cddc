"""The scheduler process (`flask --app bot scheduler`): APScheduler in Asia/Shanghai, fixed jobs, nothing else.

Never started inside the web app or its workers. Each job is a call into `bot.service.jobs`, which reads the database
and is idempotent, so a restart loses nothing and a second scheduler by mistake sends nothing twice.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime

from apscheduler.events import EVENT_JOB_ERROR
from apscheduler.events import EVENT_JOB_MISSED
from apscheduler.events import JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from bot.runtime import runtime
from bot.service import jobs

log = logging.getLogger("zhiyong.scheduler")

# job -> interval in seconds (the outbox interval comes from config)
INTERVALS = {
    "reminders": 60,
    "ratings": 300,
    "dialogs": 300,
    "evidence": 120,
    "digest": 300,
    "surveys": 300,
    "retention": 3600,
    "audit_checkpoint": 3600,
}


def _run(app: Flask, name: str) -> None:
    # A module-level target with the app passed in: APScheduler needs importable callables, not closures.
    with app.app_context():
        rt = runtime(app)
        jobs.run_job(rt, name, rt.now())


def _on_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_ERROR:
        log.error("ALERT job %s failed: %s", event.job_id, type(event.exception).__name__, exc_info=event.exception)
    else:
        log.warning("job %s missed its run time %s", event.job_id, event.scheduled_run_time)


def build(app: Flask) -> BlockingScheduler:
    rt = runtime(app)
    scheduler = BlockingScheduler(
        timezone=rt.tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
    )
    intervals = dict(INTERVALS, outbox=rt.settings.city.escalation.outbox_interval_seconds)
    now = datetime.now(scheduler.timezone)
    for name in jobs.JOBS:
        scheduler.add_job(
            _run,
            "interval",
            seconds=intervals[name],
            args=[app, name],
            id=name,
            name=name,
            replace_existing=True,
            next_run_time=now,  # run at start: a digest missed while down goes out now, once
        )
    scheduler.add_listener(_on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def serve(app: Flask, stop: threading.Event | None = None) -> None:
    scheduler = build(app)

    def _shutdown(*_: object) -> None:
        log.info("scheduler stopping")
        scheduler.shutdown(wait=False)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _shutdown)
        signal.signal(signal.SIGINT, _shutdown)
    log.info("scheduler started (timezone %s, %d jobs)", runtime(app).tz, len(jobs.JOBS))
    scheduler.start()
