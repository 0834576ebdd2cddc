"""Twelve weeks of plausible history for the browser tests' screenshots, through the real casework code.

Every case is submitted with `casework.submit` and worked with `casework.act` at past moments (signed on time or
late, answered, rated), so the dashboard's rates, trends and hot spots come from genuine rows.
"""

from __future__ import annotations

import random
from datetime import datetime
from datetime import timedelta

from bot import create_app
from bot.runtime import runtime
from bot.service import casework
from bot.settings import Settings
from handlers.dialog.types import CaseDraft
from handlers.lifecycle import IllegalTransition
from storage import cases as cases_repo

TEMPLATES = [
    ("bdc", "attitude", "在不动产登记中心{w}号窗口办房产证，工作人员态度很差，爱答不理"),
    ("bdc", "obstruction", "不动产登记中心办过户让我来回跑了三趟，材料要了又要"),
    ("gaj", "discipline", "派出所户籍室办身份证，民警上班时间玩手机，让群众干等"),
    ("cgs", "obstruction", "车管所换驾照推诿扯皮，让我去找别的窗口"),
    ("rsj", "access", "社保中心办退休手续电话一直没人接，窗口也没人"),
    ("zwfw", "attitude", "市民之家{w}号综合窗口工作人员不耐烦，训斥办事群众"),
    ("swj", "incompetence", "税务局代开发票，工作人员业务不熟说法前后不一"),
    ("cgj", "abuse", "城管执法队员粗暴执法，没收摊贩的东西还推搡"),
    ("scj", "obstruction", "市场监管局办营业执照一次性告知做不到，让我跑了好几趟"),
    ("jyj", "attitude", "教育局招生办咨询孩子入学，工作人员态度冷漠"),
]


def seed_history(settings: Settings, now: datetime, *, weeks: int = 12, per_week: int = 9, rng_seed: int = 7) -> int:
    """Seed `weeks` weeks of cases ending before `now`; returns how many cases were made."""
    app = create_app(settings)
    rt = runtime(app)
    rng = random.Random(rng_seed)
    made = 0
    try:
        for week in range(weeks, 0, -1):
            for i in range(per_week + rng.randint(-3, 3) + (weeks - week) // 3):
                unit, category, template = rng.choice(TEMPLATES)
                at = now - timedelta(weeks=week, hours=rng.randint(0, 24 * 6), minutes=rng.randint(0, 59))
                text = template.format(w=rng.randint(1, 3))
                made += _one_case(rt, rng, text, unit, category, at, now, f"o_seed_{week}_{i}")
    finally:
        rt.db.dispose()
    return made


def _one_case(rt, rng, text, unit, category, at, now, openid) -> int:  # type: ignore[no-untyped-def]
    classification = rt.classifier.classify(text)
    draft = CaseDraft(text=text, category=category, unit=unit, classification=classification, triage=False,
                      unit_source="named", window=str(rng.randint(1, 3)) if unit in ("bdc", "zwfw") else None)  # fmt: skip
    with rt.db.transaction() as s:
        case = casework.submit(s, rt, draft, rt.pseudonymize(openid), at)
        handler = next((a.supervisor_id for a in cases_repo.assignees(session=s, case_id=case.id)), "system")
        steps: list[tuple[str, timedelta, str | None]] = [("sign", timedelta(hours=rng.choice([1, 3, 30, 52])), None)]
        if rng.random() < 0.85:
            steps.append(("reply", timedelta(days=rng.choice([1, 2, 3, 5, 9])), "已核实并约谈相关工作人员，责令整改。"))
            if rng.random() < 0.8:
                good = rng.random() < 0.75
                steps.append(("rate_satisfied" if good else "rate_unsatisfied", timedelta(days=rng.choice([1, 2])),
                              None))  # fmt: skip
        when = at
        for action, delay, note in steps:
            when = when + delay
            if when >= now:
                break
            rating = ("1", "A") if action == "rate_satisfied" else ("3", "C") if action == "rate_unsatisfied" else None
            try:
                casework.act(s, rt, case, action, actor="system" if rating else handler, now=when, note=note,
                             rating=rating)  # fmt: skip
            except IllegalTransition:
                break
        if case.state in ("assigned", "signed", "in_progress") and case.answer_due and case.answer_due < now:
            case.overdue = True
    return 1
