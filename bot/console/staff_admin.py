"""Staff management: the admin's pages and `flask --app bot staff create|list|disable|enable|password`.

Disabling an account or changing its password revokes every one of its sessions (`staff_sessions`): a browser
still signed in as that account is sent to the login page on its next request.
"""

from __future__ import annotations

import click
from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.cli import AppGroup

from bot.console.accounts import AccountError
from bot.console.accounts import resolve
from bot.console.auth import hash_password
from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.auth import password_problem
from bot.console.base import ROLE_LABELS
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.present import Presenter
from bot.runtime import runtime
from storage import staff as staff_repo


@bp.get("/admin/staff")
@login_required("admin")
def staff_list() -> str:
    rt = runtime()
    with rt.db.transaction() as s:
        accounts = staff_repo.list_all(session=s)
        events = staff_repo.events(session=s, limit=50)
        names = {a.id: a.username for a in accounts}
    city = rt.settings.city
    return render_template("console/staff.html", accounts=accounts, events=events, names=names, roles=ROLE_LABELS,
                           supervisors=city.supervisors, units=city.units, bodies=city.handling_bodies,
                           p=Presenter(rt), v=viewer())  # fmt: skip


@bp.post("/admin/staff")
@login_required("admin")
def staff_create() -> Response:
    rt = runtime()
    form = request.form
    username = (form.get("username") or "").strip()
    password = form.get("password") or ""
    # A multiple select (one code per value) or a comma-separated text: both read the same.
    units = [u.strip() for raw in form.getlist("units") for u in raw.split(",") if u.strip()]
    try:
        spec = resolve(rt.settings.city, username=username, role=form.get("role", ""), units=units,
                       supervisor_id=form.get("supervisor_id") or None, member_of=form.get("member_of") or None,
                       display_name=form.get("display_name") or None)  # fmt: skip
        problem = password_problem(password)
        if problem:
            raise AccountError(problem)
        with rt.db.transaction() as s:
            if staff_repo.by_username(session=s, username=username) is not None:
                raise AccountError("用户名已存在")
            if spec.supervisor_id and staff_repo.by_supervisor(session=s, supervisor_id=spec.supervisor_id):
                raise AccountError(f"{spec.supervisor_id} 已有账号")
            staff_repo.add(session=s, username=username, display_name=spec.display_name,
                           password_hash=hash_password(password), role=spec.role, units=spec.units,
                           member_of=spec.member_of, supervisor_id=spec.supervisor_id, now=rt.now())  # fmt: skip
            log_access(s, "staff_create", target=username)
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(f"已创建账号 {username}。", "ok")
    return redirect(url_for("console.staff_list"), code=303)  # type: ignore[return-value]


@bp.post("/admin/staff/<int:staff_id>/active")
@login_required("admin")
def staff_toggle(staff_id: int) -> Response:
    rt = runtime()
    v = viewer()
    if staff_id == v.staff_id:
        flash("不能停用自己的账号。", "error")
        return redirect(url_for("console.staff_list"), code=303)  # type: ignore[return-value]
    with rt.db.transaction() as s:
        account = staff_repo.get(session=s, staff_id=staff_id)
        if account is None:
            abort(404)
        active = request.form.get("active") == "1"
        staff_repo.set_active(session=s, account=account, active=active, now=rt.now())
        log_access(s, "staff_enable" if active else "staff_disable", target=account.username)
        name = account.username
    flash(f"账号 {name} 已{'启用' if active else '停用'}。", "ok")
    return redirect(url_for("console.staff_list"), code=303)  # type: ignore[return-value]


@bp.post("/admin/staff/<int:staff_id>/password")
@login_required("admin")
def staff_password(staff_id: int) -> Response:
    rt = runtime()
    password = request.form.get("password") or ""
    problem = password_problem(password)
    if problem:
        flash(problem, "error")
        return redirect(url_for("console.staff_list"), code=303)  # type: ignore[return-value]
    with rt.db.transaction() as s:
        account = staff_repo.get(session=s, staff_id=staff_id)
        if account is None:
            abort(404)
        staff_repo.set_password(session=s, account=account, password_hash=hash_password(password), now=rt.now())
        log_access(s, "staff_password", target=account.username)
        name = account.username
    flash(f"账号 {name} 的密码已重置，其现有登录已失效。", "ok")
    return redirect(url_for("console.staff_list"), code=303)  # type: ignore[return-value]


staff_cli = AppGroup("staff", help="Console accounts (督办员, unit heads, 治庸办, admins).")


def _new_password(password: str | None) -> str:
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    return password


@staff_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(staff_repo.ROLES))
@click.option("--units", default="", help="Comma-separated unit codes (default: the linked supervisor's).")
@click.option("--supervisor-id", default=None, help="Link to a supervisor in config.yaml (assignments define scope).")
@click.option("--member-of", default=None, help="The unit the person belongs to (for 回避).")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.option("--password", default=None, help="Prompted for when not given.")
def staff_create_cmd(username: str, role: str, units: str, supervisor_id: str | None, member_of: str | None,
                     display_name: str | None, password: str | None) -> None:  # fmt: skip
    """Create a console account."""
    rt = runtime()
    try:
        spec = resolve(rt.settings.city, username=username, role=role,
                       units=[u.strip() for u in units.split(",") if u.strip()], supervisor_id=supervisor_id,
                       member_of=member_of, display_name=display_name)  # fmt: skip
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    secret = _new_password(password)
    with rt.db.transaction() as s:
        if staff_repo.by_username(session=s, username=username) is not None:
            raise click.ClickException(f"username {username!r} already exists")
        if spec.supervisor_id and staff_repo.by_supervisor(session=s, supervisor_id=spec.supervisor_id):
            raise click.ClickException(f"supervisor {spec.supervisor_id} already has an account")
        staff_repo.add(session=s, username=username, display_name=spec.display_name,
                       password_hash=hash_password(secret), role=spec.role, units=spec.units,
                       member_of=spec.member_of, supervisor_id=spec.supervisor_id, now=rt.now())  # fmt: skip
    click.echo(f"created {spec.role} {username} units={','.join(spec.units)} member_of={spec.member_of}"
               + (f" supervisor={spec.supervisor_id}" if spec.supervisor_id else ""))  # fmt: skip


@staff_cli.command("list")
def staff_list_cmd() -> None:
    rt = runtime()
    with rt.db.transaction() as s:
        for a in staff_repo.list_all(session=s):
            state = "active" if a.active else "disabled"
            click.echo(f"{a.username:<16} {a.role:<10} {','.join(a.units):<16} {a.supervisor_id or '-':<12} {state}")


def _set_active(username: str, active: bool) -> None:
    rt = runtime()
    with rt.db.transaction() as s:
        account = staff_repo.by_username(session=s, username=username)
        if account is None:
            raise click.ClickException(f"no account {username!r}")
        staff_repo.set_active(session=s, account=account, active=active, now=rt.now())
    click.echo(f"{username}: {'enabled' if active else 'disabled (its sessions are ended)'}")


@staff_cli.command("disable")
@click.argument("username")
def staff_disable_cmd(username: str) -> None:
    _set_active(username, False)


@staff_cli.command("enable")
@click.argument("username")
def staff_enable_cmd(username: str) -> None:
    _set_active(username, True)


@staff_cli.command("password")
@click.argument("username")
@click.option("--password", default=None, help="Prompted for when not given.")
def staff_password_cmd(username: str, password: str | None) -> None:
    """Set a new password (ends the account's sessions)."""
    rt = runtime()
    secret = _new_password(password)
    with rt.db.transaction() as s:
        account = staff_repo.by_username(session=s, username=username)
        if account is None:
            raise click.ClickException(f"no account {username!r}")
        staff_repo.set_password(session=s, account=account, password_hash=hash_password(secret), now=rt.now())
    click.echo(f"{username}: password changed")
