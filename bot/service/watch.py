"""At intake, what the office should know about a new case: very similar open cases to link it to, and a hot
spot when several reporters speak of one unit or window. The thresholds are config.yaml `watch:`, the decisions
`handlers.watch`, the counting `storage.case_lists`.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from bot.runtime import Runtime
from handlers import notices
from handlers import watch
from handlers.lifecycle import OPEN_STATES
from storage import case_lists
from storage import cases as cases_repo
from storage import outbox
from storage.models import Case


def link_related(session: orm.Session, rt: Runtime, case: Case, now: datetime) -> list[str]:
    """Link a new case to very similar open cases about the same unit (audited both ways)."""
    cfg = rt.settings.city.watch
    candidates = case_lists.recent_open_texts(session=session, unit=case.respondent_unit or "",
                                              since=now - timedelta(days=cfg.related_days), exclude_id=case.id,
                                              open_states=OPEN_STATES)  # fmt: skip
    matches = watch.related(case.text, candidates, cfg)
    if not matches:
        return []
    others = {c.number: c for c in session.scalars(sa.select(Case).where(Case.number.in_([m.number for m in matches])))}
    cases_repo.prefetch_audit_tails(session=session, case_ids=[c.id for c in others.values()])
    for m in matches:
        other = others[m.number]
        for a, b in ((case, other), (other, case)):
            cases_repo.append_event(session=session, case=a, at=now, actor="system", action="relate",
                                    from_state=a.state, to_state=a.state, note=f"{b.number} {m.score:.2f}")  # fmt: skip
    return [m.number for m in matches]


def hot_spot_check(session: orm.Session, rt: Runtime, case: Case, now: datetime) -> bool:
    """Enough reporters about one unit (or one window) within a few days: alert the office's desk once a week."""
    city = rt.settings.city
    scopes = watch.hot_spot_scopes(case.respondent_unit, case.window)
    since = now - timedelta(days=city.watch.hot_spot_days)
    counts = case_lists.reporter_counts(session=session, scopes=scopes, since=since)
    raised = False
    week = now.astimezone(rt.tz).strftime("%G-W%V")
    for spot in watch.hot_spots(counts, city.watch):
        link = f"{rt.settings.env.public_base_url}/console/cases?unit={spot.unit}"
        for sup in city.office_desk():
            raised |= outbox.enqueue(
                session=session,
                key=f"hotspot:{spot.unit}:{spot.window or '*'}:{week}:{sup.id}",
                recipient_kind="supervisor",
                recipient=sup.id,
                purpose="hot_spot",
                payload=notices.supervisor_payload(
                    watch.hot_spot_text(spot, city, link), spot.reporters, 0, link, notices.NOTICE_KINDS["hot_spot"]
                ),
                now=now,
                case_id=case.id,
            )
    return raised
