"""The weekly digest job: figures from the database (`storage.reports`) into `handlers.digest.Digest`, notices via
the outbox.

The digest sent on Monday 09:00 (Asia/Shanghai, whatever the host's zone) covers the previous ISO week; a
digest missed while the scheduler was down goes out once on restart and covers every week since the last one.
Notices carry counts and a link only; the office's paper also lists the week's approved 查看身份 (never an identity),
what was found (查实率) and who was held to account (问责人次), under a short narrative against the week before,
and names the units at the bottom of the monthly standing two months running for 约谈 (`bot.service.ranking`). A
sent digest is kept as sent (`digest_issues`): the console and `digest --week` read a past week back from there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service import ranking
from handlers import digest as figures
from handlers import digest_paper as paper
from handlers import notices
from handlers.lifecycle import AWAITING_ANSWER
from handlers.lifecycle import OPEN_STATES
from handlers.schedule import estimate_notice
from storage import accountability as acc_repo
from storage import digests as digests_repo
from storage import jobs as ledger
from storage import outbox
from storage import reports
from storage import reveals as reveals_repo

MAX_CATCH_UP_WEEKS = 12


def case_facts(row: Any) -> figures.CaseFacts:
    """A case row (an ORM object or a row with the same columns) as the digest's definitions read it."""
    satisfied = None
    if row.rating_outcome is not None:
        satisfied = row.rating_outcome != "3" and row.rating_conduct != "C"
    return figures.CaseFacts(
        number=row.number, unit=row.respondent_unit, category=row.category, state=row.state,
        created_at=row.created_at, sign_due=row.sign_due, signed_at=row.signed_at, answer_due=row.answer_due,
        answered_at=row.answered_at, escalated=row.escalated_at is not None,
        rated_at=row.rated_at, satisfied=satisfied, window=row.window,
    )  # fmt: skip


def build(
    rt: Runtime, session: orm.Session, *, start: datetime, end: datetime, as_of: datetime, week: str
) -> figures.Digest:
    """The digest's figures, computed by the database (`storage.reports`): a few aggregate queries whatever the
    size of the history (1,000,000 cases: ~5 s on PostgreSQL against ~45 s for loading them as objects)."""
    rows = reports.digest_rows(session, start=start, end=end, as_of=as_of, open_states=OPEN_STATES,
                               awaiting_states=AWAITING_ANSWER, units=[u.code for u in rt.settings.city.units])  # fmt: skip
    units = {code: figures.UnitStats(**asdict(counts)) for code, counts in rows.units.items()}
    reveals = [figures.RevealLine(r.case_number, r.requester, r.decider or "", r.reason)
               for r in reveals_repo.approved_between(session=session, start=start, end=end)]  # fmt: skip
    findings = Counter(verdict for _unit, verdict, _status in acc_repo.findings_between(session=session, start=start,
                                                                                         end=end))  # fmt: skip
    held = [figures.HeldLine(r.number, r.unit, r.post, r.measure, r.status)
            for r in acc_repo.records_between(session=session, start=start, end=end)]  # fmt: skip
    notice = estimate_notice(rt.calendar, as_of.astimezone(rt.tz).date())
    return figures.Digest(week, start, end, as_of, units, figures.rank(units.values()), rows.per_supervisor,
                          rows.overdue, rows.escalated, rows.hot_spots, rows.typical_good, rows.typical_bad,
                          reveals, calendar_notice=notice, min_cases=rt.settings.city.digest.ranking_min_cases,
                          findings=dict(findings), held=held)  # fmt: skip


def with_narrative(rt: Runtime, session: orm.Session, d: figures.Digest) -> figures.Digest:
    """Add the Monday paper's narrative: this period against the one before (as sent, when it was)."""
    span = d.end - d.start
    before = d.start - span
    previous_week = figures.week_of(before, rt.tz)
    stored = digests_repo.get(session=session, week=previous_week) if span == timedelta(days=7) else None
    if stored is not None:
        previous = paper.from_dict(stored.content)
    else:
        previous = build(rt, session, start=before, end=d.start, as_of=d.start, week=previous_week)
    # 约谈: a unit at the bottom of the monthly standing two months running (the months ended by the period's end).
    d.talks, d.talk_months = ranking.flagged_for_talk(session, rt, d.end)
    d.narrative = paper.narrative(d, previous, rt.settings.city)
    return d


def issue(rt: Runtime, session: orm.Session, week: str, now: datetime) -> tuple[figures.Digest, datetime | None]:
    """The digest of `week` as it was sent (and when), or — never sent — as the figures stand now.

    :raises ValueError: `week` is not an ISO week.
    """
    stored = digests_repo.get(session=session, week=week)
    if stored is not None:
        return paper.from_dict(stored.content), stored.sent_at
    start = figures.week_start(week, rt.tz)
    end = start + timedelta(days=7)
    return with_narrative(rt, session, build(rt, session, start=start, end=end, as_of=min(now, end), week=week)), None


def enqueue(session: orm.Session, rt: Runtime, d: figures.Digest, now: datetime) -> int:
    """One template notice per supervisor and unit head: counts and a link, never case text."""
    link = f"{rt.settings.env.public_base_url}/console/digest/{d.week}"
    sent = 0
    for sup in rt.settings.city.supervisors:
        mine = d.per_supervisor.get(sup.id, {"open": [], "due_this_week": [], "overdue": []})
        if sup.role == "unit_head":
            s = d.units.get(sup.member_of) or figures.UnitStats(sup.member_of)
            count_new, count_overdue = s.received, s.overdue
        elif rt.settings.city.office_code in sup.units:
            count_new, count_overdue = len(d.escalated), len(d.overdue)
        else:
            count_new, count_overdue = len(mine["due_this_week"]), len(mine["overdue"])
        sent += outbox.enqueue(
            session=session,
            key=f"digest:{d.week}:{sup.id}",
            recipient_kind="supervisor",
            recipient=sup.id,
            purpose="weekly_digest",
            payload=notices.supervisor_payload(
                f"【周报】治庸问责周报 {d.week} 已生成：需关注 {count_new} 件，超期 {count_overdue} 件。详情：{link}",
                count_new,
                count_overdue,
                link,
                notices.NOTICE_KINDS["digest"],
            ),  # fmt: skip
            now=now,
        )
    return sent


def send_weekly(rt: Runtime, now: datetime) -> str:
    cfg, tz = rt.settings.city.escalation, rt.tz
    slot = figures.latest_slot(now, cfg.digest_weekday, cfg.digest_time, tz)
    end = figures.week_start(figures.week_of(slot, tz), tz)  # the slot's Monday: the digest covers the weeks before
    week = figures.week_of(end - timedelta(days=1), tz)
    with rt.db.transaction() as session:
        previous = ledger.last_run(session=session, job="digest")
        if not ledger.claim_run(session=session, job="digest", period=week, now=now):
            return f"digest {week} already sent"
        start = end - timedelta(days=7)
        if previous is not None and previous.period < week:
            # Catch up: one digest covering every week since the last one that went out.
            start = max(
                figures.week_start(previous.period, tz) + timedelta(days=7), end - timedelta(weeks=MAX_CATCH_UP_WEEKS)
            )
        d = with_narrative(rt, session, build(rt, session, start=start, end=end, as_of=now, week=week))
        # Kept as sent: the console, `digest --week` and the Word paper read this week back, never recomputed.
        digests_repo.save(session=session, week=week, start=start, end=end, as_of=now, sent_at=now,
                          content=paper.to_dict(d))  # fmt: skip
        n = enqueue(session, rt, d, now)
        weeks = round((end - start) / timedelta(days=7))
        summary = f"digest {week} covering {weeks} week(s): {n} notices queued"
        ledger.finish_run(session=session, job="digest", period=week, now=now, result=summary)
    return summary
