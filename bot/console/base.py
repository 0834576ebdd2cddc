"""The console's blueprints and the request-scoped viewer; view modules attach their routes to these."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint
from flask import g

bp = Blueprint("console", __name__, url_prefix="/console")
# `/ledger.xlsx` outside the prefix, as the issue names it; same handler, same scope.
root_bp = Blueprint("console_root", __name__)

ROLE_LABELS = {
    "supervisor": "督办员",
    "unit_head": "单位负责人",
    "office": "治庸办",
    "admin": "系统管理员",
    "organisation": "组织部",
    "inspector": "暗访员",
}


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is signed in, as the scope rules need it (never a database row that a template could lazy-load)."""

    staff_id: int
    username: str
    display_name: str
    role: str
    units: tuple[str, ...]
    member_of: str | None
    supervisor_id: str | None

    @property
    def actor(self) -> str:
        """How the audit trail names this person: the configured supervisor id, else the account."""
        return self.supervisor_id or f"staff:{self.username}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def sees_cases(self) -> bool:
        # Unit heads see figures only (their unit may be the accused); admins manage accounts, not cases.
        return self.role in ("supervisor", "office")

    @property
    def is_office(self) -> bool:
        return self.role == "office"

    @property
    def is_inspector(self) -> bool:
        """暗访员: their own 明查暗访 records, never a case."""
        return self.role == "inspector"

    @property
    def is_organisation(self) -> bool:
        """组织部: the officials' 活档案 and the units' records (figures), never a case."""
        return self.role == "organisation"


def current_viewer() -> Viewer | None:
    return g.get("viewer")


def viewer() -> Viewer:
    """The signed-in viewer; only called behind `login_required`."""
    v = g.get("viewer")
    assert v is not None, "view is missing @login_required"
    return v  # type: ignore[no-any-return]
