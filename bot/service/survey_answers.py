"""Answering a survey: the signed links, the chat's open invitation, and one answer per citizen (or link) and unit.

Links are signed with `SECRET_KEY` (itsdangerous, its own salt) and carry the survey id and a key — for a citizen
HMAC(SECRET_KEY, survey id and pseudonym), so the link names nobody; for a 民主测评 a random secret whose SHA-256 is
the one-use `survey_links` row. A link works from the survey's opening until it closes, never after.

One answer each: the participation row (or the link's `used` mark) and the answer row are written in one
transaction, and a second attempt finds the first and writes nothing. The two rows share nothing (see
`storage.models.surveys`); nothing here logs who answered what.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature
from itsdangerous import URLSafeSerializer
from sqlalchemy import orm

from bot.runtime import Runtime
from handlers.surveys import SurveyInvite
from handlers.surveys import questions_from
from storage import surveys as repo
from storage.models import Survey

log = logging.getLogger("zhiyong.surveys")
SALT = "zhiyong-survey-link"
CITIZEN, STAFF = "i", "l"  # what a link's key names: a citizen's invitations, or a one-use 民主测评 link


def is_open(survey: Survey, now: datetime) -> bool:
    return survey.closed_at is None and survey.opens_at <= now < survey.closes_at


def status(survey: Survey, now: datetime) -> str:
    """scheduled (not yet open), open, or closed (by the job, by hand, or past its closing time)."""
    if survey.closed_at is not None or now >= survey.closes_at:
        return "closed"
    return "open" if now >= survey.opens_at else "scheduled"


STATUS_LABELS = {"scheduled": "未开始", "open": "进行中", "closed": "已结束"}


# -- links --------------------------------------------------------------------------------------------------------


def _serializer(rt: Runtime) -> URLSafeSerializer:
    return URLSafeSerializer(rt.settings.env.secret_key, salt=SALT)


def citizen_key(rt: Runtime, survey_id: int, pseudonym: str) -> str:
    """The key in a citizen's link: the same on every send, so a second send makes the same link."""
    msg = f"survey-invite:{survey_id}:{pseudonym}".encode()
    return hmac.new(rt.settings.env.secret_key.encode(), msg, hashlib.sha256).hexdigest()[:32]


def link_url(rt: Runtime, survey_id: int, kind: str, key: str) -> str:
    token = _serializer(rt).dumps([survey_id, kind, key])
    return f"{rt.settings.env.public_base_url.rstrip('/')}/survey/{token}"


def new_staff_keys(count: int) -> list[tuple[str, str]]:
    """(secret for the link, SHA-256 the database keeps) for `count` one-use links."""
    secrets_ = [secrets.token_urlsafe(16) for _ in range(count)]
    return [(s, hashlib.sha256(s.encode()).hexdigest()) for s in secrets_]


@dataclass(frozen=True, slots=True)
class Token:
    survey_id: int
    kind: str  # CITIZEN | STAFF
    key: str


def read_token(rt: Runtime, token: str) -> Token | None:
    """The link's contents, or None when it was not signed by us (forged, altered, truncated)."""
    try:
        data: Any = _serializer(rt).loads(token)
    except BadSignature:
        return None
    if not (isinstance(data, list) and len(data) == 3 and isinstance(data[0], int) and data[1] in (CITIZEN, STAFF)
            and isinstance(data[2], str)):  # fmt: skip
        return None
    return Token(data[0], data[1], data[2])


def form_guard(rt: Runtime, token: str) -> str:
    """The page's CSRF field: bound to the link, so only a page served for this link can post to it."""
    return hmac.new(rt.settings.env.secret_key.encode(), f"survey-form:{token}".encode(), hashlib.sha256).hexdigest()


# -- what a link or a citizen may still answer ----------------------------------------------------------------


def pending_for(session: orm.Session, survey: Survey, token: Token) -> list[str]:
    """The units this link may still answer about: a citizen's unanswered, undeclined invitations, or the one unit
    of an unused 民主测评 link."""
    if token.kind == STAFF:
        row = repo.link(session=session, key=hashlib.sha256(token.key.encode()).hexdigest())
        if row is None or row.survey_id != survey.id:
            return []
        return [] if row.used else [row.unit]
    pseudonym = repo.holder(session=session, survey_id=survey.id, link_key=token.key)
    if pseudonym is None:
        return []
    return repo.pending_units(session=session, survey_id=survey.id, pseudonym=pseudonym)


def invite_for(session: orm.Session, pseudonym: str, now: datetime) -> SurveyInvite | None:
    """The chat's open invitation for this citizen: an open survey with units they may still answer about — or,
    when they have answered every unit of an open survey, that survey with no units (so 开始 hears it was received)."""
    survey = repo.open_invitation(session=session, pseudonym=pseudonym, now=now)
    if survey is not None:
        units = repo.pending_units(session=session, survey_id=survey.id, pseudonym=pseudonym)
        return SurveyInvite(survey.id, survey.title, tuple(units), questions_from(survey.questions))
    answered = repo.open_invitation(session=session, pseudonym=pseudonym, now=now, pending=False)
    if answered is None:
        return None
    return SurveyInvite(answered.id, answered.title, (), questions_from(answered.questions))


# -- answering --------------------------------------------------------------------------------------------------


def record(session: orm.Session, survey: Survey, unit: str, participant: str, answers: list[Any]) -> bool:
    """One citizen's answers about one unit: participation first (the one-answer rule), then the anonymous answer
    row. False (and nothing written) when this citizen had already answered about this unit."""
    if not repo.participate(session=session, survey_id=survey.id, unit=unit, participant=participant):
        return False
    repo.add_response(session=session, survey_id=survey.id, unit=unit, answers=answers)
    return True


def answer_by_link(session: orm.Session, survey: Survey, token: Token, unit: str, answers: list[Any]) -> bool:
    """An answer through a signed link; False when this link already answered about this unit."""
    if token.kind == STAFF:
        key = hashlib.sha256(token.key.encode()).hexdigest()
        row = repo.link(session=session, key=key)
        if row is None or row.survey_id != survey.id or row.unit != unit or not repo.use_link(session=session, key=key):
            return False
        repo.add_response(session=session, survey_id=survey.id, unit=unit, answers=answers)
        return True
    pseudonym = repo.holder(session=session, survey_id=survey.id, link_key=token.key)
    if pseudonym is None:
        return False
    return record(session, survey, unit, pseudonym, answers)


def answer_in_chat(session: orm.Session, rt: Runtime, pseudonym: str, survey_id: int, unit: str,
                   answers: tuple[Any, ...], now: datetime) -> str | None:  # fmt: skip
    """The chat's finished unit; returns a reply that replaces the dialog's when the answer cannot be taken."""
    survey = repo.get(session=session, survey_id=survey_id)
    if survey is None or not is_open(survey, now):
        return "抱歉，本次调查已经结束，您的回答未能保存。感谢您的关注！"
    if unit not in survey.units or len(answers) != len(survey.questions):
        return "抱歉，问卷已更新，您的回答未能保存。"
    if not record(session, survey, unit, pseudonym, list(answers)):
        return f"您对{rt.settings.city.unit_name(unit)}的评价此前已经收到，每人每个单位只需回答一次。谢谢您！"
    return None


def decline(session: orm.Session, pseudonym: str, survey_id: int, units: tuple[str, ...]) -> None:
    """不参加 / 停止: these invitations are never brought up again."""
    repo.decline(session=session, survey_id=survey_id, pseudonym=pseudonym, units=list(units))
