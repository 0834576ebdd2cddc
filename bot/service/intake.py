"""One push, one transaction: record it once, let `handlers` decide, apply the effects, store the reply.

A retried push finds its key already recorded and gets the stored reply back, changing nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from bot import ratelimit
from bot.runtime import Runtime
from bot.service import accountability
from bot.service import appeals
from bot.service import casework
from bot.service import notify
from bot.service import ratings
from bot.service import survey_answers
from bot.wechat.protocol import without_sender
from handlers import accountability as acc
from handlers import binding
from handlers import dispatch as d
from handlers.binding import BindCheck
from handlers.cases_view import CaseSummary
from handlers.config import CityConfig
from handlers.dialog.types import DialogEnv
from handlers.dialog.types import DialogState
from handlers.followup import Followup
from handlers.followup import followup_for
from handlers.lifecycle import OPEN_STATES
from handlers.lifecycle import IllegalTransition
from handlers.messages import InboundMessage
from nlp.types import Classification
from storage import cases as cases_repo
from storage import citizens
from storage import dialogs
from storage import inbound as inbound_repo
from storage import outbox
from storage import supervisors as sup_repo
from storage import surveys as surveys_repo
from storage import turn as turn_repo
from storage.models import Case

log = logging.getLogger("zhiyong.intake")
dispatch = d.dispatch  # module attribute so tests can wrap it


@dataclass(frozen=True, slots=True)
class Outcome:
    reply: str | None
    reply_at: datetime
    duplicate: bool
    outcome: str


MY_CASES = 10  # the citizen's latest cases a conversation turn sees


def summary(case: Case | sa.Row[Any]) -> CaseSummary:
    return CaseSummary(
        number=case.number,
        state=case.state,
        unit=case.respondent_unit,
        category=case.category,
        created_at=case.created_at,
        last_update_at=case.updated_at,
        last_update_note=case.last_note or "",
        due_at=case.answer_due,
        kind=getattr(case, "kind", "complaint"),
    )


class IntakeContext:
    """Implements `handlers.dispatch.Context` over the database, inside the push's transaction."""

    def __init__(
        self,
        rt: Runtime,
        session: orm.Session,
        msg: InboundMessage,
        now: datetime,
        view: turn_repo.SenderView | None = None,
        classified: dict[str, Classification] | None = None,
    ) -> None:
        self.rt = rt
        self.session = session
        self.msg = msg
        self.now = now
        self.city: CityConfig = rt.settings.city
        # Every classification of this turn by text: the dialog asks for one text on several paths.
        self._classified: dict[str, Classification] = dict(classified or {})
        if view is not None:  # read together with the ledger claim (turn_repo.claim_with_view)
            self._view = view

    @cached_property
    def _view(self) -> turn_repo.SenderView:
        return turn_repo.sender_view(session=self.session, pseudonym=self.msg.pseudonym)

    @cached_property
    def _supervisor(self) -> str | None:
        return self._view.supervisor_id

    def supervisor_id(self) -> str | None:
        return self._supervisor

    def bind_locked(self) -> bool:
        return sup_repo.is_locked(session=self.session, pseudonym=self.msg.pseudonym, now=self.now)

    def bind_check(self, code: str) -> BindCheck:
        outcome, supervisor_id = sup_repo.check_code(session=self.session, code=code, now=self.now,
                                                     openid=self.msg.sender)  # fmt: skip
        return BindCheck(outcome, supervisor_id)

    def supervisor_case(self, number: str) -> CaseSummary | None:
        case = self._supervisor_case(number)
        return summary(case) if case else None

    def _supervisor_case(self, number: str) -> Case | None:
        if self._supervisor is None:
            return None
        case = cases_repo.by_number(session=self.session, number=number)
        if case is None:
            return None
        mine = {a.supervisor_id for a in cases_repo.assignees(session=self.session, case_id=case.id)}
        return case if self._supervisor in mine else None

    def supervisor_todo(self) -> Sequence[CaseSummary]:
        assert self._supervisor is not None
        rows = cases_repo.cases_for_supervisor(session=self.session, supervisor_id=self._supervisor, states=OPEN_STATES)
        return [summary(c) for c in rows]

    @cached_property
    def _my_cases(self) -> list[sa.Row[Any]]:
        if not self._view.has_cases:  # most pushes come from citizens without a case: no query
            return []
        return cases_repo.recent_for_citizen(session=self.session, pseudonym=self.msg.pseudonym, limit=MY_CASES)

    def followup(self) -> Followup | None:
        return followup_for(
            ((c.number, c.state, c.id) for c in self._my_cases),
            lambda case_id: cases_repo.last_message_kind(session=self.session, case_id=case_id),
        )

    @cached_property
    def _dialog_state(self) -> DialogState | None:
        data = self._view.dialog
        if data is None:
            return None
        try:
            return DialogState.from_dict(data)
        except (ValueError, KeyError, TypeError):
            log.warning("dialog state unreadable key=%s; starting over", self.msg.key)
            return None

    def dialog_state(self) -> DialogState | None:
        return self._dialog_state

    def _classify(self, text: str) -> Classification:
        known = self._classified.get(text)
        if known is None:
            # Looked up on use: events and menu clicks never pay for loading the model.
            known = self._classified[text] = self.rt.classifier.classify(text)
        return known

    def _cases_today(self) -> int:
        midnight = self.now.astimezone(self.city.tz).replace(hour=0, minute=0, second=0, microsecond=0)
        recent = self._my_cases
        if len(recent) < MY_CASES or recent[-1].created_at < midnight:
            # Newest first: the rows already hold every case since midnight.
            return sum(1 for c in recent if c.created_at >= midnight)
        return cases_repo.count_since(session=self.session, pseudonym=self.msg.pseudonym, since=midnight)

    def dialog_env(self) -> DialogEnv:
        return DialogEnv(
            now=self.now,
            city=self.city,
            classify=self._classify,
            my_cases=tuple(summary(c) for c in self._my_cases),
            cases_today=self._cases_today(),
            survey_invite=lambda: survey_answers.invite_for(self.session, self.msg.pseudonym, self.now),
        )


def _apply(step: d.Step, msg: InboundMessage, ctx: IntakeContext) -> str | None:
    """Apply the step's effects; returns the reply with any case number filled in."""
    reply = step.reply
    session, rt, now = ctx.session, ctx.rt, ctx.now
    for effect in step.effects:
        if isinstance(effect, d.SetSubscribed):
            citizens.set_subscribed(session=session, pseudonym=msg.pseudonym, subscribed=effect.subscribed, at=now)
        elif isinstance(effect, d.SaveDialog):
            if effect.state is None:
                dialogs.clear(session=session, pseudonym=msg.pseudonym)
            else:
                dialogs.save(session=session, pseudonym=msg.pseudonym, data=effect.state.to_dict(), at=now)
        elif isinstance(effect, d.SubmitCase):
            case = casework.submit(session, rt, effect.draft, msg.pseudonym, now)
            reply = (reply or "").replace(effect.placeholder, case.number)
            log.info("case submitted key=%s case=%s state=%s", msg.key, case.number, case.state)
        elif isinstance(effect, d.RateWindow):
            review = ratings.rate_window(session, rt, effect.rating, msg.pseudonym, now)
            if review is not None:
                reply = (reply or "").replace("{case_number}", review.number)
        elif isinstance(effect, d.RecordScan):
            surveys_repo.record_scan(session=session, pseudonym=msg.pseudonym, unit=effect.unit, window=effect.window,
                                     at=now)  # fmt: skip
        elif isinstance(effect, d.AnswerSurvey):
            a = effect.answer  # never logged: who answered what stays apart
            reply = (
                survey_answers.answer_in_chat(session, rt, msg.pseudonym, a.survey_id, a.unit, a.answers, now) or reply
            )
        elif isinstance(effect, d.StopSurvey):
            survey_answers.decline(session, msg.pseudonym, effect.stop.survey_id, effect.stop.units)
        elif isinstance(effect, d.RecordFeedback):
            case = casework.record_feedback(session, rt, effect.feedback, msg.pseudonym, now)
            log.info("%s recorded key=%s case=%s", effect.feedback.kind, msg.key, case.number)
        elif isinstance(effect, d.AppendSupplement):
            _supplement(ctx, effect)
        elif isinstance(effect, d.BindFailed):
            sup_repo.record_failure(session=session, pseudonym=msg.pseudonym, now=now, sender_limit=binding.SENDER_LIMIT,
                                    lock=timedelta(hours=binding.SENDER_LOCK_HOURS), code_limit=binding.CODE_LIMIT)  # fmt: skip
            log.warning("bind code refused key=%s", msg.key)
        elif isinstance(effect, d.RequestRebind):
            previous = sup_repo.request_rebind(session=session, supervisor_id=effect.supervisor_id, openid=msg.sender,
                                               pseudonym=msg.pseudonym, now=now)  # fmt: skip
            if previous:
                notify.warn_former_binding(session, rt, previous, binding.OLD_BINDING_WARNING, now,
                                           key=f"rebind-request:{effect.supervisor_id}:{msg.key}")  # fmt: skip
            log.warning(
                "rebind requested for supervisor=%s key=%s; waits for the office", effect.supervisor_id, msg.key
            )
        elif isinstance(effect, d.BindSupervisor):
            sup_repo.bind(session=session, supervisor_id=effect.supervisor_id, openid=msg.sender,
                          pseudonym=msg.pseudonym, now=now)  # fmt: skip
            dialogs.clear(session=session, pseudonym=msg.pseudonym)
            # Notices that waited for this supervisor to bind can go now.
            outbox.unpark(session=session, now=now, recipient=effect.supervisor_id)
        elif isinstance(effect, d.CaseAction):
            case = ctx._supervisor_case(effect.number)
            assert case is not None  # dispatch checked the scope
            try:
                casework.act(session, rt, case, effect.action, actor=ctx.supervisor_id() or "supervisor", now=now,
                             note=effect.text, days=effect.days)  # fmt: skip
            except IllegalTransition as exc:
                reply = exc.reason
        elif isinstance(effect, d.RecordOutcome):
            reply = _record_outcome(ctx, effect) or reply
        elif isinstance(effect, d.AppealRating):
            case = ctx._supervisor_case(effect.number)
            assert case is not None  # dispatch checked the scope
            reply = appeals.appeal_from_wechat(session, rt, ctx.supervisor_id() or "", case, effect.reason, now)
        elif isinstance(effect, d.RateCase):
            case = cases_repo.by_number(session=session, number=effect.number)
            assert case is not None and case.pseudonym == msg.pseudonym
            action = "rate_satisfied" if effect.rating.satisfied else "rate_unsatisfied"
            casework.act(session, rt, case, action, actor="citizen", now=now, note=effect.rating.label,
                         rating=(effect.rating.outcome, effect.rating.conduct))  # fmt: skip
        elif isinstance(effect, d.CitizenAnswer):
            case = cases_repo.by_number(session=session, number=effect.number)
            assert case is not None and case.pseudonym == msg.pseudonym
            cases_repo.add_message(session=session, case=case, at=now, direction="citizen", kind="answer",
                                   body=effect.text, author=None)  # fmt: skip
            event = cases_repo.append_event(session=session, case=case, at=now, actor="citizen",
                                            action="citizen_answer", from_state=case.state, to_state=case.state)  # fmt: skip
            for a in cases_repo.assignees(session=session, case_id=case.id):
                notify.notify_supervisor(session, rt, case, a.supervisor_id, now, reason=f"answer{event.seq}")
        elif isinstance(effect, d.TemplateStatus):
            if effect.msg_id:
                outbox.record_template_status(session=session, msgid=effect.msg_id, status=effect.status)
        else:  # pragma: no cover - a handler returned an effect nobody applies: a programming error
            raise TypeError(f"unknown effect {type(effect).__name__}")
    return reply


def _record_outcome(ctx: IntakeContext, effect: d.RecordOutcome) -> str | None:
    """A handler's 查实 or 问责 from WeChat; returns a reply only when it was refused."""
    case = ctx._supervisor_case(effect.number)
    assert case is not None  # dispatch checked the scope
    actor = ctx.supervisor_id() or "supervisor"
    try:
        if isinstance(effect.record, acc.FindingInput):
            accountability.record_finding(ctx.session, ctx.rt, case, effect.record, actor=actor, now=ctx.now)
        else:
            accountability.record_measures(ctx.session, ctx.rt, case, effect.record, actor=actor, now=ctx.now)  # type: ignore[arg-type]
    except acc.RecordError as exc:
        return f"工单 {case.number}：{exc}"
    return None


def _supplement(ctx: IntakeContext, effect: d.AppendSupplement) -> None:
    s = effect.supplement
    case = cases_repo.by_number(session=ctx.session, number=s.case_number)
    if case is None or case.pseudonym != ctx.msg.pseudonym:
        return  # the dialog only offers the citizen's own cases; never touch anyone else's
    if s.text:
        cases_repo.add_message(session=ctx.session, case=case, at=ctx.now, direction="citizen", kind="supplement",
                               body=s.text, author=None)  # fmt: skip
    if s.media is not None:
        cases_repo.add_evidence(session=ctx.session, case=case, kind=s.media.kind, media_id=s.media.media_id,
                                pic_url=s.media.pic_url, at=ctx.now)  # fmt: skip
    if s.location is not None:
        lat, lon, label = s.location
        cases_repo.add_message(session=ctx.session, case=case, at=ctx.now, direction="citizen", kind="supplement",
                               body=f"位置：{label or ''}（{lat:.5f}, {lon:.5f}）", author=None)  # fmt: skip
    event = cases_repo.append_event(session=ctx.session, case=case, at=ctx.now, actor="citizen",
                                    action="supplement", from_state=case.state, to_state=case.state)  # fmt: skip
    for a in cases_repo.assignees(session=ctx.session, case_id=case.id):
        notify.notify_supervisor(ctx.session, ctx.rt, case, a.supervisor_id, ctx.now, reason=f"answer{event.seq}")


# How stale the stored "last message" time may be before a message rewrites it. It opens WeChat's 48-hour
# customer-service window, so a stored time up to this much older than the truth only closes our idea of the
# window early (the sender then uses a template message), never late; in return a citizen's quick follow-up
# messages skip a write.
TOUCH_GRANULARITY = timedelta(minutes=5)


def _needs_touch(view: turn_repo.SenderView, *, message: bool, now: datetime) -> bool:
    """Whether the citizen row must be written: unknown citizen, or a message that moves the window's start."""
    if not view.known:
        return True
    if not message:
        return False
    return view.last_message_at is None or view.last_message_at < now - TOUCH_GRANULARITY


def _ledger_fields(msg: InboundMessage, now: datetime) -> inbound_repo.ClaimFields:
    """The push's row in the exactly-once ledger."""
    return inbound_repo.ClaimFields(msg_key=msg.key, msg_id=msg.msg_id, msg_type=msg.msg_type, event=msg.event,
                                    pseudonym=msg.pseudonym, created_at=msg.created_at, received_at=now)  # fmt: skip


# Shorter texts are answers to the dialog's questions (是, 取消, a number, 你好) more often than a story it would
# classify; classifying them ahead would mostly be wasted.
AHEAD_MIN_CHARS = 5


def classify_ahead(rt: Runtime, msg: InboundMessage) -> dict[str, Classification]:
    """The message's own text classified before the transaction, where writers queue (SQLite).

    Classification is pure and by far the largest piece of a first message's turn; done inside the transaction
    it holds the single writer's lock while the other workers wait for it. A new citizen's first message is
    classified on its own text (so is most free text the dialog reads); when the dialog asks for another text
    (a draft's whole story) this work is spent for nothing, outside the lock.
    """
    text = msg.text
    if not rt.db.writers_queue or text is None or len(text.strip()) < AHEAD_MIN_CHARS:
        return {}
    try:
        return {text: rt.classifier.classify(text)}
    except Exception as exc:  # the turn classifies again inside the transaction, and fails there if it must
        log.warning("classification ahead failed key=%s: %s", msg.key, type(exc).__name__)
        return {}


def process(rt: Runtime, msg: InboundMessage, plaintext: str) -> Outcome:
    started = time.perf_counter()
    now = rt.now()
    # Counted before any work of the turn: a flood costs its ledger row and nothing else, not even the
    # classification ahead. A retry is counted too (it is a push); the ledger still gives it the stored answer.
    try:
        limited = ratelimit.flooded(rt, msg, now)
    except Exception as exc:  # the limiter falls back on its own when Redis fails; this is a bug, not a flood
        log.error("flood limit check failed key=%s: %s", msg.key, type(exc).__name__)
        limited = False
    ahead = {} if limited else classify_ahead(rt, msg)
    try:
        with rt.db.transaction() as session:
            claimed = turn_repo.claim_with_view(session=session, **_ledger_fields(msg, now))
            if claimed is None:
                stored = inbound_repo.get(session=session, msg_key=msg.key)
                assert stored is not None
                log.info("push duplicate key=%s outcome=%s", msg.key, stored.outcome)
                return Outcome(stored.reply_text, stored.reply_created_at or now, True, stored.outcome)
            record_id, view = claimed
            if limited:  # still claimed: retries of a limited push stay duplicates
                reply = ratelimit.reply_text(rt)
                inbound_repo.finish(session=session, record_id=record_id, outcome="ignored", reply_text=reply, at=now)
                return Outcome(reply, now, False, "ignored")
            ctx = IntakeContext(rt, session, msg, now, view, ahead)
            if _needs_touch(ctx._view, message=msg.msg_type != "event", now=now):
                citizens.touch(
                    session=session, pseudonym=msg.pseudonym, openid=msg.sender, at=now, message=msg.msg_type != "event"
                )
            step = dispatch(msg, ctx)
            reply = _apply(step, msg, ctx)
            inbound_repo.finish(session=session, record_id=record_id, outcome=step.outcome, reply_text=reply, at=now)
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
    return Outcome(reply, now, False, step.outcome)


def _dead_letter_crash(rt: Runtime, msg: InboundMessage, plaintext: str, exc: Exception, now: datetime) -> Outcome:
    """Keep the push (so it can be replayed, not lost) and give the citizen a polite answer."""
    reply = rt.settings.city.texts.error
    with rt.db.transaction() as session:
        # None: a concurrent copy of the same push succeeded meanwhile
        record_id = inbound_repo.claim(session=session, **_ledger_fields(msg, now))
        if record_id is None:
            stored = inbound_repo.get(session=session, msg_key=msg.key)
            assert stored is not None
            return Outcome(stored.reply_text, stored.reply_created_at or now, True, stored.outcome)
        inbound_repo.finish(session=session, record_id=record_id, outcome="failed", reply_text=reply, at=now)
        # The replay finds the openid here (the dead letter keeps only the pseudonym).
        citizens.touch(session=session, pseudonym=msg.pseudonym, openid=msg.sender, at=now,
                       message=msg.msg_type != "event")  # fmt: skip
        inbound_repo.add_dead_letter(
            session=session,
            stage="handler",
            reason=f"{type(exc).__name__} while handling",
            received_at=now,
            msg_key=msg.key,
            # Enough to replay it, nothing more: the openid is swapped for the pseudonym (restored at replay).
            payload=without_sender(plaintext, msg.pseudonym),
        )
    return Outcome(reply, now, False, "failed")


def record_malformed(rt: Runtime, reason: str) -> None:
    with rt.db.transaction() as session:
        inbound_repo.add_dead_letter(session=session, stage="parse", reason=reason, received_at=rt.now())
