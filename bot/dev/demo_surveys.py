"""The demo city's 民意调查: one survey open from three days before the seed to two weeks after, about the windows the
tour's citizens deal with, with a few answers already in so its results are not empty. Invitations are left to
the tour (`flask --app bot survey send ID`), so the simulator shows them arriving. Development only; removed with the
demo on reseed.
"""

from __future__ import annotations

import random
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from bot.dev.demo_plan import REPORTER_POOL
from bot.runtime import Runtime
from bot.service import survey_answers
from bot.service import surveys as service
from handlers.surveys import parse_survey
from storage import surveys as repo
from storage.models import QrScan
from storage.models import Survey
from storage.models import SurveyInvitation
from storage.models import SurveyLink
from storage.models import SurveyParticipation
from storage.models import SurveyResponse

DEMO_CREATOR = "demo"
SURVEY = """title: 窗口单位民主评议（演示）
units: [bdc, gaj, zwfw]
audience: {{dealt_with_days: 90}}
opens: {opens}
closes: {closes}
questions:
  - {{text: 您对该单位工作人员的服务态度是否满意？, kind: scale5}}
  - {{text: 您对办事效率是否满意？, kind: scale5}}
  - {{text: 您这次办理的是什么业务？, kind: choice, options: [登记/办证, 咨询/查询, 缴费, 其他]}}
  - {{text: 您还有什么意见建议？, kind: text}}
"""
SUGGESTIONS = ("窗口太少，中午排队很久", "希望一次性告知需要的材料", None, None, "工作人员很耐心，点赞", None)


def seed(rt: Runtime, now: datetime, rng_seed: int = 16) -> str:
    """Create the open demo survey and let a dozen of the demo's reporters have answered; returns a line for `demo
    seed`."""
    rng = random.Random(rng_seed)
    today = now.astimezone(rt.tz).date()
    text = SURVEY.format(opens=today - timedelta(days=3), closes=today + timedelta(days=14))
    checked = parse_survey(text, source="demo", city=rt.settings.city)
    with rt.db.transaction() as session:
        survey = service.create(session, rt, checked, source=text, created_by=DEMO_CREATOR, now=now)
        for openid in REPORTER_POOL[20:32]:
            pseudonym = rt.pseudonymize(openid)
            unit = rng.choice(("bdc", "bdc", "gaj", "zwfw"))
            repo.invite(session=session, survey_id=survey.id, pseudonym=pseudonym, unit=unit, channel="template",
                        link_key=survey_answers.citizen_key(rt, survey.id, pseudonym), now=now - timedelta(days=2))  # fmt: skip
            answers = [rng.choice((5, 4, 4, 3, 2)), rng.choice((5, 4, 3, 3, 1)), rng.randrange(4),
                       rng.choice(SUGGESTIONS)]  # fmt: skip
            survey_answers.record(session, survey, unit, pseudonym, answers)
        repo.mix(session=session, survey_id=survey.id)
        survey_id = survey.id
    return f"民意调查：演示问卷进行中（编号 {survey_id}），发送邀请：flask --app bot survey send {survey_id}"


def remove(session: orm.Session, pseudonyms: set[str]) -> None:
    """Before a reseed: the demo's surveys with everything of theirs, and the demo people's QR scans and invitations."""
    ids = list(session.scalars(sa.select(Survey.id).where(Survey.created_by == DEMO_CREATOR)))
    for model in (SurveyResponse, SurveyParticipation, SurveyInvitation, SurveyLink):
        session.execute(sa.delete(model).where(model.survey_id.in_(ids)))  # type: ignore[attr-defined]
    session.execute(sa.delete(Survey).where(Survey.id.in_(ids)))
    session.execute(sa.delete(SurveyInvitation).where(SurveyInvitation.pseudonym.in_(pseudonyms)))
    session.execute(sa.delete(QrScan).where(QrScan.pseudonym.in_(pseudonyms)))
