"""Start-up refusals that keep a production deployment from running on a development footing.

A production app refuses to start while the database holds the demo city: the demo seed's ledger row, WeChat ids of
the simulator's demo people, or a console account whose password is the demo password (printed in every `make run`).
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc
from werkzeug.security import check_password_hash

from bot.dev.demo_accounts import DEMO_PREFIX
from bot.runtime import Runtime
from storage import demo_traces

DEMO_SEED_JOB = "demo_seed"


def demo_data_in_production(rt: Runtime) -> str | None:
    """Why this production database must not be served, or None. A database that was never migrated passes:
    `flask --app bot db upgrade` must still be able to run."""
    from bot.dev.demo_accounts import ADMIN_USERNAME
    from bot.dev.demo_accounts import DEMO_PASSWORD

    try:
        with rt.db.transaction() as session:
            if demo_traces.seed_recorded(session=session, job=DEMO_SEED_JOB):
                return "the demo city was seeded into this database (job_runs: demo_seed)"
            if demo_traces.demo_wechat_ids(session=session, prefix=DEMO_PREFIX):
                return f"WeChat ids of the demo people ({DEMO_PREFIX}…) are in this database"
            hashes = demo_traces.suspicious_password_hashes(session=session, usernames=(ADMIN_USERNAME,))
    except (sa_exc.OperationalError, sa_exc.ProgrammingError):
        return None  # not migrated yet
    finally:
        # gunicorn may fork workers from this process: no pooled connection may cross the fork.
        rt.db.engine.dispose()
    if any(check_password_hash(h, DEMO_PASSWORD) for h in hashes):
        return "a console account still has the demo password"
    return None
