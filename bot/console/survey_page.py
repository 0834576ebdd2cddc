"""The mobile survey page (`/survey/<signed link>`, no sign-in): a plain HTML form that works without JavaScript.

The link is the credential: signed with SECRET_KEY (`bot.service.survey_answers`), made for one citizen's
invitations or for one use of a 民主测评. A link we did not sign answers 403, a survey that has not opened or has
closed 400 — each with a page that says so in Chinese, and nothing written. The form posts back to its own link
with a field bound to the link (and the Origin is checked), so no other page can post answers in a visitor's name.
Each unit is answered once: a second attempt is told, politely, that the answer was already received (409).
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint
from flask import Response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.exceptions import HTTPException

from bot.console.security import InvalidInput
from bot.console.security import apply_headers
from bot.console.security import check_same_origin
from bot.console.security import refuse_nul
from bot.runtime import Runtime
from bot.runtime import runtime
from bot.service import survey_answers as answers
from handlers.surveys import SCALE5
from handlers.surveys import AnswerError
from handlers.surveys import Question
from handlers.surveys import questions_from
from handlers.surveys import read_answer
from storage import surveys as repo
from storage.models import Survey

bp = Blueprint("survey_page", __name__, url_prefix="/survey")


class PageError(HTTPException):
    """A refusal shown as a page: the status and what the visitor is told."""

    def __init__(self, code: int, title: str, message: str) -> None:
        super().__init__(description=message)
        self.code, self.title = code, title


def _headers(resp: Response) -> Response:
    resp = apply_headers(resp)
    resp.headers["X-Robots-Tag"] = "noindex, nofollow"
    return resp


bp.before_request(refuse_nul)
bp.after_request(_headers)


@bp.errorhandler(PageError)
def _refused(exc: PageError) -> tuple[str, int]:
    return render_template("survey/message.html", title=exc.title, message=exc.description,
                           city=runtime().settings.city), exc.code  # fmt: skip


@bp.errorhandler(InvalidInput)
def _invalid(exc: InvalidInput) -> tuple[str, int]:
    return render_template("survey/message.html", title="请求无效", message=exc.description,
                           city=runtime().settings.city), 400  # fmt: skip


@bp.errorhandler(403)
def _forbidden(exc: HTTPException) -> tuple[str, int]:
    return render_template("survey/message.html", title="无法提交", message="请求被拒绝：请从问卷链接打开页面后再提交。",
                           city=runtime().settings.city), 403  # fmt: skip


def _open_survey(rt: Runtime, session: Any, token: str) -> tuple[Survey, answers.Token]:
    """The survey behind a valid link that is open now; otherwise the refusal page."""
    found = answers.read_token(rt, token)
    if found is None:
        raise PageError(403, "链接无效", "这个问卷链接无效或不完整，请从邀请消息中重新打开。")
    survey = repo.get(session=session, survey_id=found.survey_id)
    if survey is None:
        raise PageError(403, "链接无效", "这个问卷链接无效或不完整，请从邀请消息中重新打开。")
    state = answers.status(survey, rt.now())
    if state == "closed":
        raise PageError(
            400, "问卷已结束", f"“{survey.title}”已于 {survey.closes:%Y年%m月%d日} 结束，链接已失效。感谢您的关注！"
        )
    if state == "scheduled":
        raise PageError(400, "问卷尚未开始", f"“{survey.title}”将于 {survey.opens:%Y年%m月%d日} 开始，请到时再来填写。")
    return survey, found


def _done(rt: Runtime, survey: Survey) -> PageError:
    return PageError(409, "已经收到", f"您对“{survey.title}”的回答已经收到，每人每个单位只需回答一次。感谢您的参与！")


def _form(rt: Runtime, survey: Survey, token: str, unit: str, pending: list[str], *, error: str | None = None,
          values: dict[str, str] | None = None) -> str:  # fmt: skip
    return render_template(
        "survey/form.html", survey=survey, questions=questions_from(survey.questions), unit=unit,
        unit_name=rt.settings.city.unit_name(unit), remaining=len(pending), city=rt.settings.city, token=token,
        guard=answers.form_guard(rt, token), scale=sorted(SCALE5.items(), reverse=True), error=error,
        values=values or {}, staff=survey.kind == "staff",
    )  # fmt: skip


@bp.get("/<token>")
def page(token: str) -> str:
    rt = runtime()
    with rt.db.transaction() as s:
        survey, found = _open_survey(rt, s, token)
        pending = answers.pending_for(s, survey, found)
        if not pending:
            if (
                found.kind == answers.CITIZEN
                and repo.holder(session=s, survey_id=survey.id, link_key=found.key) is None
            ):
                raise PageError(403, "链接无效", "这个问卷链接无效或不完整，请从邀请消息中重新打开。")
            return render_template("survey/message.html", title="感谢参与", city=rt.settings.city,
                                   message=f"您对“{survey.title}”的回答已经收到。感谢您的参与！")  # fmt: skip
        return _form(rt, survey, token, pending[0], pending)


def _read(questions: tuple[Question, ...], form: Any) -> tuple[list[Any], str | None]:
    """The answers in question order, or the first problem to show above the form."""
    out: list[Any] = []
    for i, q in enumerate(questions):
        raw = form.get(f"q{i}", "")
        if q.kind != "text" and not raw:
            return out, f"请回答第{i + 1}题。"
        try:
            out.append(read_answer(q, raw))
        except AnswerError:
            return out, f"第{i + 1}题的回答无效，请重新选择。"
    return out, None


@bp.post("/<token>")
def submit(token: str) -> Response | tuple[str, int]:
    rt = runtime()
    with rt.db.transaction() as s:
        survey, found = _open_survey(rt, s, token)
        check_same_origin()
        sent = request.form.get("guard", "")
        if not hmac.compare_digest(sent.encode(), answers.form_guard(rt, token).encode()):
            raise PageError(403, "无法提交", "请求被拒绝：请从问卷链接打开页面后再提交。")
        unit = request.form.get("unit", "")
        pending = answers.pending_for(s, survey, found)
        if unit not in pending:
            if unit in survey.units:
                raise _done(rt, survey)
            raise PageError(400, "请求无效", "问卷内容有误，请从邀请消息中重新打开。")
        values, problem = _read(questions_from(survey.questions), request.form)
        if problem is not None:
            return _form(rt, survey, token, unit, pending, error=problem, values=dict(request.form)), 400
        if not answers.answer_by_link(s, survey, found, unit, values):
            raise _done(rt, survey)
    return redirect(url_for("survey_page.page", token=token), code=303)  # type: ignore[return-value]
