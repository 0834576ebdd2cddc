"""民意调查 / 民主评议 campaigns: create, send the invitations, close (民主测评 results into the 活档案), sum up.

- `create`: a checked survey (`handlers.surveys`) becomes a row; opens at 00:00 of `opens`, closes at 24:00 of
  `closes`, both in the city's time zone.
- `send`: the audience of a 民意调查 — citizens who reported (a case), rated a window (好差评) or scanned a QR code
  about one of its units within `dealt_with_days` — is invited once per citizen and unit, however often it runs.
  A citizen who wrote to the account within WeChat's 48-hour window gets a customer-service message (reply 开始 to
  answer in the chat, or open the link); anyone else a template message whose link opens the mobile page signed for
  them. Template payloads carry the survey's title, unit names, closing date and the link: no openid, no text.
- `close`: by the surveys job at the closing time or `survey close` by hand; a 民主测评's result per unit enters
  the 活档案 of that unit's officials through `bot.service.dossier.record_unit_assessment` (idempotent by ref).
- `unit_scores`: the ranking's survey component (the contract the monthly standing relies on).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service import dossier
from bot.service.survey_answers import CITIZEN
from bot.service.survey_answers import citizen_key
from bot.service.survey_answers import is_open
from bot.service.survey_answers import link_url
from bot.wechat.sender import SERVICE_WINDOW
from handlers.survey_results import UnitResult
from handlers.survey_results import assessment_text
from handlers.survey_results import level_score
from handlers.survey_results import summarise
from handlers.surveys import MAX_DAYS
from handlers.surveys import CheckedSurvey
from handlers.surveys import invitation_text
from handlers.surveys import questions_from
from handlers.surveys import unit_list
from storage import outbox
from storage import surveys as repo
from storage.models import Survey

log = logging.getLogger("zhiyong.surveys")
SEND_BATCH = 200  # citizens per transaction while sending


class SurveyRefused(Exception):
    """What cannot be done with this survey now (not found, not open, wrong kind); the message says why."""


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def create(session: orm.Session, rt: Runtime, checked: CheckedSurvey, *, source: str, created_by: str,
           now: datetime) -> Survey:  # fmt: skip
    spec = checked.spec
    row = repo.add(
        session=session, title=spec.title, kind=checked.kind, units=list(checked.units),
        audience=spec.audience.model_dump(exclude_none=True, mode="json"),
        questions=[q.model_dump(exclude_none=True, mode="json") for q in spec.questions], opens=spec.opens,
        closes=spec.closes, opens_at=_midnight(spec.opens, rt.tz),
        closes_at=_midnight(spec.closes + timedelta(days=1), rt.tz), source=source, created_by=created_by, now=now,
    )  # fmt: skip
    log.info("survey %s created kind=%s units=%d by=%s", row.id, row.kind, len(row.units), created_by)
    return row


def get(session: orm.Session, survey_id: int) -> Survey:
    survey = repo.get(session=session, survey_id=survey_id)
    if survey is None:
        raise SurveyRefused(f"没有编号为 {survey_id} 的问卷")
    return survey


# -- sending ----------------------------------------------------------------------------------------------------


@dataclass
class SendReport:
    audience: int = 0  # citizens in the audience
    invited: int = 0  # citizens invited by this send
    by_message: int = 0  # ... of them inside the 48-hour window (customer-service message)
    by_template: int = 0  # ... of them by template message with a signed link
    already: int = 0  # citizens every one of whose units was invited before

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _payload(rt: Runtime, survey: Survey, units: list[str], link: str, window_open: bool) -> dict[str, Any]:
    city = rt.settings.city
    template = {"kind": "survey_invite", "title": survey.title, "units": unit_list(city, units),
                "closes": f"{survey.closes:%Y-%m-%d}", "link": link}  # fmt: skip
    if not window_open:
        return {"template": template}
    return {"text": invitation_text(city, survey.title, tuple(units), survey.closes, link), "template": template}


def send(rt: Runtime, survey_id: int, *, now: datetime, progress: Callable[[int, int], None] | None = None,
         batch: int = SEND_BATCH) -> SendReport:  # fmt: skip
    """Invite the survey's audience (only while it is open); a second run invites only whom the first did not."""
    with rt.db.transaction() as session:
        survey = get(session, survey_id)
        if survey.kind != "citizen":
            raise SurveyRefused("民主测评不向市民发送邀请：请用 survey links 生成一次性链接，交给被测评单位")
        if not is_open(survey, now):
            raise SurveyRefused(f"问卷 {survey_id} 当前不在开放期（{survey.opens} 至 {survey.closes}），不能发送")
        days = min(int(survey.audience.get("dealt_with_days") or 0), MAX_DAYS)
        pairs = repo.audience(session=session, units=list(survey.units), since=now - timedelta(days=days), until=now)
    order = {u: i for i, u in enumerate(survey.units)}
    by_citizen: dict[str, list[str]] = {}
    for pseudonym, unit in pairs:
        by_citizen.setdefault(pseudonym, []).append(unit)
    citizens = sorted(by_citizen.items())
    report = SendReport(audience=len(citizens))
    for start in range(0, len(citizens), batch):
        chunk = citizens[start : start + batch]
        with rt.db.transaction() as session:
            survey = get(session, survey_id)
            names = [p for p, _ in chunk]
            before = repo.invited(session=session, survey_id=survey.id, pseudonyms=names)
            last = repo.last_messages(session=session, pseudonyms=names)
            for pseudonym, units in chunk:
                new = sorted((u for u in units if (pseudonym, u) not in before), key=order.__getitem__)
                if not new:
                    report.already += 1
                    continue
                at = last.get(pseudonym)
                window_open = at is not None and now - at < SERVICE_WINDOW
                channel = "message" if window_open else "template"
                key = citizen_key(rt, survey.id, pseudonym)
                for unit in new:
                    repo.invite(session=session, survey_id=survey.id, pseudonym=pseudonym, unit=unit, link_key=key,
                                channel=channel, now=now)  # fmt: skip
                batch_id = hashlib.sha256(",".join(new).encode()).hexdigest()[:12]
                outbox.enqueue(session=session, key=f"survey:{survey.id}:{pseudonym}:{batch_id}",
                               recipient_kind="citizen", recipient=pseudonym, purpose="survey_invite",
                               payload=_payload(rt, survey, new, link_url(rt, survey.id, CITIZEN, key), window_open),
                               now=now, channel="auto" if window_open else "template")  # fmt: skip
                report.invited += 1
                if window_open:
                    report.by_message += 1
                else:
                    report.by_template += 1
        if progress is not None:
            progress(min(start + batch, len(citizens)), len(citizens))
    log.info("survey %s sent: %s", survey_id, " ".join(f"{k}={v}" for k, v in report.as_dict().items()))
    return report


# -- closing --------------------------------------------------------------------------------------------------


def results(session: orm.Session, survey: Survey) -> list[UnitResult]:
    rows = repo.responses(session=session, survey_ids=[survey.id])
    return summarise(questions_from(survey.questions), list(survey.units), ((u, a) for _, u, a in rows))


def close(session: orm.Session, rt: Runtime, survey: Survey, now: datetime) -> int:
    """Close the survey (at its closing time, or now if earlier); a 民主测评 enters each unit's result in the 活档案
    of its officials. Returns the 活档案 entries added (0 when run again: the hook is idempotent by ref)."""
    if survey.closed_at is None:
        survey.closed_at = min(now, survey.closes_at)
    if survey.kind != "staff":
        return 0
    on_date = (survey.closed_at - timedelta(microseconds=1)).astimezone(rt.tz).date()
    added = 0
    for result in results(session, survey):
        if not result.respondents:
            continue  # nothing to enter: no vote came in for this unit
        added += dossier.record_unit_assessment(session, rt, unit=result.unit, on_date=on_date, title=survey.title,
                                                result=assessment_text(result), ref=f"survey:{survey.id}:{result.unit}",
                                                now=now)  # fmt: skip
    return added


def close_by_hand(rt: Runtime, survey_id: int, *, now: datetime) -> tuple[Survey, int]:
    with rt.db.transaction() as session:
        survey = get(session, survey_id)
        if now < survey.opens_at:
            raise SurveyRefused(f"问卷 {survey_id} 尚未开始（{survey.opens} 开始），不能结束")
        added = close(session, rt, survey, now)
        session.flush()
        session.expunge(survey)  # the caller reads it after the transaction
    log.info("survey %s closed by hand, %d 活档案 entries", survey_id, added)
    return survey, added


def sweep(rt: Runtime, now: datetime) -> str:
    """The surveys job: close what is due, mix new answers into their survey, forget QR scans older than a year."""
    closed = entries = mixed = 0
    with rt.db.transaction() as session:
        for survey in repo.due_to_close(session=session, now=now):
            entries += close(session, rt, survey, now)
            closed += 1
    with rt.db.transaction() as session:
        for survey_id in repo.unmixed_surveys(session=session):
            mixed += repo.mix(session=session, survey_id=survey_id)
    with rt.db.transaction() as session:
        dropped = repo.drop_scans(session=session, before=now - timedelta(days=MAX_DAYS + 1))
    return f"{closed} surveys closed, {entries} 活档案 entries, {mixed} answers mixed, {dropped} old scans dropped"


# -- the ranking's survey component -----------------------------------------------------------------------------


def unit_scores(session: orm.Session, rt: Runtime, start: datetime, end: datetime) -> dict[str, tuple[float, int]]:
    """Each unit's survey score and sample size over the citizen surveys (民意调查, never 民主测评) that closed in
    [start, end): score = the mean of every scale5 answer about the unit, mapped 1 → 0, 2 → 25, 3 → 50, 4 → 75,
    5 → 100; sample size = the number of respondents (answer sets about the unit) with at least one scale5 answer.

    Only units with at least one such respondent appear: a unit missing from the result has no survey sample.
    A survey counts once it has closed (by the job, by hand, or past its closing time) at or before `rt.now()`.
    """
    surveys = repo.closed_between(session=session, kind="citizen", start=start, end=end, now=rt.now())
    if not surveys:
        return {}
    scale = {s.id: [i for i, q in enumerate(s.questions) if q.get("kind") == "scale5"] for s in surveys}
    units = {s.id: set(s.units) for s in surveys}
    totals: dict[str, list[float]] = {}
    respondents: dict[str, int] = {}
    for survey_id, unit, answers in repo.responses(session=session, survey_ids=list(scale)):
        if unit not in units[survey_id]:
            continue
        levels = [a for i in scale[survey_id] if i < len(answers) and isinstance(a := answers[i], int) and 1 <= a <= 5]
        if not levels:
            continue
        totals.setdefault(unit, []).extend(level_score(level) for level in levels)
        respondents[unit] = respondents.get(unit, 0) + 1
    return {unit: (round(sum(scores) / len(scores), 2), respondents[unit]) for unit, scores in sorted(totals.items())}
