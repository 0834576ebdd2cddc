"""What a demo city leaves in a database: the seed's ledger row, WeChat ids with the demo prefix, and password hashes
that several accounts share (the demo gives every login one hash). Read by the production start-up check."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Citizen
from storage.models import JobRun
from storage.models import StaffAccount
from storage.models import SupervisorBinding


def seed_recorded(*, session: orm.Session, job: str) -> bool:
    return session.scalar(sa.select(sa.func.count()).select_from(JobRun).where(JobRun.job == job)) > 0


def demo_wechat_ids(*, session: orm.Session, prefix: str) -> int:
    like = prefix.replace("_", "\\_") + "%"
    bound = session.scalar(
        sa.select(sa.func.count()).select_from(SupervisorBinding).where(SupervisorBinding.openid.like(like, "\\"))
    )
    citizens = session.scalar(sa.select(sa.func.count()).select_from(Citizen).where(Citizen.openid.like(like, "\\")))
    return int(bound or 0) + int(citizens or 0)


def suspicious_password_hashes(*, session: orm.Session, usernames: tuple[str, ...]) -> list[str]:
    """Hashes shared by two or more accounts (salted hashes never repeat by chance), plus those of `usernames`."""
    shared = session.scalars(
        sa.select(StaffAccount.password_hash).group_by(StaffAccount.password_hash).having(sa.func.count() > 1)
    )
    named = session.scalars(sa.select(StaffAccount.password_hash).where(StaffAccount.username.in_(usernames)))
    return sorted(set(shared) | set(named))
