"""好差评 in one transaction: store a window's rating (one per citizen per visit) and, for a 差评 with its reason,
open a review case (kind review) for the unit's supervisors, routed like a complaint (回避 included), to be put right
within `reviews.rectify_days` working days under the usual ladder; and a month's summary of the ratings per unit and
window (`ratings summary`: the definitions are `handlers.ratings`')."""

from __future__ import annotations

import logging
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service import casework
from handlers import ratings as rules
from handlers.dialog.types import CaseDraft
from handlers.dialog.types import WindowRating
from handlers.ranking import month_bounds
from storage import cases as cases_repo
from storage import ratings as ratings_repo
from storage.models import Case

log = logging.getLogger("zhiyong.ratings")
LEVEL_NAMES = rules.LEVELS


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


def summary(session: orm.Session, rt: Runtime, month: str) -> dict[str, Any]:
    """`ratings summary --month M --json`: per unit and window, counts by level, 满意率, 差评率, score, the ratings
    upheld as 误评 (left out) and the praise. :raises ValueError: `month` is not YYYY-MM."""
    start, end = month_bounds(month, rt.tz)
    counts = ratings_repo.counts_by_level(session=session, start=start, end=end)
    excluded = ratings_repo.excluded_counts(session=session, start=start, end=end)
    praise = ratings_repo.praise_counts(session=session, start=start, end=end)
    units = rules.summarize(counts, excluded, praise, rt.settings.city.unit_name)
    total = rules.Tally()
    for _unit, _window, level, n in counts:
        total.counts[level] += n
    total.excluded = sum(n for *_, n in excluded)
    total.praise = sum(n for *_, n in praise)
    return {
        "month": month,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "levels": {str(lv): word for lv, word in rules.LEVELS.items()},
        "satisfied_levels": list(rules.SATISFIED_LEVELS),
        "poor_levels": list(rules.POOR_LEVELS),
        "definition": rules.DEFINITION,
        "totals": total.as_dict(),
        "units": units,
    }
