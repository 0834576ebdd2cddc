"""民意调查 / 民主评议 in the console, for the office (治庸办) only: the list, a new survey written as YAML in a form
(checked like `survey create`: a mistake names the key), and one survey's results per unit and question (counts,
means, sample sizes; text answers masked). Every view is a line of the access log. Sending stays on the command line
(`flask --app bot survey send`), where a long send shows its progress.
"""

from __future__ import annotations

from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.base import bp
from bot.console.base import viewer
from bot.runtime import runtime
from bot.service import survey_answers as answers
from bot.service import surveys as service
from handlers.surveys import KINDS
from handlers.surveys import QUESTION_KINDS
from handlers.surveys import SurveyError
from handlers.surveys import parse_survey
from storage import surveys as repo

MAX_YAML = 20_000
EXAMPLE = """title: 窗口单位民主评议
units: [zwfw, bdc]              # 或 all
audience: {dealt_with_days: 90} # 民主测评：{staff_of: [bdc]}
opens: 2026-12-07
closes: 2026-12-21
questions:
  - {text: 您对该单位工作人员的服务态度是否满意？, kind: scale5}
  - {text: 您办理的业务是？, kind: choice, options: [登记, 查询, 其他]}
  - {text: 您还有什么意见建议？, kind: text}
"""


def _listing(source: str, error: str | None = None) -> str:
    rt = runtime()
    with rt.db.transaction() as s:
        rows = repo.listing(session=s)
        counts = repo.counts(session=s, survey_ids=[r.id for r in rows])
        log_access(s, "view_surveys")
    return render_template("console/surveys.html", surveys=rows, counts=counts, kinds=KINDS, source=source,
                           error=error, status=lambda r: answers.STATUS_LABELS[answers.status(r, rt.now())],
                           city=rt.settings.city)  # fmt: skip


@bp.get("/surveys")
@login_required("office")
def survey_list() -> str:
    return _listing(EXAMPLE)


@bp.post("/surveys")
@login_required("office")
def survey_create() -> Response | tuple[str, int]:
    rt = runtime()
    source = request.form.get("source", "")[:MAX_YAML]
    try:
        checked = parse_survey(source, source="问卷", city=rt.settings.city)
    except SurveyError as exc:
        return _listing(source, str(exc)), 400
    with rt.db.transaction() as s:
        survey = service.create(s, rt, checked, source=source, created_by=viewer().actor, now=rt.now())
        log_access(s, "survey_create", target=str(survey.id))
        survey_id = survey.id
    flash(f"问卷已创建（编号 {survey_id}）。在服务器上运行 flask --app bot survey send {survey_id} 发送邀请。", "ok")
    return redirect(url_for("console.survey_page", survey_id=survey_id), code=303)  # type: ignore[return-value]


@bp.get("/surveys/<int:survey_id>")
@login_required("office")
def survey_page(survey_id: int) -> str:
    rt = runtime()
    with rt.db.transaction() as s:
        survey = repo.get(session=s, survey_id=survey_id)
        if survey is None:
            abort(404)
        results = service.results(s, survey)
        counts = repo.counts(session=s, survey_ids=[survey.id])[survey.id]
        log_access(s, "view_survey", target=str(survey.id))
        state = answers.status(survey, rt.now())
        return render_template("console/survey.html", survey=survey, results=results, counts=counts, kinds=KINDS,
                               question_kinds=QUESTION_KINDS, state=state, status=answers.STATUS_LABELS[state],
                               city=rt.settings.city)  # fmt: skip


@bp.post("/surveys/<int:survey_id>/close")
@login_required("office")
def survey_close(survey_id: int) -> Response:
    rt = runtime()
    try:
        survey, added = service.close_by_hand(rt, survey_id, now=rt.now())
    except service.SurveyRefused as exc:
        flash(str(exc), "error")
    else:
        with rt.db.transaction() as s:
            log_access(s, "survey_close", target=str(survey_id))
        extra = f"，{added} 条民主测评结果已记入活档案" if survey.kind == "staff" else ""
        flash(f"问卷已结束{extra}。", "ok")
    return redirect(url_for("console.survey_page", survey_id=survey_id), code=303)  # type: ignore[return-value]
