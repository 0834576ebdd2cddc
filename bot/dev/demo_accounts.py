"""Who the demo city's people are: the simulator's citizens, supervisors bound to demo openids, and console
logins (one per configured supervisor, plus a second office account `office2`, the 组织部's `zzb`, the 暗访员
`inspector` and `admin`),
each labelled with who it is. Development only.
"""

from __future__ import annotations

import logging
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa

from bot.runtime import Runtime
from handlers import binding
from handlers.config import CityConfig
from handlers.config import Supervisor
from storage import supervisors as sup_repo

log = logging.getLogger("zhiyong.demo")


DEMO_PREFIX = "o_demo_"


# The citizens the simulator offers; the seed gives o_demo_2 and o_demo_3 a case each to play with, and leaves
# o_demo_1 with only a finished case so a new report starts cleanly.
DEMO_CITIZENS: tuple[str, ...] = ("o_demo_1", "o_demo_2", "o_demo_3")


def supervisor_openid(supervisor_id: str) -> str:
    """The demo openid a configured supervisor is bound to (sup_bdc → o_demo_sup_bdc)."""
    return DEMO_PREFIX + supervisor_id


def bind_demo_supervisors(rt: Runtime, now: datetime) -> list[tuple[str, str, str]]:
    """Bind every configured supervisor to its demo openid, through the same one-time code path as `绑定`."""
    bound: list[tuple[str, str, str]] = []
    with rt.db.transaction() as session:
        for sup in rt.settings.city.supervisors:
            openid = supervisor_openid(sup.id)
            code = binding.new_code()
            sup_repo.issue_code(session=session, supervisor_id=sup.id, code=code, expires_at=now + timedelta(hours=1))
            target = sup_repo.supervisor_for_code(session=session, code=code, now=now)
            assert target == sup.id
            sup_repo.bind(session=session, supervisor_id=sup.id, openid=openid, pseudonym=rt.pseudonymize(openid),
                          now=now)  # fmt: skip
            bound.append((sup.id, sup.name, openid))
    return bound


DEMO_PASSWORD = "zhiyong-demo-1"  # printed by `demo seed`; development only


ADMIN_USERNAME = "admin"
SECOND_OFFICE = "office2"  # approves what the desk (sup_triage) drafts: 通报, 查实问责
ORGANISATION = "zzb"  # 组织部
INSPECTOR = "inspector"  # 暗访员
DISPLAY = {
    ADMIN_USERNAME: "系统管理员",
    SECOND_OFFICE: "治庸办审核员",
    ORGANISATION: "组织部干部科",
    INSPECTOR: "暗访员",
}


def login_label(city: CityConfig, sup: Supervisor) -> str:
    """Who a demo login is, in the words of the people at the tour: 不动产登记中心的督办员, 治庸办分拣员, ..."""
    if sup.role == "unit_head":
        return f"{_short(city.unit_name(sup.member_of))}负责人（被反映单位的人：演示回避，看不到本单位工单）"
    if city.office_code in sup.units:
        return "治庸办分拣员（分拣台、全部工单、周报）"
    if city.discipline_code and city.discipline_code in sup.units:
        return "纪委监委联络员（吃拿卡要类工单）"
    return "、".join(_short(city.unit_name(u)) for u in sup.units) + "的督办员"


def _short(name: str) -> str:
    return name[1:] if name.startswith("市") and len(name) > 3 else name


def seed_staff(rt: Runtime, now: datetime) -> list[str]:
    """Demo console logins, one per configured supervisor (username = supervisor id) plus `admin`, all with
    DEMO_PASSWORD, made by the console's own rules (`bot.console.accounts.resolve`, `storage.staff.add`).

    Returns the lines `demo seed` prints, one per login, each saying who it is. Existing usernames are left
    alone, so a re-run changes nothing.
    """
    from bot.console.accounts import AccountError
    from bot.console.accounts import resolve
    from bot.console.auth import hash_password
    from storage import staff as staff_repo

    city = rt.settings.city
    wanted: list[tuple[str, str, str | None, str]] = []  # (username, role, supervisor id, who it is)
    for sup in city.supervisors:
        role = "unit_head" if sup.role == "unit_head" else ("office" if city.office_code in sup.units else "supervisor")
        wanted.append((sup.id, role, sup.id, login_label(city, sup)))
    wanted.append((SECOND_OFFICE, "office", None, "治庸办审核员（通报发布、查实问责确认的第二人）"))
    wanted.append((ORGANISATION, "organisation", None, "组织部干部科（市管干部活档案、单位档案；看不到工单）"))
    wanted.append(
        (INSPECTOR, "inspector", None, "暗访员（明查暗访：录入暗访、照片、据发现立案；只看本人记录，看不到工单）")
    )
    wanted.append((ADMIN_USERNAME, "admin", None, "系统管理员（账号管理）"))
    created: list[str] = []
    password_hash = ""
    try:
        with rt.db.transaction() as session:
            for username, role, supervisor_id, _label in wanted:
                if staff_repo.by_username(session=session, username=username) is not None:
                    continue
                spec = resolve(city, username=username, role=role, units=(), supervisor_id=supervisor_id,
                               member_of=None, display_name=DISPLAY.get(username))  # fmt: skip
                # One scrypt hash shared by every demo account: each costs ~0.2 s, and the password is the same.
                password_hash = password_hash or hash_password(DEMO_PASSWORD)
                staff_repo.add(session=session, username=username, display_name=spec.display_name,
                               password_hash=password_hash, role=spec.role, units=spec.units,
                               member_of=spec.member_of, supervisor_id=spec.supervisor_id, now=now)  # fmt: skip
                created.append(username)
    except (AccountError, TypeError, sa.exc.SQLAlchemyError) as exc:
        # A changed rule or a missing migration must not stop the demo from starting.
        reason = f"{type(exc).__name__}: {exc}"[:160]
        return [f"督办台演示账号未创建（{reason}）；可用 flask --app bot staff create 创建"]
    fresh = f"（本次新建 {len(created)} 个）" if created else ""
    lines = [f"督办台 {rt.settings.env.public_base_url}/console/ 演示账号，密码均为 {DEMO_PASSWORD}{fresh}："]
    width = max(len(u) for u, *_ in wanted)
    lines += [f"  {username:<{width}}  {label}" for username, _role, _sid, label in wanted]
    return lines


def bound_demo(rt: Runtime) -> list[tuple[str, str, str]]:
    names = {s.id: s.name for s in rt.settings.city.supervisors}
    with rt.db.transaction() as session:
        rows = sup_repo.bindings(session=session)
    return [
        (sid, names.get(sid, sid), b.openid) for sid, b in rows.items() if b.openid and b.openid.startswith(DEMO_PREFIX)
    ]
