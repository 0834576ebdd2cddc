"""Callbacks for the questions of a draft: what happened, the unit, when, evidence, identity, read-back, repair.

Each fills or changes slots and hands over to `dialog_flow.advance` (next open question) or stays with a nudge.
Which callback runs in which state is declared in `handlers.dialog.states`. Pure.
"""

from __future__ import annotations

from handlers.dialog.entry import limit_text
from handlers.dialog.entry import media_ack
from handlers.dialog.entry import over_limit
from handlers.dialog.flow import add_evidence
from handlers.dialog.flow import advance
from handlers.dialog.flow import append_text
from handlers.dialog.flow import ask_again
from handlers.dialog.flow import build_draft
from handlers.dialog.flow import is_enough
from handlers.dialog.flow import place_label
from handlers.dialog.flow import prompt
from handlers.dialog.flow import set_when
from handlers.dialog.flow import submitted_reply
from handlers.dialog.flow import unit_candidates
from handlers.dialog.flow import when_label
from handlers.dialog.intents import Contact
from handlers.dialog.intents import compact
from handlers.dialog.intents import meaningful_length
from handlers.dialog.split import split_drafts
from handlers.dialog.turn import Turn
from handlers.dialog.turn import end
from handlers.dialog.turn import go
from handlers.dialog.types import DialogResult
from handlers.dialog.types import Fix
from handlers.dialog.types import Slots
from handlers.dialog.types import Stage
from handlers.masking import mask_phone
from handlers.texts import say
from handlers.when import When
from handlers.when import today_in


def _stage(turn: Turn) -> Stage:
    assert turn.state is not None
    return turn.state.stage


def _after_change(turn: Turn, slots: Slots, ack: str) -> DialogResult:
    # While photos are still coming, a short nudge beats repeating the whole evidence question.
    if _stage(turn) is Stage.ASK_EVIDENCE and not slots.evidence_answered:
        return go(turn, Stage.ASK_EVIDENCE, slots, f"{ack}\n{say(turn.city, 'evidence_nudge')}")
    return advance(turn, slots, ack)


def _is_future(turn: Turn, when: When) -> bool:
    return when.day is not None and when.day > today_in(turn.env.now, turn.env.tz)


def _set_anonymous(slots: Slots) -> None:
    slots.anonymous, slots.identity_answered, slots.real_name, slots.phone = True, True, None, None


def _keep_voice(turn: Turn, slots: Slots) -> None:
    # A spoken description is kept as recorded, not only as WeChat's transcript of it.
    if turn.media is not None and turn.media.kind == "voice":
        add_evidence(slots, turn.media)


# -- in every draft state ---------------------------------------------------------------------------------


def on_scene_in_draft(turn: Turn, scene: tuple[str, str | None]) -> DialogResult:
    slots = turn.slots()
    slots.unit, slots.window = scene
    slots.unit_source, slots.unit_decided = "qr", True
    return advance(turn, slots, say(turn.city, "unit_set", unit=turn.city.unit_name(slots.unit)))


def on_busy(turn: Turn, _: object) -> DialogResult:
    return ask_again(turn, turn.slots(), _stage(turn), say(turn.city, "report_busy"))


def on_correction(turn: Turn, fix: Fix) -> DialogResult:
    slots = turn.slots()
    city = turn.city
    if fix.kind == "unit":
        slots.unit, slots.unit_source, slots.unit_decided = str(fix.value), "named", True
        return advance(turn, slots, say(city, "unit_set", unit=city.unit_name(slots.unit)))
    if fix.kind == "unit_unknown":
        slots.unit_decided = False
        slots.candidates = unit_candidates(turn.classify(slots.text), city)
        return ask_again(turn, slots, Stage.CHOOSE_UNIT, say(city, "unit_unknown", name=fix.value))
    if fix.kind == "when":
        assert isinstance(fix.value, When)
        if _is_future(turn, fix.value):
            return go(turn, _stage(turn), slots, say(city, "when_future", words=fix.value.words))
        set_when(slots, fix.value)
        return _after_change(turn, slots, say(city, "when_set", when=when_label(slots, turn.env)))
    if fix.kind == "window":
        slots.window = str(fix.value)
        return _after_change(turn, slots, say(city, "window_set", window=slots.window))
    if fix.kind == "place":
        slots.place = str(fix.value)
        return _after_change(turn, slots, say(city, "place_set", place=slots.place))
    if fix.value == "匿名":
        _set_anonymous(slots)
        return advance(turn, slots, say(city, "identity_anonymous"))
    slots.identity_answered = False
    return go(turn, Stage.ASK_CONTACT, slots, prompt(Stage.ASK_CONTACT, slots, turn.env))


def on_append(turn: Turn, text: str) -> DialogResult:
    """ "补充：…" inside a draft: more about what happened, wherever we are."""
    slots = turn.slots()
    append_text(slots, text)
    _keep_voice(turn, slots)
    if _stage(turn) is Stage.COLLECT_TEXT:
        return _collected(turn, slots)
    return ask_again(turn, slots, _stage(turn), say(turn.city, "text_appended"))


def on_location(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    lat, lon = turn.msg.location or (0.0, 0.0)
    slots.location = [lat, lon, turn.msg.label]
    ack = say(turn.city, "location_set", place=place_label(slots) or "")
    if _stage(turn) is Stage.ASK_EVIDENCE:
        return go(turn, Stage.ASK_EVIDENCE, slots, f"{ack}\n{say(turn.city, 'evidence_nudge')}")
    return ask_again(turn, slots, _stage(turn), ack)


# -- what happened ----------------------------------------------------------------------------------------


def _collected(turn: Turn, slots: Slots) -> DialogResult:
    if is_enough(slots, turn.classify(slots.text), turn.city) or slots.clarified:
        # A thin report gets one clarifying question, never two: what the citizen adds after it is enough.
        slots.text_done = True
        return advance(turn, slots)
    slots.clarified = True
    return go(turn, Stage.COLLECT_TEXT, slots, say(turn.city, "clarify"))


def on_text_done(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    if not slots.text.strip():
        return ask_again(turn, slots, Stage.COLLECT_TEXT)
    slots.text_done = True
    return advance(turn, slots)


def on_description(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    append_text(slots, turn.text or "")
    _keep_voice(turn, slots)
    return _collected(turn, slots)


def on_media_while_describing(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    add_evidence(slots, turn.media)  # type: ignore[arg-type]
    if turn.media is not None and turn.media.kind == "voice":
        return go(turn, Stage.COLLECT_TEXT, slots, media_ack(turn))
    return ask_again(turn, slots, Stage.COLLECT_TEXT, media_ack(turn))


# -- the unit ---------------------------------------------------------------------------------------------


def _unit_taken(turn: Turn, slots: Slots, code: str, source: str | None) -> DialogResult:
    slots.unit, slots.unit_source, slots.unit_decided = code, source, True
    return advance(turn, slots, say(turn.city, "unit_set", unit=turn.city.unit_name(code)))


def on_unit_yes(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    return _unit_taken(turn, slots, slots.candidates[0], slots.unit_source or "classifier")


def on_unit_no(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    slots.candidates = slots.candidates[1:]
    return ask_again(turn, slots, Stage.CHOOSE_UNIT)


def on_unit_unsure(turn: Turn, _: object) -> DialogResult:
    # Nobody is asked to know the administrative map: the triage desk will place it.
    slots = turn.slots()
    slots.unit, slots.unit_source, slots.unit_decided = None, None, True
    return advance(turn, slots, say(turn.city, "unit_unsure_ok"))


def on_unit_choice(turn: Turn, choice: int) -> DialogResult:
    slots = turn.slots()
    if choice > len(slots.candidates):
        return on_unit_unsure(turn, None)
    return _unit_taken(turn, slots, slots.candidates[choice - 1], "chosen")


def on_unit_typed(turn: Turn, code: str) -> DialogResult:
    return _unit_taken(turn, turn.slots(), code, "chosen")


# -- when, evidence ---------------------------------------------------------------------------------------


def on_when(turn: Turn, when: When) -> DialogResult:
    slots = turn.slots()
    if _is_future(turn, when):
        return go(turn, Stage.ASK_WHEN, slots, say(turn.city, "when_future", words=when.words))
    set_when(slots, when)
    if meaningful_length(turn.text) > len(compact(when.words)) + 8:
        append_text(slots, turn.text or "")  # the answer said more than the time: keep it with the story
    return advance(turn, slots, say(turn.city, "when_set", when=when_label(slots, turn.env)))


def on_evidence(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    if turn.text:
        append_text(slots, turn.text)
    if not add_evidence(slots, turn.media):  # type: ignore[arg-type]
        slots.evidence_answered = True
        return advance(turn, slots, say(turn.city, "evidence_full", n=len(slots.evidence)))
    return go(turn, Stage.ASK_EVIDENCE, slots, say(turn.city, "evidence_noted", n=len(slots.evidence)))


def on_evidence_done(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    slots.evidence_answered = True
    return advance(turn, slots)


def on_evidence_clear(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    slots.evidence = []
    reply = f"{say(turn.city, 'evidence_cleared')}\n{say(turn.city, 'evidence_nudge')}"
    return go(turn, Stage.ASK_EVIDENCE, slots, reply)


def on_window(turn: Turn, window: str) -> DialogResult:
    slots = turn.slots()
    slots.window = window
    reply = f"{say(turn.city, 'window_set', window=window)}\n{say(turn.city, 'evidence_nudge')}"
    return go(turn, Stage.ASK_EVIDENCE, slots, reply)


# -- identity ---------------------------------------------------------------------------------------------


def on_identity(turn: Turn, choice: str) -> DialogResult:
    slots = turn.slots()
    if choice == "anonymous":
        _set_anonymous(slots)
        return advance(turn, slots, say(turn.city, "identity_anonymous"))
    return go(turn, Stage.ASK_CONTACT, slots, prompt(Stage.ASK_CONTACT, slots, turn.env))


def on_contact(turn: Turn, contact: Contact) -> DialogResult:
    slots = turn.slots()
    if contact.bad_phone and contact.phone is None:
        slots.real_name = contact.name or slots.real_name
        return go(turn, Stage.ASK_CONTACT, slots, say(turn.city, "phone_invalid"))
    slots.real_name = contact.name or slots.real_name
    slots.phone = contact.phone or slots.phone
    if slots.real_name and slots.phone:
        slots.anonymous, slots.identity_answered = False, True
        ack = say(turn.city, "identity_real", name=slots.real_name, phone=mask_phone(slots.phone))
        return advance(turn, slots, ack)
    return go(turn, Stage.ASK_CONTACT, slots, prompt(Stage.ASK_CONTACT, slots, turn.env))


# -- read-back and repair ---------------------------------------------------------------------------------


def on_confirm(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    if over_limit(turn):
        # Keep the draft: tomorrow a 确认 submits it.
        return go(turn, Stage.REVIEW, slots, limit_text(turn, "limit_reached_review"), handler="limit")
    draft = build_draft(slots, turn.env, turn.classify)
    if len(slots.split_units) >= 2:
        first, second = split_drafts(draft, slots.split_units, turn.city, turn.classify)
        return end(turn, submitted_reply(first, turn.env, second), submit=first, also_submit=second)
    return end(turn, submitted_reply(draft, turn.env), submit=draft)


def on_split(turn: Turn, choice: int) -> DialogResult:
    """Two units with separate grievances: two cases (each to its own supervisors), or one as told."""
    slots = turn.slots()
    slots.split_decided = True
    if choice == 1:
        slots.unit, slots.unit_source, slots.unit_decided = slots.split_units[0], "named", True
        first, second = (turn.city.unit_name(u) for u in slots.split_units[:2])
        return advance(turn, slots, say(turn.city, "split_done", first=first, second=second))
    slots.split_units = []
    return advance(turn, slots)


def on_amend(turn: Turn, _: object) -> DialogResult:
    return go(turn, Stage.AMEND, turn.slots(), say(turn.city, "amend"))


def on_back_to_review(turn: Turn, _: object) -> DialogResult:
    """ "确认" while choosing what to change: nothing to change after all, show the read-back again."""
    return ask_again(turn, turn.slots(), Stage.REVIEW)


def on_amend_choice(turn: Turn, choice: int) -> DialogResult:
    slots = turn.slots()
    if choice == 1:
        slots.unit_decided = False
        slots.candidates = unit_candidates(turn.classify(slots.text), turn.city)
        return ask_again(turn, slots, Stage.CHOOSE_UNIT)
    if choice == 2:
        slots.rewrite, slots.text_done = True, False
        return ask_again(turn, slots, Stage.COLLECT_TEXT)
    if choice == 3:
        slots.when_answered, slots.occurred_on, slots.occurred_text = False, None, None
        return ask_again(turn, slots, Stage.ASK_WHEN)
    if choice == 4:
        slots.evidence_answered = False
        return ask_again(turn, slots, Stage.ASK_EVIDENCE, say(turn.city, "evidence_how_to_clear"))
    slots.identity_answered = False
    return ask_again(turn, slots, Stage.ASK_IDENTITY)


# -- anything else inside a draft -------------------------------------------------------------------------


def on_media_in_draft(turn: Turn, _: object) -> DialogResult:
    """A photo where a word was expected: keep it (it is evidence) and repeat the question."""
    slots = turn.slots()
    add_evidence(slots, turn.media)  # type: ignore[arg-type]
    return ask_again(turn, slots, _stage(turn), media_ack(turn))


def on_smalltalk_in_draft(turn: Turn, _: object) -> DialogResult:
    return ask_again(turn, turn.slots(), _stage(turn))


def on_more_words(turn: Turn, _: object) -> DialogResult:
    """A long message where a short answer was expected: it is more of the story, so keep it there."""
    slots = turn.slots()
    append_text(slots, turn.text or "")
    _keep_voice(turn, slots)
    stage = _stage(turn)
    if stage is Stage.REVIEW:
        return ask_again(turn, slots, stage, say(turn.city, "text_appended"))
    return go(turn, stage, slots, f"{say(turn.city, 'text_appended')}\n{nudge(turn, slots, stage)}")


def nudge(turn: Turn, slots: Slots, stage: Stage) -> str:
    """The short reminder of what answer the question expects."""
    city = turn.city
    if stage is Stage.CHOOSE_UNIT:
        if not slots.candidates:
            return say(city, "ask_unit_name")
        return say(city, "choice_nudge", n=len(slots.candidates) + 1)
    keys = {
        Stage.SPLIT: "split_nudge",
        Stage.CONFIRM_UNIT: "yes_no_nudge",
        Stage.ASK_WHEN: "when_nudge",
        Stage.ASK_EVIDENCE: "evidence_nudge",
        Stage.ASK_IDENTITY: "identity_nudge",
        Stage.REVIEW: "review_nudge",
        Stage.AMEND: "amend_nudge",
    }
    if stage in keys:
        return say(city, keys[stage])
    return prompt(stage, slots, turn.env)


def on_nudge(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    stage = _stage(turn)
    lead = ""
    if stage is Stage.CHOOSE_UNIT and turn.text and meaningful_length(turn.text) >= 2 and not turn.key.isdigit():
        lead = say(turn.city, "unit_unknown", name=turn.text.strip()) + "\n"
    return go(turn, stage, slots, lead + nudge(turn, slots, stage))


def on_unsupported_in_draft(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    stage = _stage(turn)
    return go(
        turn, stage, slots, f"{say(turn.city, 'unsupported_here')}\n{nudge(turn, slots, stage)}", outcome="unsupported"
    )
