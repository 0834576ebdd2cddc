"""Callbacks that start, leave or step around a draft: entry points, fallbacks, the idle offer, supplements.

Each callback takes the turn and what its matcher found and returns a `DialogResult`; which callback runs when
is declared in `handlers.dialog.states`. Pure.
"""

from __future__ import annotations

from handlers.cases_view import find_own_case
from handlers.cases_view import render_case_list
from handlers.cases_view import render_status
from handlers.dialog.flow import add_evidence
from handlers.dialog.flow import advance
from handlers.dialog.flow import append_text
from handlers.dialog.flow import ask_again
from handlers.dialog.flow import is_enough
from handlers.dialog.flow import prompt
from handlers.dialog.flow import reminder
from handlers.dialog.intents import QueryCommand
from handlers.dialog.intents import SupplementCommand
from handlers.dialog.intents import without_lead_in
from handlers.dialog.matchers import is_complaint
from handlers.dialog.turn import Turn
from handlers.dialog.turn import end
from handlers.dialog.turn import go
from handlers.dialog.turn import keep
from handlers.dialog.types import DialogResult
from handlers.dialog.types import Slots
from handlers.dialog.types import Stage
from handlers.dialog.types import Supplement
from handlers.texts import MEDIA_NAMES
from handlers.texts import say


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def _with_reminder(turn: Turn, reply: str) -> str:
    """A detour's answer, plus the open question when a live draft is waiting."""
    if turn.state is None or turn.expired:
        return reply
    return f"{reply}\n\n{reminder(turn.state.stage, turn.state.slots, turn.env)}"


def over_limit(turn: Turn) -> bool:
    return turn.env.cases_today >= turn.city.limits.cases_per_day


def limit_text(turn: Turn, key: str = "limit_reached") -> str:
    return say(turn.city, key, count=turn.env.cases_today, limit=turn.city.limits.cases_per_day)


def media_ack(turn: Turn) -> str:
    """What to say about a photo/video/voice just kept; a voice WeChat could not transcribe asks for text."""
    media = turn.media
    if media is None:
        return ""
    if media.kind == "voice" and turn.text is None:
        return say(turn.city, "voice_unclear")
    return say(turn.city, "media_saved", media=MEDIA_NAMES.get(media.kind, "材料"))


def start_draft(turn: Turn, slots: Slots, *acks: str, text: str | None = None) -> DialogResult:
    """Open a draft (within the daily limit), taking `text` as the first words about what happened."""
    if over_limit(turn):
        return end(turn, _join(*acks, limit_text(turn)), handler="limit")
    if turn.media is not None:
        add_evidence(slots, turn.media)
    if text:
        append_text(slots, without_lead_in(text))
        if is_enough(slots, turn.classify(slots.text), turn.city):
            slots.text_done = True
            return advance(turn, slots, *acks)
        slots.clarified = True  # the one clarifying question about a thin report is this one
        return go(turn, Stage.COLLECT_TEXT, slots, _join(*acks, say(turn.city, "clarify")))
    if turn.media is not None and turn.media.kind == "voice":
        # An untranscribed voice: its own ask ("please type it") is the question; do not ask twice.
        return go(turn, Stage.COLLECT_TEXT, slots, _join(*acks, media_ack(turn)))
    return ask_again(turn, slots, Stage.COLLECT_TEXT, *acks, media_ack(turn))


# -- fallbacks: valid in every state ----------------------------------------------------------------------


def on_unsubscribe(turn: Turn, _: object) -> DialogResult:
    # The citizen left: nothing can reach them, and a half-written report is sensitive. Forget it.
    return end(turn, "")


def on_silent_event(turn: Turn, _: object) -> DialogResult:
    # Template results, automatic location reports, menu links: not the citizen talking, so nothing changes
    # (not even the idle clock).
    return DialogResult(state=turn.stored, reply="", outcome="ignored")


def on_cancel(turn: Turn, _: object) -> DialogResult:
    if turn.state is None:
        return end(turn, say(turn.city, "nothing_to_cancel"))
    if turn.state.stage is Stage.SUPPLEMENT:
        return leave_supplement(turn)
    return end(turn, say(turn.city, "cancelled"))


def on_restart(turn: Turn, _: object) -> DialogResult:
    pending = turn.state.slots.pending_text if turn.state and turn.state.stage is Stage.RESUME else None
    ack = say(turn.city, "restarted") if turn.state else ""
    fresh = Turn(None, turn.msg, turn.env, stored=turn.stored)  # the old draft is gone; start_draft sees none
    return start_draft(fresh, Slots(), ack, text=pending)


def on_help(turn: Turn, _: object) -> DialogResult:
    return keep(turn, _with_reminder(turn, turn.city.texts.help))


def on_my_cases(turn: Turn, _: object) -> DialogResult:
    return keep(turn, _with_reminder(turn, render_case_list(turn.env.my_cases, turn.city, turn.env.now)))


def on_query(turn: Turn, cmd: QueryCommand) -> DialogResult:
    env = turn.env
    if cmd.malformed:
        return keep(turn, _with_reminder(turn, say(turn.city, "query_bad_number")))
    if cmd.number is None:
        if len(env.my_cases) == 1:
            return keep(turn, _with_reminder(turn, render_status(env.my_cases[0], turn.city, env.now)))
        return keep(turn, _with_reminder(turn, render_case_list(env.my_cases, turn.city, env.now)))
    case = find_own_case(cmd.number, env.my_cases)
    if case is None:
        return keep(turn, _with_reminder(turn, say(turn.city, "query_not_found", number=cmd.number)))
    return keep(turn, _with_reminder(turn, render_status(case, turn.city, env.now)))


def on_supplement_command(turn: Turn, cmd: SupplementCommand) -> DialogResult:
    if cmd.number is None:
        return keep(turn, _with_reminder(turn, say(turn.city, "supplement_which")))
    case = find_own_case(cmd.number, turn.env.my_cases)
    if case is None:
        return keep(turn, _with_reminder(turn, say(turn.city, "query_not_found", number=cmd.number)))
    if cmd.content:
        supplement = Supplement(case_number=case.number, text=cmd.content)
        reply = say(turn.city, "supplement_saved_once", number=case.number)
        return keep(turn, _with_reminder(turn, reply), supplements=(supplement,))
    # Photos come next: remember the case, and the draft it interrupts (if any) to return to afterwards.
    slots = turn.slots()
    if turn.state is not None and turn.state.stage is not Stage.SUPPLEMENT:
        slots.resume_stage = turn.state.stage.value
    slots.supplement_case = case.number
    return go(turn, Stage.SUPPLEMENT, slots, say(turn.city, "supplement_ask", number=case.number))


# -- entry points: no draft yet ---------------------------------------------------------------------------


def on_subscribe(turn: Turn, _: object) -> DialogResult:
    return end(turn, turn.city.texts.welcome)


def on_scene(turn: Turn, scene: tuple[str, str | None]) -> DialogResult:
    """A window QR code: the unit (and window) are known before the citizen types a word."""
    unit, window = scene
    welcome = turn.city.texts.welcome if turn.event == "subscribe" else ""
    if over_limit(turn):
        return end(turn, _join(welcome, limit_text(turn)), handler="limit")
    slots = Slots(unit=unit, unit_source="qr", unit_decided=True, window=window)
    place = turn.city.unit_name(unit) + (f" {window}号窗口" if window else "")
    return go(turn, Stage.COLLECT_TEXT, slots, _join(welcome, say(turn.city, "report_start_qr", place=place)))


def on_menu(turn: Turn, _: object) -> DialogResult:
    return end(turn, turn.city.texts.menu)


def on_report(turn: Turn, _: object) -> DialogResult:
    return start_draft(turn, Slots())


def on_thanks(turn: Turn, _: object) -> DialogResult:
    return end(turn, say(turn.city, "thanks"))


def on_nothing_more(turn: Turn, _: object) -> DialogResult:
    # "就是这些" with nothing open (after an outburst, say): a close, not a second outburst answered.
    return end(turn, say(turn.city, "nothing_more"))


def on_guide(turn: Turn, _: object) -> DialogResult:
    return end(turn, say(turn.city, "guide"))


def on_complaint(turn: Turn, _: object) -> DialogResult:
    return start_draft(turn, Slots(), text=turn.text)


def on_media_first(turn: Turn, _: object) -> DialogResult:
    """A photo (or a voice WeChat could not transcribe) before any words: keep it, ask what happened."""
    return start_draft(turn, Slots())


def on_location_first(turn: Turn, _: object) -> DialogResult:
    lat, lon = turn.msg.location or (0.0, 0.0)
    slots = Slots(location=[lat, lon, turn.msg.label])
    place = turn.msg.label or f"{lat:.5f}, {lon:.5f}"
    return start_draft(turn, slots, say(turn.city, "location_set", place=place))


def on_unsupported(turn: Turn, _: object) -> DialogResult:
    return keep(turn, turn.city.texts.unsupported, outcome="unsupported")


# -- idle and resume --------------------------------------------------------------------------------------


def on_timeout(turn: Turn, _: object) -> DialogResult:
    """Back after a pause: keep the draft, offer 继续 / 重新开始; a new complaint waits for the answer."""
    assert turn.state is not None
    slots = turn.slots()
    slots.resume_stage = turn.state.stage.value
    slots.pending_text = turn.text if is_complaint(turn) else None
    if turn.media is not None:
        add_evidence(slots, turn.media)
    return go(turn, Stage.RESUME, slots, prompt(Stage.RESUME, slots, turn.env))


def on_resume_continue(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    stage = Stage(slots.resume_stage or Stage.COLLECT_TEXT)
    slots.resume_stage = None
    slots.pending_text = None
    return ask_again(turn, slots, stage, say(turn.city, "resumed"))


def on_resume_other(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    if turn.media is not None:
        add_evidence(slots, turn.media)
    if is_complaint(turn):
        slots.pending_text = turn.text
    return go(turn, Stage.RESUME, slots, say(turn.city, "resume_nudge"))


# -- supplement mode --------------------------------------------------------------------------------------


def on_supplement_add(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    number = slots.supplement_case or ""
    location = None
    if turn.msg.location is not None:
        location = (turn.msg.location[0], turn.msg.location[1], turn.msg.label)
    supplement = Supplement(case_number=number, text=turn.text, media=turn.media, location=location)
    reply = say(turn.city, "supplement_saved", number=number)
    return go(turn, Stage.SUPPLEMENT, slots, reply, supplements=(supplement,))


def leave_supplement(turn: Turn, _: object = None) -> DialogResult:
    """Done adding to a case: back to the interrupted draft, or no conversation."""
    slots = turn.slots()
    back = slots.resume_stage
    slots.resume_stage = None
    slots.supplement_case = None
    if back:
        return ask_again(turn, slots, Stage(back), say(turn.city, "supplement_done"))
    return end(turn, say(turn.city, "supplement_done"))
