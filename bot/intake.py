"""One push, one transaction: record it once, let `handlers` decide, apply the effects, store the reply.

A retried push finds its key already recorded and gets the stored reply back, changing nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from bot.runtime import Runtime
from handlers.config import CityConfig
from handlers.dispatch import SetSubscribed
from handlers.dispatch import Step
from handlers.dispatch import dispatch
from handlers.messages import InboundMessage
from storage import citizens
from storage import inbound as inbound_repo

log = logging.getLogger("zhiyong.intake")


@dataclass(frozen=True, slots=True)
class Outcome:
    reply: str | None
    reply_at: datetime
    duplicate: bool
    outcome: str


@dataclass
class IntakeContext:
    """What `handlers.dispatch` may read; built per push inside its transaction."""

    now: datetime
    city: CityConfig
    session: orm.Session


def _apply(step: Step, msg: InboundMessage, ctx: IntakeContext) -> None:
    for effect in step.effects:
        if isinstance(effect, SetSubscribed):
            citizens.set_subscribed(
                session=ctx.session, pseudonym=msg.pseudonym, subscribed=effect.subscribed, at=ctx.now
            )
        else:  # pragma: no cover - a handler returned an effect nobody applies: a programming error
            raise TypeError(f"unknown effect {type(effect).__name__}")


def process(rt: Runtime, msg: InboundMessage, plaintext: str) -> Outcome:
    started = time.perf_counter()
    now = rt.now()
    try:
        with rt.db.transaction() as session:
            record = inbound_repo.claim(
                session=session,
                msg_key=msg.key,
                msg_id=msg.msg_id,
                msg_type=msg.msg_type,
                event=msg.event,
                pseudonym=msg.pseudonym,
                created_at=msg.created_at,
                received_at=now,
            )
            if record is None:
                stored = inbound_repo.get(session=session, msg_key=msg.key)
                assert stored is not None
                log.info("push duplicate key=%s outcome=%s", msg.key, stored.outcome)
                return Outcome(stored.reply_text, stored.reply_created_at or now, True, stored.outcome)
            citizens.touch(
                session=session, pseudonym=msg.pseudonym, openid=msg.sender, at=now, message=msg.msg_type != "event"
            )
            ctx = IntakeContext(now=now, city=rt.settings.city, session=session)
            step = dispatch(msg, ctx)
            _apply(step, msg, ctx)
            inbound_repo.finish(session=session, record=record, outcome=step.outcome, reply_text=step.reply, at=now)
    except sa_exc.OperationalError:
        # The database is unavailable: let the error surface as a 503 so WeChat retries later.
        log.exception("push key=%s failed: database unavailable", msg.key)
        raise
    except Exception as exc:
        log.error("push key=%s failed in handler: %s", msg.key, type(exc).__name__)
        return _dead_letter_crash(rt, msg, plaintext, exc, now)
    log.info(
        "push accepted key=%s type=%s event=%s outcome=%s ms=%.1f",
        msg.key,
        msg.msg_type,
        msg.event or "-",
        step.outcome,
        (time.perf_counter() - started) * 1000,
    )
    return Outcome(step.reply, now, False, step.outcome)


def _dead_letter_crash(rt: Runtime, msg: InboundMessage, plaintext: str, exc: Exception, now: datetime) -> Outcome:
    """Keep the push (so it can be replayed, not lost) and give the citizen a polite answer."""
    reply = rt.settings.city.texts.error
    with rt.db.transaction() as session:
        record = inbound_repo.claim(
            session=session,
            msg_key=msg.key,
            msg_id=msg.msg_id,
            msg_type=msg.msg_type,
            event=msg.event,
            pseudonym=msg.pseudonym,
            created_at=msg.created_at,
            received_at=now,
        )
        if record is None:  # a concurrent copy of the same push succeeded meanwhile
            stored = inbound_repo.get(session=session, msg_key=msg.key)
            assert stored is not None
            return Outcome(stored.reply_text, stored.reply_created_at or now, True, stored.outcome)
        inbound_repo.finish(session=session, record=record, outcome="failed", reply_text=reply, at=now)
        inbound_repo.add_dead_letter(
            session=session,
            stage="handler",
            reason=f"{type(exc).__name__} while handling",
            received_at=now,
            msg_key=msg.key,
            payload=plaintext,
        )
    return Outcome(reply, now, False, "failed")


def record_malformed(rt: Runtime, reason: str) -> None:
    with rt.db.transaction() as session:
        inbound_repo.add_dead_letter(session=session, stage="parse", reason=reason, received_at=rt.now())
