"""The public pages (`/public/`, no sign-in): the approved 公开通报 and the units' monthly standing as the office
last approved it (`bot.service.ranking`); an Atom feed of the 通报 at `/public/feed.atom`. Nothing unapproved, nothing about a reporter:
a 通报 is public only while approved (`storage.bulletins.published`) and its text was scrubbed when drafted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import render_template

from bot.console.security import apply_headers
from bot.runtime import Runtime
from bot.runtime import runtime
from bot.service import ranking
from handlers import bulletin as rules
from storage import bulletins as repo

bp = Blueprint("public", __name__, url_prefix="/public")
FEED_SIZE = 30


def monthly_standing(rt: Runtime, now: datetime) -> list[dict[str, Any]] | None:
    """The latest month the office approved (`ranking approve`), as approved: rows in order, each {"unit": code,
    "rank": n, "score": text, "month": "YYYY-MM"}; then the units below the minimum sample, with rank None and the
    reason. None while no month has been approved: an unapproved standing is never public."""
    with rt.db.transaction() as s:
        doc = ranking.published(s)
    if doc is None:
        return None
    month = doc["month"]
    rows = [{"unit": r["unit"], "rank": r["rank"], "score": f"{r['score']:.1f}", "month": month} for r in doc["rows"]]
    rows += [{"unit": r["unit"], "rank": None, "score": "—", "month": month, "reason": "样本不足，未参与排名"}
             for r in doc["apart"] if r["score"] is not None]  # fmt: skip
    return rows or [{"unit": None, "rank": None, "score": "—", "month": month, "reason": "本月没有可排名的单位"}]


def _public_headers(resp: Response) -> Response:
    resp = apply_headers(resp)
    resp.headers["X-Robots-Tag"] = "all"
    return resp


bp.after_request(_public_headers)


@bp.get("/")
def index() -> str:
    rt = runtime()
    now = rt.now()
    with rt.db.transaction() as s:
        items = repo.published(session=s)
    return render_template("public/index.html", items=items, tones=rules.TONES, city=rt.settings.city,
                           standing=monthly_standing(rt, now), tz=rt.tz)  # fmt: skip


@bp.get("/bulletins/<public_id>")
def bulletin(public_id: str) -> str:
    rt = runtime()
    with rt.db.transaction() as s:
        item = repo.published_one(session=s, public_id=public_id)
    if item is None:
        abort(404)
    return render_template("public/bulletin.html", b=item, tones=rules.TONES, city=rt.settings.city, tz=rt.tz)


@bp.get("/feed.atom")
def feed() -> Response:
    rt = runtime()
    with rt.db.transaction() as s:
        items = repo.published(session=s, limit=FEED_SIZE)
    base = rt.settings.env.public_base_url.rstrip("/")
    updated = max((b.approved_at for b in items if b.approved_at), default=rt.now())
    body = render_template("public/feed.xml", items=items, base=base, city=rt.settings.city, updated=updated,
                           tones=rules.TONES)  # fmt: skip
    return Response(body, mimetype="application/atom+xml")


def _not_found(exc: Exception) -> tuple[str, int]:
    return render_template("public/missing.html", city=runtime().settings.city), 404


bp.register_error_handler(404, _not_found)
