"""Repository for 民意调查 / 民主评议: surveys, their audience, invitations, participation, answers, links, scans.

Never commits. Who answered (`survey_participations`) and what was answered (`survey_responses`) are written by
separate functions and share nothing: see `storage.models.surveys` for why they cannot be joined.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage._upsert import insert_ignore
from storage.models import Case
from storage.models import Citizen
from storage.models import QrScan
from storage.models import SupervisorBinding
from storage.models import Survey
from storage.models import SurveyInvitation
from storage.models import SurveyLink
from storage.models import SurveyParticipation
from storage.models import SurveyResponse
from storage.models import WindowRating

# -- surveys ----------------------------------------------------------------------------------------------------


def add(*, session: orm.Session, title: str, kind: str, units: list[str], audience: dict[str, Any],
        questions: list[dict[str, Any]], opens: date, closes: date, opens_at: datetime, closes_at: datetime,
        source: str, created_by: str, now: datetime) -> Survey:  # fmt: skip
    row = Survey(title=title, kind=kind, units=units, audience=audience, questions=questions, opens=opens,
                 closes=closes, opens_at=opens_at, closes_at=closes_at, source=source, created_by=created_by,
                 created_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def get(*, session: orm.Session, survey_id: int) -> Survey | None:
    return session.get(Survey, survey_id)


def listing(*, session: orm.Session) -> list[Survey]:
    return list(session.scalars(sa.select(Survey).order_by(Survey.id.desc())))


def due_to_close(*, session: orm.Session, now: datetime) -> list[Survey]:
    stmt = sa.select(Survey).where(Survey.closed_at.is_(None), Survey.closes_at <= now).order_by(Survey.id)
    return list(session.scalars(stmt))


def closed_between(*, session: orm.Session, kind: str, start: datetime, end: datetime, now: datetime) -> list[Survey]:
    """Surveys of `kind` that closed in [start, end) by `now`: closed by hand or by the job (`closed_at`), or past
    their closing time while the job has not run yet."""
    closed = sa.func.coalesce(Survey.closed_at, Survey.closes_at)
    stmt = sa.select(Survey).where(Survey.kind == kind, closed >= start, closed < end, closed <= now)
    return list(session.scalars(stmt.order_by(Survey.id)))


def counts(*, session: orm.Session, survey_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per survey: citizens invited (distinct), answers received, links made and used."""
    ids = list(survey_ids)
    out = {i: {"invited": 0, "responses": 0, "links": 0, "links_used": 0} for i in ids}
    if not ids:
        return out
    queries = (
        ("invited", sa.select(SurveyInvitation.survey_id, sa.func.count(sa.distinct(SurveyInvitation.pseudonym)))
         .where(SurveyInvitation.survey_id.in_(ids)).group_by(SurveyInvitation.survey_id)),
        ("responses", sa.select(SurveyResponse.survey_id, sa.func.count()).where(SurveyResponse.survey_id.in_(ids))
         .group_by(SurveyResponse.survey_id)),
        ("links", sa.select(SurveyLink.survey_id, sa.func.count()).where(SurveyLink.survey_id.in_(ids))
         .group_by(SurveyLink.survey_id)),
        ("links_used", sa.select(SurveyLink.survey_id, sa.func.count())
         .where(SurveyLink.survey_id.in_(ids), SurveyLink.used.is_(True)).group_by(SurveyLink.survey_id)),
    )  # fmt: skip
    for name, stmt in queries:
        for survey_id, n in session.execute(stmt):
            out[int(survey_id)][name] = int(n)
    return out


# -- the audience -----------------------------------------------------------------------------------------------


def audience(*, session: orm.Session, units: list[str], since: datetime, until: datetime) -> list[tuple[str, str]]:
    """(pseudonym, unit) of the citizens who reported (any case), rated a window (好差评) or scanned a QR code about
    one of `units` in [since, until]: following the account, not anonymised, never a bound supervisor's WeChat.
    Sorted, without duplicates."""
    reported = sa.select(Case.pseudonym, Case.respondent_unit.label("unit")).where(
        Case.respondent_unit.in_(units), Case.created_at >= since, Case.created_at <= until, Case.channel == "wechat"
    )
    rated = sa.select(WindowRating.pseudonym, WindowRating.unit).where(
        WindowRating.unit.in_(units), WindowRating.rated_at >= since, WindowRating.rated_at <= until
    )
    scanned = sa.select(QrScan.pseudonym, QrScan.unit).where(
        QrScan.unit.in_(units), QrScan.scanned_at >= since, QrScan.scanned_at <= until)  # fmt: skip
    dealt = sa.union(reported, rated, scanned).subquery()
    staff = sa.select(SupervisorBinding.pseudonym).where(SupervisorBinding.pseudonym.is_not(None))
    stmt = (
        sa.select(dealt.c.pseudonym, dealt.c.unit)
        .join(Citizen, Citizen.pseudonym == dealt.c.pseudonym)
        .where(Citizen.subscribed.is_(True), dealt.c.pseudonym.not_in(staff))
        .distinct()
        .order_by(dealt.c.pseudonym, dealt.c.unit)
    )
    return [(p, u) for p, u in session.execute(stmt)]


def last_messages(*, session: orm.Session, pseudonyms: list[str]) -> dict[str, datetime | None]:
    """When each citizen last wrote to the account (the start of WeChat's 48-hour customer-service window)."""
    stmt = sa.select(Citizen.pseudonym, Citizen.last_message_at).where(Citizen.pseudonym.in_(pseudonyms))
    return {p: at for p, at in session.execute(stmt)}


def record_scan(*, session: orm.Session, pseudonym: str, unit: str, window: str | None, at: datetime) -> None:
    session.add(QrScan(pseudonym=pseudonym, unit=unit, window=window, scanned_at=at))


def drop_scans(*, session: orm.Session, before: datetime) -> int:
    rows = session.execute(sa.delete(QrScan).where(QrScan.scanned_at < before).returning(QrScan.id))
    return len(rows.all())


# -- invitations and participation ---------------------------------------------------------------------------


def invite(*, session: orm.Session, survey_id: int, pseudonym: str, unit: str, link_key: str, channel: str,
           now: datetime) -> bool:  # fmt: skip
    """Invite a citizen about a unit unless already invited; True when this is new."""
    return insert_ignore(
        session,
        SurveyInvitation.__table__,  # type: ignore[arg-type]
        {
            "survey_id": survey_id,
            "pseudonym": pseudonym,
            "unit": unit,
            "link_key": link_key,
            "channel": channel,
            "invited_at": now,
            "declined": False,
        },  # fmt: skip
        ["survey_id", "pseudonym", "unit"],
    )


def invited(*, session: orm.Session, survey_id: int, pseudonyms: list[str]) -> set[tuple[str, str]]:
    stmt = sa.select(SurveyInvitation.pseudonym, SurveyInvitation.unit).where(
        SurveyInvitation.survey_id == survey_id, SurveyInvitation.pseudonym.in_(pseudonyms)
    )
    return {(p, u) for p, u in session.execute(stmt)}  # fmt: skip


def _answered(survey_id: Any, participant: Any) -> Any:
    return sa.exists().where(SurveyParticipation.survey_id == survey_id, SurveyParticipation.participant == participant,
                             SurveyParticipation.unit == SurveyInvitation.unit)  # fmt: skip


def pending_units(*, session: orm.Session, survey_id: int, pseudonym: str) -> list[str]:
    """The units this citizen was invited to rate and has neither answered nor declined, in the order invited."""
    stmt = (
        sa.select(SurveyInvitation.unit)
        .where(SurveyInvitation.survey_id == survey_id, SurveyInvitation.pseudonym == pseudonym,
               SurveyInvitation.declined.is_(False), ~_answered(survey_id, pseudonym))
        .order_by(SurveyInvitation.id)
    )  # fmt: skip
    return list(session.scalars(stmt))


def open_invitation(*, session: orm.Session, pseudonym: str, now: datetime, pending: bool = True) -> Survey | None:
    """The open survey (the earliest to close) with something this citizen may still answer, if any; with
    `pending=False`, any open survey they were invited to and did not decline (answered or not)."""
    stmt = (
        sa.select(Survey)
        .join(SurveyInvitation, SurveyInvitation.survey_id == Survey.id)
        .where(SurveyInvitation.pseudonym == pseudonym, SurveyInvitation.declined.is_(False),
               Survey.closed_at.is_(None), Survey.opens_at <= now, Survey.closes_at > now)
        .order_by(Survey.closes_at, Survey.id)
        .limit(1)
    )  # fmt: skip
    if pending:
        stmt = stmt.where(~_answered(Survey.id, pseudonym))
    return session.scalars(stmt).first()


def holder(*, session: orm.Session, survey_id: int, link_key: str) -> str | None:
    """The citizen a signed link was made for (the link carries a key, never the pseudonym itself)."""
    stmt = sa.select(SurveyInvitation.pseudonym).where(
        SurveyInvitation.survey_id == survey_id, SurveyInvitation.link_key == link_key).limit(1)  # fmt: skip
    return session.scalars(stmt).first()


def decline(*, session: orm.Session, survey_id: int, pseudonym: str, units: list[str]) -> None:
    session.execute(
        sa.update(SurveyInvitation)
        .where(SurveyInvitation.survey_id == survey_id, SurveyInvitation.pseudonym == pseudonym,
               SurveyInvitation.unit.in_(units))
        .values(declined=True)
    )  # fmt: skip


def participate(*, session: orm.Session, survey_id: int, unit: str, participant: str) -> bool:
    """Record that `participant` answered about `unit`; False when they already had (one answer each)."""
    return insert_ignore(
        session,
        SurveyParticipation.__table__,  # type: ignore[arg-type]
        {"survey_id": survey_id, "unit": unit, "participant": participant},
        ["survey_id", "unit", "participant"],
    )


# -- answers ------------------------------------------------------------------------------------------------------


def add_response(*, session: orm.Session, survey_id: int, unit: str, answers: list[Any]) -> None:
    """Store one respondent's answers: a random id, no time, nobody's name on it."""
    session.add(SurveyResponse(id=secrets.token_hex(16), survey_id=survey_id, unit=unit, answers=answers,
                               mixed=False))  # fmt: skip


def responses(*, session: orm.Session, survey_ids: list[int]) -> list[tuple[int, str, list[Any]]]:
    """(survey_id, unit, answers) of the surveys' responses, in the order of their random ids."""
    stmt = (
        sa.select(SurveyResponse.survey_id, SurveyResponse.unit, SurveyResponse.answers)
        .where(SurveyResponse.survey_id.in_(survey_ids))
        .order_by(SurveyResponse.id)
    )
    return [(int(s), u, list(a)) for s, u, a in session.execute(stmt)]


def unmixed_surveys(*, session: orm.Session) -> list[int]:
    stmt = sa.select(SurveyResponse.survey_id).where(SurveyResponse.mixed.is_(False)).distinct()
    return sorted(int(i) for i in session.scalars(stmt))


def mix(*, session: orm.Session, survey_id: int) -> int:
    """Rewrite a survey's responses in a random order with new random ids, all in this one transaction: after it,
    neither row order, ids nor the database's transaction ids tell when (or with whom) an answer came in."""
    rows = session.execute(
        sa.select(SurveyResponse.unit, SurveyResponse.answers).where(SurveyResponse.survey_id == survey_id)
    ).all()
    shuffled = [(u, list(a)) for u, a in rows]
    secrets.SystemRandom().shuffle(shuffled)
    session.execute(sa.delete(SurveyResponse).where(SurveyResponse.survey_id == survey_id))
    if shuffled:
        session.execute(sa.insert(SurveyResponse), [
            {"id": secrets.token_hex(16), "survey_id": survey_id, "unit": u, "answers": a, "mixed": True}
            for u, a in shuffled
        ])  # fmt: skip
    return len(shuffled)


# -- 民主测评 links -------------------------------------------------------------------------------------------------


def add_links(*, session: orm.Session, survey_id: int, unit: str, keys: list[str], now: datetime) -> None:
    session.execute(sa.insert(SurveyLink), [
        {"key": k, "survey_id": survey_id, "unit": unit, "created_at": now, "used": False} for k in keys
    ])  # fmt: skip


def link(*, session: orm.Session, key: str) -> SurveyLink | None:
    return session.get(SurveyLink, key)


def use_link(*, session: orm.Session, key: str) -> bool:
    """Mark a one-use link used; False when it already was (or does not exist). Atomic: two tabs cannot both win."""
    stmt = (
        sa.update(SurveyLink)
        .where(SurveyLink.key == key, SurveyLink.used.is_(False))
        .values(used=True)
        .returning(SurveyLink.key)
    )
    return session.execute(stmt, execution_options={"synchronize_session": False}).first() is not None
