"""The units' monthly standing: gather each unit's figures for a month (`storage.ranking`, `storage.ratings`,
the inspections, and the survey scores when `bot.service.surveys` exists), score and rank them
(`handlers.ranking`), let the office approve a month (kept as approved: later data never rewrites it), and tell
the weekly digest which units sat at the bottom two months running (约谈).

Survey scores come from `bot.service.surveys.unit_scores(session, rt, start, end)` — per unit code, a score from 0
to 100 and the number of respondents, over the 民意调查 that closed in [start, end) (city-time month bounds). A unit
no survey asked about has no surveys component; an error inside it is logged and the component is left out for
every unit, so a broken survey never stops the standing or the digest.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service import inspections
from bot.service import surveys
from handlers import ranking as rules
from handlers.accountability import SUBSTANTIATED
from storage import ranking as repo
from storage import ratings as ratings_repo
from storage import staff as staff_repo

log = logging.getLogger("zhiyong.ranking")


def _survey_scores(session: orm.Session, rt: Runtime, start: datetime, end: datetime) -> dict[str, tuple[float,
                                                                                                         int]] | None:  # fmt: skip
    try:
        raw = surveys.unit_scores(session, rt, start, end)
    except Exception as exc:  # noqa: BLE001 — a broken survey must not stop the standing or the digest
        log.error("survey scores unavailable (%s); the surveys component is left out", type(exc).__name__)
        return None
    out: dict[str, tuple[float, int]] = {}
    for unit, value in (raw or {}).items():
        try:
            score, n = float(value[0]), int(value[1])
        except (TypeError, ValueError, IndexError):
            continue
        out[str(unit)] = (score, n)
    return out


def figures(session: orm.Session, rt: Runtime, month: str) -> tuple[list[rules.UnitFigures], bool]:
    """Every configured unit's figures for `month`, and whether survey scores are available at all."""
    start, end = rules.month_bounds(month, rt.tz)
    city = rt.settings.city
    complaints = repo.complaints(session=session, start=start, end=end)
    found = repo.findings(session=session, start=start, end=end, substantiated=sorted(SUBSTANTIATED))
    rated = repo.satisfaction(session=session, start=start, end=end)
    stars = ratings_repo.level_sums(session=session, start=start, end=end)
    checks = inspections.unit_checks(session, rt, start, end)
    volumes = {u: months[month] for u, months in city.ranking.volume.items() if month in months}
    volumes.update(repo.volumes(session=session, month=month))  # an import wins over config.yaml
    surveys = _survey_scores(session, rt, start, end)
    out = []
    for unit in city.units:
        code = unit.code
        f_n, f_sub = found.get(code, (0, 0))
        r_n, r_sat = rated.get(code, (0, 0))
        s_n, s_sum = stars.get(code, (0, 0))
        i_n, i_assessed, i_passed = checks.get(code, (0, 0, 0))
        out.append(rules.UnitFigures(
            unit=code, complaints=complaints.get(code, 0), volume=volumes.get(code), findings=f_n,
            substantiated=f_sub, rated=r_n, satisfied=r_sat, ratings=s_n, rating_sum=s_sum,
            survey=surveys.get(code) if surveys is not None else None, inspections=i_n, checks_assessed=i_assessed,
            checks_passed=i_passed,
        ))  # fmt: skip
    return out, surveys is not None


def compute(session: orm.Session, rt: Runtime, month: str, now: datetime) -> dict[str, Any]:
    """The month's standing from today's data (not approved). :raises ValueError: `month` is not YYYY-MM."""
    cfg = rt.settings.city.ranking
    units, surveys = figures(session, rt, month)
    doc = rules.standing(month, units, weights=cfg.weights.model_dump(), min_sample=cfg.min_sample, computed_at=now,
                         surveys_available=surveys)  # fmt: skip
    start, end = rules.month_bounds(month, rt.tz)
    doc.update(start=start.isoformat(), end=end.isoformat(), method=rules.method_text(doc))
    return doc


def _with_approval(row: Any) -> dict[str, Any]:
    doc = dict(row.content)
    doc["approved"] = {"by": row.approved_by, "at": row.approved_at.isoformat()}
    return doc


def standing(session: orm.Session, rt: Runtime, month: str, now: datetime) -> dict[str, Any]:
    """The month as approved (never recomputed), or as it stands today with `approved: null`."""
    rules.parse_month(month)
    row = repo.approved(session=session, month=month)
    if row is not None:
        return _with_approval(row)
    return compute(session, rt, month, now) | {"approved": None}


def approve(session: orm.Session, rt: Runtime, month: str, username: str, now: datetime) -> dict[str, Any]:
    """Compute the month now and keep it as approved by office account `username`. :raises rules.RankingError:"""
    try:
        _, end = rules.month_bounds(month, rt.tz)
    except ValueError as exc:
        raise rules.RankingError(str(exc)) from None
    account = staff_repo.by_username(session=session, username=username)
    if account is None or not account.active or account.role != "office":
        raise rules.RankingError(f"{username} 不是可用的治庸办账号，不能审定月度排名")
    if end > now:
        raise rules.RankingError(f"{month} 尚未结束，月末之后才能审定")
    existing = repo.approved(session=session, month=month)
    if existing is not None:
        at = existing.approved_at.astimezone(rt.tz).strftime("%Y-%m-%d %H:%M")
        raise rules.RankingError(f"{month} 的月度排名已于 {at} 由 {existing.approved_by} 审定，不再改动")
    doc = compute(session, rt, month, now)
    row = repo.save_approved(session=session, month=month, content=doc, computed_at=now, approved_by=username,
                             approved_at=now)  # fmt: skip
    staff_repo.log_event(session=session, at=now, staff_id=account.id, action="ranking_approve", target=month)
    log.info("standing %s approved by staff %s", month, account.id)
    return _with_approval(row)


def published(session: orm.Session) -> dict[str, Any] | None:
    """The latest approved month, as approved: what `/public/` shows."""
    row = repo.latest_approved(session=session)
    return _with_approval(row) if row is not None else None


def flagged_for_talk(session: orm.Session, rt: Runtime, as_of: datetime) -> tuple[list[str], list[str]]:
    """Units at the bottom of the last two months that ended by `as_of` (approved standings where there are, else
    today's figures), and those months (earlier first)."""
    months = rules.ended_months(as_of, rt.tz, 2)
    docs = [standing(session, rt, m, as_of) for m in months]
    return rules.flagged_for_talk(docs), sorted(months)


def import_volumes(session: orm.Session, rt: Runtime, text: str, now: datetime) -> int:
    """`ranking volume import FILE`. :raises rules.RankingError: naming the line."""
    rows = rules.parse_volumes(text, [u.code for u in rt.settings.city.units])
    return repo.import_volumes(session=session, rows=rows, now=now)
