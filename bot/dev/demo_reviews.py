"""The demo city's 好差评 and 明查暗访: window ratings over the past weeks (most good, a few poor), one 差评 with its
reason that became a review case to put right, one 误评 appeal by the 不动产 unit head waiting for the office, and an
undercover visit by the demo inspector (with a photo, stripped) that can still open a case — through the same services
the webhook and the console use. Development only; run by `demo seed` after the demo logins exist.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from bot.dev.demo_accounts import INSPECTOR
from bot.dev.demo_plan import REPORTER_POOL
from bot.runtime import Runtime
from bot.service import appeals
from bot.service import inspections
from bot.service import ratings
from bot.wechat.evidence_checks import strip_image
from handlers.dialog.types import WindowRating
from handlers.inspection import VisitInput
from storage import staff as staff_repo
from storage.models import Inspection
from storage.models import InspectionPhoto
from storage.models import RatingAppeal
from storage.models import StaffAccount
from storage.models import WindowRating as RatingRow

# (unit, window, level, days ago): mostly 满意 and above, as a city's windows are rated.
RATINGS = [
    ("zwfw", "1", 5, 30), ("zwfw", "1", 5, 26), ("zwfw", "2", 4, 24), ("zwfw", "3", 5, 20), ("zwfw", "2", 3, 17),
    ("zwfw", "1", 4, 12), ("zwfw", "3", 5, 9), ("zwfw", "2", 2, 6), ("zwfw", "1", 5, 3), ("zwfw", "3", 4, 1),
    ("bdc", "3", 4, 29), ("bdc", "5", 5, 25), ("bdc", "3", 2, 21), ("bdc", "1", 4, 15), ("bdc", "5", 5, 11),
    ("bdc", "3", 3, 8), ("bdc", "1", 5, 4), ("cgs", "1", 5, 27), ("cgs", "2", 4, 19), ("cgs", "1", 4, 13),
    ("cgs", "2", 1, 7), ("cgs", "1", 5, 2), ("gjj", "1", 5, 22), ("gjj", "1", 4, 10), ("gjj", "2", 5, 5),
]  # fmt: skip
REVIEW = ("zwfw", "2", 1, 2, "取号后等了一个多小时没人叫号，窗口工作人员一直在聊天，问她也不理")
APPEALED = ("bdc", "2", 2, 3)  # a 差评 without a reason the unit head appeals as a 误评


def _at(rt: Runtime, end: datetime, days: int, hour: int = 10) -> datetime:
    day = (end.astimezone(rt.tz) - timedelta(days=days)).date()
    at = datetime(day.year, day.month, day.day, hour, tzinfo=rt.tz)
    return min(at, end - timedelta(minutes=5))


def seed(rt: Runtime, end: datetime) -> tuple[str, int]:
    """Ratings, a review case, an appeal and an inspection; returns a line for `demo seed` and the cases made."""
    with rt.db.transaction() as s:
        for i, (unit, window, level, days) in enumerate(RATINGS):
            who = rt.pseudonymize(REPORTER_POOL[i % len(REPORTER_POOL)])
            ratings.rate_window(s, rt, WindowRating(unit, window, level), who, _at(rt, end, days, 9 + i % 7))
        unit, window, level, days, reason = REVIEW
        case = ratings.rate_window(s, rt, WindowRating(unit, window, level, reason=reason),
                                   rt.pseudonymize(REPORTER_POOL[-1]), _at(rt, end, days, 15))  # fmt: skip
        unit, window, level, days = APPEALED
        row = ratings_row(s, rt, unit, window, level, rt.pseudonymize(REPORTER_POOL[-2]), _at(rt, end, days, 14))
        head = next((sup for sup in rt.settings.city.supervisors if sup.role == "unit_head" and sup.member_of == unit),
                    None)  # fmt: skip
        appealed = 0
        if head is not None:
            account = staff_repo.by_supervisor(session=s, supervisor_id=head.id)
            appeals.appeal(s, rt, appeals.member_of_supervisor(head), row, "当日该时段2号窗口暂停服务，市民评价的应是隔壁窗口，"
                           "请予核实", actor=head.id, staff_id=account.id if account else None,
                           now=_at(rt, end, days - 1, 11))  # fmt: skip
            appealed = 1
        visited = _inspection(s, rt, end)
    review = f"，1 件差评整改（{case.number}）" if case is not None else ""
    line = (f"好差评：{len(RATINGS) + 2} 条窗口评价{review}，{appealed} 件误评申诉待认定；明查暗访 {visited} 次"
            f"（暗访员登录 {INSPECTOR}）")  # fmt: skip
    return line, int(case is not None)


def ratings_row(session: orm.Session, rt: Runtime, unit: str, window: str, level: int, who: str,
                at: datetime) -> RatingRow:  # fmt: skip
    ratings.rate_window(session, rt, WindowRating(unit, window, level), who, at)
    found = session.scalars(sa.select(RatingRow).where(RatingRow.pseudonym == who, RatingRow.unit == unit)
                            .order_by(RatingRow.id.desc()).limit(1)).first()  # fmt: skip
    assert found is not None
    return found


def _inspection(session: orm.Session, rt: Runtime, end: datetime) -> int:
    from bot.dev.fake_wechat import sample_jpeg

    account = staff_repo.by_username(session=session, username=INSPECTOR)
    if account is None:
        return 0
    checks = {"on_duty": True, "badge": False, "first_responsibility": True, "one_time_notice": False,
              "attitude": True}  # fmt: skip
    visit = VisitInput("gjj", "2", _at(rt, end, 4, 10), checks, 25,
                       "2号窗口工作人员未佩戴工牌；咨询提取公积金所需材料时只说了一半，让回去再问。")  # fmt: skip
    inspections.record(session, rt, account.id, visit, [strip_image(sample_jpeg(size=(320, 240)))],
                       _at(rt, end, 4, 16))  # fmt: skip
    return 1


def case_pseudonyms(session: orm.Session) -> set[str]:
    """The pseudonyms of cases opened from the demo inspector's visits (`inspection:<id>`)."""
    ids = session.scalars(sa.select(Inspection.id).join(
        StaffAccount, StaffAccount.id == Inspection.inspector_id).where(
        StaffAccount.username == INSPECTOR))  # fmt: skip
    return {f"inspection:{i}" for i in ids}


def remove(session: orm.Session, pseudonyms: set[str]) -> None:
    """Before the demo's cases go: its ratings and their appeals, and the demo inspector's visits."""
    rating_ids = sa.select(RatingRow.id).where(RatingRow.pseudonym.in_(pseudonyms))
    session.execute(sa.delete(RatingAppeal).where(RatingAppeal.rating_id.in_(rating_ids)))
    session.execute(sa.delete(RatingRow).where(RatingRow.pseudonym.in_(pseudonyms)))
    visits = sa.select(Inspection.id).join(
        StaffAccount, StaffAccount.id == Inspection.inspector_id).where(
        StaffAccount.username == INSPECTOR)  # fmt: skip
    session.execute(sa.delete(InspectionPhoto).where(InspectionPhoto.inspection_id.in_(visits)))
    session.execute(sa.delete(Inspection).where(Inspection.id.in_(visits)))
