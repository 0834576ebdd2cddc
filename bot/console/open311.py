"""Open311 GeoReport v2 (`/open311/v2/…`): a 12345 platform or another channel files and follows cases.

Every request needs an API key (`flask --app bot open311 key create NAME`; only its hash is stored). A key reads
back only the requests it filed; anything else is the same 404 as a number that does not exist. Reporters are
pseudonyms derived from the key and the client's own account id — never an openid — and no response carries a
reporter's identity. States are the 12345 words citizens know (`status_notes`, and `updates` for the history).

The loop closes through the platform too: the answer is `answer` (and `status_notes`), never replaced by the
WeChat-only rating request; `awaiting_rating` says the citizen's rating is due, and the platform sends it back to
`POST /open311/v2/requests/<id>/rating.json` (outcome 1–3 and conduct A–C, or `satisfaction` in the five 12345
words), recorded exactly like a WeChat rating: satisfied → 办结, unsatisfied → 重办.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from datetime import timedelta
from typing import Any

import click
from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request
from flask.cli import AppGroup
from sqlalchemy import orm
from werkzeug.exceptions import HTTPException

from bot.console.present import rating_label
from bot.console.security import apply_headers
from bot.console.security import in_range
from bot.console.security import nul_in_request
from bot.runtime import Runtime
from bot.runtime import runtime
from bot.service import casework
from handlers.cases_view import state_label
from handlers.dialog.types import CaseDraft
from handlers.followup import FIVE_LEVELS
from handlers.followup import rating_from
from handlers.lifecycle import FINAL_STATES
from handlers.lifecycle import RATING_STATES
from handlers.masking import mask_text
from handlers.masking import normalize_phone
from storage import apikeys
from storage import cases as cases_repo
from storage.models import ApiKey
from storage.models import Case

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
MAX_DESCRIPTION = 2000
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
MAX_PER_HOUR = 120  # per key: a runaway client cannot flood the supervisors
CLOSED = FINAL_STATES


ERROR_DESCRIPTIONS = {404: "not found", 405: "method not allowed", 500: "internal error; try again later"}


@bp.after_request
def _headers(resp: Response) -> Response:
    return apply_headers(resp)


@bp.before_request
def _refuse_nul() -> tuple[Response, int] | None:
    # PostgreSQL cannot store a NUL in text; refused before anything reaches the database.
    where = nul_in_request()
    return error(400, f"the request {where} contains a NUL character, which is not allowed") if where else None


def error(code: int, description: str) -> tuple[Response, int]:
    return jsonify([{"code": code, "description": description}]), code


def json_error_or_default(exc: HTTPException) -> Response | HTTPException:
    """The app's HTTP error handler: under /open311/ a GeoReport error list (404 and 405 of unmatched paths and
    500s included); anywhere else the error exactly as it would have been."""
    prefix = bp.url_prefix or ""
    if request.path != prefix and not request.path.startswith(prefix + "/"):
        return exc
    code = exc.code or 500
    body, _ = error(code, ERROR_DESCRIPTIONS.get(code) or exc.name.lower())
    body.status_code = code
    if code == 405 and exc.get_headers():
        body.headers.update({k: v for k, v in exc.get_headers() if k.lower() == "allow"})
    return apply_headers(body)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(runtime().tz).isoformat(timespec="seconds")


def _parse_time(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=runtime().tz)
    return at if in_range(at) else None  # years Python can shift to UTC and by the default window


def _api_key(session: orm.Session) -> ApiKey | None:
    raw = request.headers.get("X-Api-Key") or request.values.get("api_key") or ""
    if not 20 <= len(raw) <= 128:
        return None
    return apikeys.by_key(session=session, key=raw)


def _office_name(rt: Runtime) -> str:
    office = next((b for b in rt.settings.city.handling_bodies if b.role == "office"), None)
    return office.name if office else rt.settings.city.city.account_name


def represent(session: orm.Session, rt: Runtime, case: Case) -> dict[str, Any]:
    """One service request: masked text, 12345 states, deadlines; never the reporter, never a handler's name."""
    category = rt.settings.city.category(case.category)
    label = state_label(case.state)
    updates: list[dict[str, Any]] = []
    for ev in cases_repo.events(session=session, case_id=case.id):
        if ev.to_state is None or ev.to_state == ev.from_state:
            continue  # reveal, reclassify and other internal notes are not the client's business
        shown = state_label(ev.to_state)
        if updates and updates[-1]["status_notes"] == shown:
            continue
        updates.append({"updated_datetime": _iso(ev.at), "status": "closed" if ev.to_state in CLOSED else "open",
                        "status_notes": shown})  # fmt: skip
    location = case.location or {}
    return {
        "service_request_id": case.number,
        "status": "closed" if case.state in CLOSED else "open",
        "status_notes": f"{label}：{mask_text(case.last_note)}" if case.last_note else label,
        "service_name": category.name if category else case.category,
        "service_code": case.category,
        "description": mask_text(case.text),
        "agency_responsible": _office_name(rt),
        "service_notice": None,
        "requested_datetime": _iso(case.created_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.answer_due) if case.state not in CLOSED else None,
        "address": mask_text(location["label"]) if location.get("label") else location.get("label"),
        "address_id": None,
        "zipcode": None,
        "lat": location.get("lat"),
        "long": location.get("lon"),
        "media_url": None,
        "updates": updates,
        # Extensions (documented in the README): the answer as given, whether a rating is due, the rating given.
        "answer": _answer(session, case),
        "awaiting_rating": case.state in RATING_STATES,
        "rating": _rating(case),
    }


def _answer(session: orm.Session, case: Case) -> dict[str, Any] | None:
    if case.answered_at is None:
        return None  # none yet, or reopened (重办): the last answer did not stand
    text = cases_repo.last_answer(session=session, case_id=case.id)
    return None if text is None else {"text": mask_text(text), "answered_datetime": _iso(case.answered_at)}


def _rating(case: Case) -> dict[str, Any] | None:
    if case.rating_outcome is None:
        return None
    return {"outcome": case.rating_outcome, "conduct": case.rating_conduct, "label": rating_label(case),
            "rated_datetime": _iso(case.rated_at)}  # fmt: skip


@bp.get("/services.json")
def services() -> Response:
    city = runtime().settings.city
    return jsonify(
        [
            {"service_code": c.code, "service_name": c.name, "description": c.description, "metadata": False,
             "type": "realtime", "keywords": ",".join(c.cues[:8]), "group": "治庸问责"}
            for c in city.categories
        ]
    )  # fmt: skip


@bp.post("/requests.json")
def create_request() -> tuple[Response, int]:
    rt = runtime()
    city = rt.settings.city
    form = request.form
    now = rt.now()
    with rt.db.transaction() as s:
        key = _api_key(s)
        if key is None:
            return error(403, "api_key is missing or invalid")
        if apikeys.filed_since(session=s, api_key=key, since=now - timedelta(hours=1)) >= MAX_PER_HOUR:
            return error(429, "too many requests for this api_key; try again later")
        problem, draft_args = _draft_args(rt, form)
        if problem:
            return error(400, problem)
        description = draft_args.pop("text")
        classification = rt.classifier.classify(description)
        unit = draft_args.pop("unit")
        source = "chosen"
        if unit is None and classification.unit and not classification.triage:
            unit, source = classification.unit, "classifier"
        account = (form.get("account_id") or "").strip()[:64]
        # The reporter is a pseudonym of (key, the client's account id); without an account id every request is
        # its own anonymous reporter, so hot spots still count people rather than platforms.
        who = account or "req:" + secrets.token_hex(16)
        pseudonym = rt.pseudonymize(f"open311:{key.id}:{who}")
        draft = CaseDraft(text=description, classification=classification, unit=unit, triage=unit is None,
                          unit_source=source if unit else "classifier", **draft_args)  # fmt: skip
        case = casework.submit(s, rt, draft, pseudonym, now, channel="open311")
        apikeys.link(session=s, case=case, api_key=key, now=now)
        key.last_used_at = now
        number = case.number
    notice = f"已受理，工单号 {number}。" + ("" if city.unit(unit or "") else "将由治庸办分拣后派单。")
    return jsonify([{"service_request_id": number, "service_notice": notice, "account_id": account or None}]), 201


def _draft_args(rt: Runtime, form: Any) -> tuple[str | None, dict[str, Any]]:
    city = rt.settings.city
    code = form.get("service_code", "")
    if city.category(code) is None:
        return "service_code is missing or unknown (see services.json)", {}
    text = (form.get("description") or "").strip()
    if not 5 <= len(text) <= MAX_DESCRIPTION:
        return f"description must be 5 to {MAX_DESCRIPTION} characters", {}
    unit = form.get("attribute[unit]") or None
    if unit is not None and city.unit(unit) is None:
        return "attribute[unit] is not a known unit code", {}
    window = (form.get("attribute[window]") or "").strip()[:32] or None
    location = None
    if form.get("lat") or form.get("long"):
        try:
            lat, lon = float(form.get("lat", "")), float(form.get("long", ""))
        except ValueError:
            return "lat and long must be numbers", {}
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return "lat/long out of range", {}
        location = (lat, lon, (form.get("address_string") or "").strip()[:100] or None)
    phone = None
    if form.get("phone"):
        phone = normalize_phone(form.get("phone", ""))
        if phone is None:
            return "phone is not a valid mobile number", {}
    name = "".join((form.get("last_name") or "", form.get("first_name") or "")).strip()[:40] or None
    return None, {"text": text, "category": code, "unit": unit, "window": window, "location": location,
                  "anonymous": not (name or phone), "real_name": name, "phone": phone}  # fmt: skip


@bp.get("/requests.json")
def list_requests() -> tuple[Response, int] | Response:
    rt = runtime()
    now = rt.now()
    with rt.db.transaction() as s:
        key = _api_key(s)
        if key is None:
            return error(403, "api_key is missing or invalid")
        ids = [i.strip().upper() for i in (request.args.get("service_request_id") or "").split(",") if i.strip()]
        start = end = None
        if not ids:
            start = _parse_time(request.args.get("start_date"))
            end = _parse_time(request.args.get("end_date"))
            if (request.args.get("start_date") and start is None) or (request.args.get("end_date") and end is None):
                return error(400, "start_date and end_date must be ISO 8601 (w3c) times between 1900 and 9000")
            end = end or now
            start = start or end - DEFAULT_WINDOW
        status = {x.strip() for x in (request.args.get("status") or "").split(",") if x.strip()}
        rows = apikeys.find_own(
            session=s, api_key=key, numbers=ids[:50], start=start, end=end,
            categories=[c.strip() for c in (request.args.get("service_code") or "").split(",") if c.strip()],
            closed_states=sorted(CLOSED), status=status.pop() if len(status) == 1 else None, limit=MAX_RESULTS,
        )  # fmt: skip
        body = [represent(s, rt, c) for c in rows]
    return jsonify(body)


@bp.get("/requests/<request_id>.json")
def get_request(request_id: str) -> tuple[Response, int] | Response:
    rt = runtime()
    with rt.db.transaction() as s:
        key = _api_key(s)
        if key is None:
            return error(403, "api_key is missing or invalid")
        case = apikeys.own_case(session=s, api_key=key, number=request_id)
        if case is None:
            return error(404, "service request not found")
        body = [represent(s, rt, case)]
    return jsonify(body)


@bp.post("/requests/<request_id>/rating.json")
def rate_request(request_id: str) -> tuple[Response, int] | Response:
    """The citizen's rating, collected by the platform: recorded like a WeChat rating (satisfied → 办结,
    unsatisfied → 重办)."""
    rt = runtime()
    now = rt.now()
    form = request.form
    with rt.db.transaction() as s:
        key = _api_key(s)
        if key is None:
            return error(403, "api_key is missing or invalid")
        case = apikeys.own_case(session=s, api_key=key, number=request_id)
        if case is None:
            return error(404, "service request not found")
        rating = rating_from(outcome=form.get("outcome"), conduct=form.get("conduct"),
                             satisfaction=form.get("satisfaction"))  # fmt: skip
        if rating is None:
            return error(400, "send outcome (1, 2 or 3) and conduct (A, B or C), or satisfaction "
                              f"({' / '.join(FIVE_LEVELS)})")  # fmt: skip
        if case.state not in RATING_STATES:
            return error(409, f"service request is not awaiting a rating (status: {state_label(case.state)})")
        action = "rate_satisfied" if rating.satisfied else "rate_unsatisfied"
        casework.act(s, rt, case, action, actor="citizen", now=now, note=f"{rating.label}（经 {key.name} 转达）",
                     rating=(rating.outcome, rating.conduct))  # fmt: skip
        key.last_used_at = now
        body = [represent(s, rt, case)]
    return jsonify(body)


open311_cli = AppGroup("open311", help="Open311 GeoReport v2 API keys.")
key_cli = AppGroup("key", help="Create, list and revoke API keys.")
open311_cli.add_command(key_cli)


@key_cli.command("create")
@click.argument("name")
def key_create(name: str) -> None:
    """Create a key for client NAME and print it once (only its hash is stored)."""
    rt = runtime()
    key = secrets.token_urlsafe(32)
    with rt.db.transaction() as s:
        if apikeys.by_name(session=s, name=name) is not None:
            raise click.ClickException(f"a key named {name!r} already exists; choose another name")
        apikeys.add(session=s, name=name, key=key, now=rt.now())
    click.echo(key)
    click.echo(f"# key for {name}: shown once, store it in the client's secret store", err=True)


@key_cli.command("list")
def key_list() -> None:
    rt = runtime()
    with rt.db.transaction() as s:
        for k in apikeys.list_all(session=s):
            state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
            used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never used"
            click.echo(f"{k.name:<24} {k.prefix}…  {state:<18} {used}")


@key_cli.command("revoke")
@click.argument("name")
def key_revoke(name: str) -> None:
    rt = runtime()
    with rt.db.transaction() as s:
        k = apikeys.by_name(session=s, name=name)
        if k is None:
            raise click.ClickException(f"no key named {name!r}")
        k.revoked_at = k.revoked_at or rt.now()
    click.echo(f"revoked {name}")
