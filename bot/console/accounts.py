"""Staff accounts: the rules for creating one (shared by the admin page and `flask --app bot staff …`).

An account may be linked to a supervisor in config.yaml; it then takes that person's units, unit and name, and
its assignments define what it handles. 回避 is checked here too: a supervisor account never covers the unit
its holder belongs to, and an office or admin account never belongs to one of the city's units at all (those
accounts reach every case; they belong to a handling body such as zyb or jw). An inspector (暗访员) may belong to a
unit: they then never inspect it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.config import CityConfig
from handlers.config import Supervisor
from handlers.routing import conflicted
from storage.staff import ROLES


class AccountError(ValueError):
    """An account that cannot be created as asked; the message says why (Chinese)."""


@dataclass(frozen=True, slots=True)
class AccountSpec:
    role: str
    units: tuple[str, ...]
    member_of: str | None
    supervisor_id: str | None
    display_name: str


def resolve(city: CityConfig, *, username: str, role: str, units: Sequence[str], supervisor_id: str | None,
            member_of: str | None, display_name: str | None) -> AccountSpec:  # fmt: skip
    """Check and complete an account request. :raises AccountError: with the reason."""
    if role not in ROLES:
        raise AccountError(f"未知角色 {role}（可选：{', '.join(ROLES)}）")
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        raise AccountError("用户名只能包含字母、数字、下划线和点，最长 64 位")
    known = {u.code for u in city.units} | {b.code for b in city.handling_bodies}
    if role == "inspector":
        return _inspector(city, known, units=units, supervisor_id=supervisor_id, member_of=member_of,
                          username=username, display_name=display_name)  # fmt: skip
    if role == "organisation":
        return _organisation(city, known, username=username, units=units, supervisor_id=supervisor_id,
                             member_of=member_of, display_name=display_name)  # fmt: skip
    linked: Supervisor | None = None
    if supervisor_id:
        linked = next((s for s in city.supervisors if s.id == supervisor_id), None)
        if linked is None:
            raise AccountError(f"config.yaml 中没有督办员 {supervisor_id}")
        if linked.role == "unit_head" and role != "unit_head":
            raise AccountError(f"{supervisor_id} 在配置中是单位负责人，只能创建 unit_head 账号")
    chosen = tuple(dict.fromkeys(units)) or (linked.units if linked else ())
    unknown = [u for u in chosen if u not in known]
    if unknown:
        raise AccountError(f"未知单位：{', '.join(unknown)}")
    if role in ("office", "admin"):
        chosen, member = (city.office_code,), member_of or (linked.member_of if linked else city.office_code)
    else:
        if not chosen:
            raise AccountError("督办员和单位负责人账号需要 --units（或 --supervisor-id）")
        default_member = linked.member_of if linked else (chosen[0] if role == "unit_head" else city.office_code)
        member = member_of or default_member
    if member not in known:
        raise AccountError(f"未知所属单位：{member}")
    if role in ("office", "admin") and city.unit(member) is not None:
        raise AccountError(f"回避：{member}（{city.unit_name(member)}）是被督办单位，其人员不能开设治庸办或系统管理员账号；"
                           f"所属单位请填写督办机构（{', '.join(b.code for b in city.handling_bodies)}）")  # fmt: skip
    if role == "supervisor":
        me = Supervisor(id=supervisor_id or "staff_account", name=username, member_of=member, units=chosen)
        clash = [u for u in chosen if city.unit(u) is not None and conflicted(me, u, city)]
        if clash:
            raise AccountError(f"回避：所属单位 {member} 的人员不能督办 {', '.join(clash)}")
    name = (display_name or (linked.name if linked else "") or username).strip()[:64]
    return AccountSpec(role=role, units=chosen, member_of=member, supervisor_id=supervisor_id, display_name=name)


def _organisation(city: CityConfig, known: set[str], *, username: str, units: Sequence[str], supervisor_id: str | None,
                  member_of: str | None, display_name: str | None) -> AccountSpec:  # fmt: skip
    """组织部: no units, no supervisor, no cases; it belongs to no unit it keeps records on (回避)."""
    if supervisor_id or units:
        raise AccountError("组织部账号不关联督办员，也不设督办单位（--units）")
    if member_of and member_of not in known:
        raise AccountError(f"未知所属单位：{member_of}")
    if member_of and city.unit(member_of) is not None:
        raise AccountError(f"回避：{member_of}（{city.unit_name(member_of)}）是被督办单位，其人员不能开设组织部账号")
    name = (display_name or username).strip()[:64]
    return AccountSpec(role="organisation", units=(), member_of=member_of or None, supervisor_id=None,
                       display_name=name)  # fmt: skip


def _inspector(city: CityConfig, known: set[str], *, units: Sequence[str], supervisor_id: str | None,
               member_of: str | None, username: str, display_name: str | None) -> AccountSpec:  # fmt: skip
    """暗访员: no units to oversee and no cases; `member_of` (default the office) decides which units they may never
    inspect (回避: their own and the units below it)."""
    if supervisor_id or units:
        raise AccountError("暗访员账号不关联督办员，也不设督办单位（--units）；用 --member-of 写明其所属单位（回避）")
    member = member_of or city.office_code
    if member not in known:
        raise AccountError(f"未知所属单位：{member}")
    name = (display_name or username).strip()[:64]
    return AccountSpec(role="inspector", units=(), member_of=member, supervisor_id=None, display_name=name)
