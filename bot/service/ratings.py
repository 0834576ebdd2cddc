"""好差评 in one transaction: store a window's rating (one per citizen per visit) and, for a 差评 with its reason,
open a review case (kind review) for the unit's supervisors, routed like a complaint (回避 included), to be put right
within `reviews.rectify_days` working days under the usual ladder."""

from __future__ import annotations

import logging
from datetime import datetime
from datetime import timedelta

from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service import casework
from handlers.dialog.types import CaseDraft
from handlers.dialog.types import WindowRating
from storage import cases as cases_repo
from storage import ratings as ratings_repo
from storage.models import Case

log = logging.getLogger("zhiyong.ratings")
LEVEL_NAMES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


def rate_window(session: orm.Session, rt: Runtime, rating: WindowRating, pseudonym: str, now: datetime) -> Case | None:
    """Record the rating; with a 差评's reason, open (or add to) its review case, which is returned."""
    cfg = rt.settings.city.reviews
    row = ratings_repo.record(session=session, pseudonym=pseudonym, unit=rating.unit, window=rating.window,
                              level=rating.level, at=now, replace_within=timedelta(minutes=cfg.replace_within_minutes))  # fmt: skip
    if not (rating.poor and rating.reason):
        return None
    row.reason = rating.reason
    if row.review_case_id is not None:
        case = session.get(Case, row.review_case_id)
        if case is not None:
            cases_repo.add_message(session=session, case=case, at=now, direction="citizen", kind="supplement",
                                   body=rating.reason, author=None)  # fmt: skip
            return case
    c = rt.classifier.classify(rating.reason)
    draft = CaseDraft(
        text=f"【窗口评价：{LEVEL_NAMES[rating.level]}】{rating.reason}",
        category=c.category,
        unit=rating.unit,
        classification=c,
        # The QR fixes the unit, not the behaviour: an unsure category goes to the triage desk like any report.
        triage=(c.category_confidence or c.confidence) < rt.settings.city.nlp.category_threshold,
        unit_source="qr",
        window=rating.window,
    )
    case = casework.submit(session, rt, draft, pseudonym, now, kind="review", answer_days=cfg.rectify_days)
    row.review_case_id = case.id
    log.info("window rating %s opened review case %s", rating.level, case.number)
    return case
