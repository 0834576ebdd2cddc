"""Slot filling: which question comes next, how each question is asked, the read-back, and the final draft.

`advance` is the one place that decides the order of the questions (what happened → unit → when → evidence →
identity → read-back); callbacks only fill slots and call it. Pure: the classifier is the injected callable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from handlers.config import CityConfig
from handlers.dialog.intents import find_window
from handlers.dialog.intents import meaningful_length
from handlers.dialog.turn import Turn
from handlers.dialog.turn import go
from handlers.dialog.types import CaseDraft
from handlers.dialog.types import DialogEnv
from handlers.dialog.types import DialogResult
from handlers.dialog.types import MediaRef
from handlers.dialog.types import Slots
from handlers.dialog.types import Stage
from handlers.masking import mask_phone
from handlers.masking import mask_text
from handlers.routing import DISCIPLINE_LED
from handlers.surveys import ask
from handlers.surveys import questions_from
from handlers.textfit import excerpt
from handlers.texts import MEDIA_NAMES
from handlers.texts import say
from handlers.when import When
from handlers.when import find_when
from handlers.when import today_in
from nlp.types import Classification

MAX_CANDIDATES = 4
THIN_UNIT_FLOOR = 0.3  # below this the classifier's unit is no lead at all (a thin report)
DISCIPLINE_CATEGORY = DISCIPLINE_LED  # 吃拿卡要: led by 纪委监委
MAX_EVIDENCE = 20
SUMMARY_CHARS = 80
RESUME_CHARS = 40


# -- reading the text -------------------------------------------------------------------------------------


def is_enough(slots: Slots, c: Classification, city: CityConfig) -> bool:
    """Whether what the citizen said so far is a report we can move on from without asking for more.

    A long message is; a shorter one is when it names both a unit and a behaviour the classifier recognised
    ("社保局的人" alone is not: nothing happened yet). A unit fixed by a window QR code counts as named.
    """
    n = meaningful_length(slots.text)
    # A unit counts when it was named, fixed by a QR code, or at least a plausible guess to offer: "办个证跑了五趟"
    # points at no unit anyone could act on, and is asked one clarifying question.
    sure = c.unit is not None and (c.unit_explicit or c.unit_confidence >= THIN_UNIT_FLOOR)
    unit = slots.unit if slots.unit is not None else (c.unit if sure else None)
    # A possible bribe ("要送点东西才给批") is something to act on even while its category is unsure.
    behaviour = bool(c.evidence) and (
        (c.category_confidence or c.confidence) >= city.nlp.category_threshold
        or bool(c.extra.get("possible_corruption"))
    )
    return n >= 30 or (n >= 10 and unit is not None and behaviour)


def append_text(slots: Slots, text: str) -> None:
    """Add the citizen's words to the description, whole (or replace it after 修改 → 事情经过)."""
    if slots.rewrite or not slots.text:
        slots.text = text
        slots.rewrite = False
    else:
        slots.text = f"{slots.text}\n{text}"


def add_evidence(slots: Slots, media: MediaRef) -> bool:
    """Keep a photo, voice or video (False when the draft already holds MAX_EVIDENCE)."""
    if len(slots.evidence) >= MAX_EVIDENCE:
        return False
    if all(item["media_id"] != media.media_id for item in slots.evidence):
        slots.evidence.append(
            {
                "kind": media.kind,
                "media_id": media.media_id,
                "pic_url": media.pic_url,
                "media_format": media.media_format,
            }
        )
    return True


def set_when(slots: Slots, when: When) -> None:
    slots.occurred_on = when.day.isoformat() if when.day else None
    slots.occurred_text = when.words
    slots.when_answered = True


def autofill(slots: Slots, env: DialogEnv) -> None:
    """Take the time and window from the description itself when the citizen already said them."""
    if not slots.when_answered:
        found = find_when(slots.text, env.now, env.tz)
        if found is not None and found.day is not None and found.day <= today_in(env.now, env.tz):
            set_when(slots, found)
    if slots.window is None:
        slots.window = find_window(slots.text)


# -- the unit ---------------------------------------------------------------------------------------------


def unit_candidates(c: Classification, city: CityConfig) -> list[str]:
    """The classifier's best unit first, then its other candidates: units only (never a handling body)."""
    codes: list[str] = []
    for code in (c.unit, *(cand.code for cand in c.unit_candidates)):
        if code and city.unit(code) is not None and code not in codes:
            codes.append(code)
    return codes[:MAX_CANDIDATES]


def _service_words(c: Classification, city: CityConfig, code: str) -> bool:
    unit = city.unit(code)
    return unit is not None and any(word in unit.services for word in c.evidence)


def decide_unit(slots: Slots, env: DialogEnv, classify: Callable[[str], Classification]) -> Stage | None:
    """Take a unit the citizen named; propose one implied with good confidence; else offer a short list.

    A name in the text is taken unless the classifier itself doubts it (triage and a unit confidence below
    `nlp.unit_threshold`); an implied unit (service words, the model) is never taken without a 是.
    """
    city = env.city
    c = classify(slots.text)
    confidence = c.unit_confidence or c.confidence
    sure = confidence >= city.nlp.unit_threshold
    slots.candidates = unit_candidates(c, city)
    if c.unit is not None and city.unit(c.unit) is not None:
        if c.unit_explicit and (sure or not c.triage):
            slots.unit, slots.unit_source, slots.unit_decided = c.unit, "named", True
            return None
        if sure:
            slots.unit_source = "service" if _service_words(c, city, c.unit) else "classifier"
            return Stage.CONFIRM_UNIT
    return Stage.CHOOSE_UNIT


def unit_options(slots: Slots, city: CityConfig) -> str:
    lines = [f"{i}. {city.unit_name(code)}" for i, code in enumerate(slots.candidates, start=1)]
    lines.append(f"{len(slots.candidates) + 1}. {say(city, 'unit_unsure_option')}")
    return "\n".join(lines)


def unit_label(slots: Slots, city: CityConfig) -> str:
    if slots.unit is None:
        return say(city, "unit_pending")
    window = f"（{slots.window}号窗口）" if slots.window and slots.window.isdigit() else ""
    window = window or (f"（{slots.window}窗口）" if slots.window else "")
    return city.unit_name(slots.unit) + window


# -- asking -----------------------------------------------------------------------------------------------


def city_unit(city: CityConfig, code: str | None) -> bool:
    return bool(code) and city.unit(code) is not None


def next_stage(slots: Slots, env: DialogEnv, classify: Callable[[str], Classification]) -> Stage:
    """The first question still open, deciding the unit on the way when the text names it."""
    if not slots.text_done or not slots.text.strip():
        return Stage.COLLECT_TEXT
    autofill(slots, env)
    if not slots.split_decided:
        units = [u for u in classify(slots.text).units if city_unit(env.city, u)]
        if len(units) >= 2 and slots.unit_source != "qr":
            slots.split_units = units[:2]
            return Stage.SPLIT
        slots.split_decided = True
    if not slots.unit_decided:
        asked = decide_unit(slots, env, classify)
        if asked is not None:
            return asked
    if not slots.when_answered:
        return Stage.ASK_WHEN
    if not slots.evidence_answered:
        return Stage.ASK_EVIDENCE
    if not slots.identity_answered:
        return Stage.ASK_IDENTITY
    return Stage.REVIEW


def prompt(stage: Stage, slots: Slots, env: DialogEnv) -> str:
    """The question of `stage`, asked for the draft as it now stands."""
    city = env.city
    if stage is Stage.COLLECT_TEXT:
        if slots.rewrite:
            return say(city, "amend_text")
        if not slots.text.strip():
            return say(city, "need_text" if slots.has_content else "report_start")
        return say(city, "collect_more")
    if stage is Stage.CONFIRM_UNIT:
        return say(city, "ask_unit_confirm", unit=city.unit_name(slots.candidates[0]))
    if stage is Stage.CHOOSE_UNIT:
        if not slots.candidates:
            return say(city, "ask_unit_name")
        return say(city, "ask_unit_choose", options=unit_options(slots, city))
    if stage is Stage.ASK_CONTACT:
        if slots.phone and not slots.real_name:
            return say(city, "ask_contact_name", phone=mask_phone(slots.phone))
        if slots.real_name and not slots.phone:
            return say(city, "ask_contact_phone", name=slots.real_name)
        return say(city, "ask_contact")
    if stage is Stage.REVIEW:
        return say(city, "review", summary=summary(slots, env))
    if stage is Stage.RESUME:
        return say(city, "resume", excerpt=resume_excerpt(slots, env))
    if stage is Stage.SUPPLEMENT:
        return say(city, "supplement_ask", number=slots.supplement_case or "")
    if stage is Stage.SPLIT:
        first, second = (city.unit_name(u) for u in slots.split_units[:2])
        return say(city, "split_offer", first=first, second=second)
    if stage is Stage.SURVEY and slots.survey_units:
        questions = questions_from(slots.survey_questions)
        k = min(len(slots.survey_answers), len(questions) - 1)
        return ask(questions[k], k + 1, len(questions))
    if stage is Stage.ASK_EVIDENCE and slots.window:
        return say(city, "ask_evidence_known_window")  # the window is known (QR, text): never asked again
    return say(city, stage.value)  # ask_when, ask_evidence, ask_identity, amend share their stage's name


def reminder(stage: Stage, slots: Slots, env: DialogEnv) -> str:
    """A short line reminding of the open question after a detour (查询, 帮助)."""
    if stage is Stage.REVIEW:
        question = say(env.city, "review_nudge")
    elif stage is Stage.RESUME:
        question = say(env.city, "resume_nudge")
    else:
        question = prompt(stage, slots, env)
    return say(env.city, "pending_reminder", question=question)


def advance(turn: Turn, slots: Slots, *acks: str) -> DialogResult:
    """Move to the next open question, saying `acks` first."""
    was_decided = slots.unit_decided
    stage = next_stage(slots, turn.env, turn.classify)
    if not was_decided and slots.unit_decided and slots.unit_source == "named":
        # The unit came straight from the citizen's words: say so, so they know they were understood.
        acks = (*acks, say(turn.city, "understood", unit=turn.city.unit_name(slots.unit)))
    elif turn.stage in (None, Stage.COLLECT_TEXT) and stage is not Stage.COLLECT_TEXT and not any(acks):
        acks = (say(turn.city, "text_received"),)
    question = prompt(stage, slots, turn.env)
    return go(turn, stage, slots, "\n".join([*(a for a in acks if a), question]))


def ask_again(turn: Turn, slots: Slots, stage: Stage, *acks: str) -> DialogResult:
    """Stay in `stage`, saying `acks` and then its question again."""
    return go(turn, stage, slots, "\n".join([*(a for a in acks if a), prompt(stage, slots, turn.env)]))


# -- reading back -----------------------------------------------------------------------------------------


def when_label(slots: Slots, env: DialogEnv) -> str:
    if not slots.occurred_text and not slots.occurred_on:
        return say(env.city, "when_unknown")
    words = slots.occurred_text or ""
    if not slots.occurred_on:
        return words
    day = date.fromisoformat(slots.occurred_on)
    shown = f"{day.month}月{day.day}日"
    if day.year != today_in(env.now, env.tz).year:
        shown = f"{day.year}年{shown}"
    if "月" in words or "-" in words or "/" in words:
        return words
    return f"{words}（{shown}）" if words else shown


def evidence_label(slots: Slots, env: DialogEnv) -> str:
    counts: dict[str, int] = {}
    for item in slots.evidence:
        counts[item["kind"]] = counts.get(item["kind"], 0) + 1
    if not counts:
        return say(env.city, "no_evidence")
    units = {"image": "张", "voice": "条", "video": "段"}
    return "，".join(f"{MEDIA_NAMES.get(kind, kind)}{n}{units.get(kind, '份')}" for kind, n in counts.items())


def identity_label(slots: Slots, env: DialogEnv) -> str:
    if slots.anonymous or not slots.phone:
        return say(env.city, "anonymous")
    return f"{slots.real_name or ''} {mask_phone(slots.phone)}".strip()


def place_label(slots: Slots) -> str | None:
    if slots.place:
        return slots.place
    if slots.location:
        lat, lon, label = slots.location
        return label or f"{lat:.5f}, {lon:.5f}"
    return None


def summary(slots: Slots, env: DialogEnv) -> str:
    """The read-back: unit, what happened (shortened, numbers masked), when, where, evidence, identity."""
    city = env.city
    if slots.split_units:
        unit_line = "、".join(city.unit_name(u) for u in slots.split_units) + "（分成两件）"
    else:
        unit_line = unit_label(slots, city)
    lines = [
        say(city, "summary_unit", unit=unit_line),
        say(city, "summary_category", category=category_label(slots, env)),
        say(city, "summary_text", text=excerpt(mask_text(slots.text), SUMMARY_CHARS)),
        say(city, "summary_when", when=when_label(slots, env)),
    ]
    place = place_label(slots)
    if place:
        lines.append(say(city, "summary_place", place=excerpt(place, 40)))
    lines.append(say(city, "summary_evidence", evidence=evidence_label(slots, env)))
    lines.append(say(city, "summary_identity", identity=identity_label(slots, env)))
    return "\n".join(lines)


def category_label(slots: Slots, env: DialogEnv) -> str:
    """What kind of conduct the report is about, as the classifier read it, or that staff will decide."""
    c = env.classify(slots.text)
    category = env.city.category(c.category)
    if category is None or (c.category_confidence or c.confidence) < env.city.nlp.category_threshold:
        return say(env.city, "category_pending")
    return category.name


def resume_excerpt(slots: Slots, env: DialogEnv) -> str:
    if slots.text.strip():
        return excerpt(mask_text(slots.text), RESUME_CHARS)
    return evidence_label(slots, env)


# -- the result -------------------------------------------------------------------------------------------


def _category(c: Classification, city: CityConfig) -> str:
    if city.category(c.category) is not None:
        return c.category
    return "other" if city.category("other") is not None else city.categories[0].code


def build_draft(slots: Slots, env: DialogEnv, classify: Callable[[str], Classification] | None = None) -> CaseDraft:
    """The finished report. Triage when nobody knows the unit or the classifier doubts the behaviour."""
    city = env.city
    c = (classify or env.classify)(slots.text)
    category = _category(c, city)
    category_sure = city.category(c.category) is not None and (
        (c.category_confidence or c.confidence) >= city.nlp.category_threshold
    )
    location = None
    if slots.location:
        lat, lon, label = slots.location
        location = (float(lat), float(lon), label)
    return CaseDraft(
        text=slots.text,
        category=category,
        unit=slots.unit,
        classification=c,
        # A possible bribe (吃拿卡要 likely enough to look at, not enough to file as such) is placed by the triage
        # desk, never sent to 纪委 or a unit on a guess; a QR scan fixes the unit, not this.
        triage=slots.unit is None or not category_sure or bool(c.extra.get("possible_corruption")),
        unit_source=slots.unit_source if slots.unit else None,
        window=slots.window,
        place=slots.place,
        occurred_on=date.fromisoformat(slots.occurred_on) if slots.occurred_on else None,
        occurred_text=slots.occurred_text,
        location=location,
        evidence=slots.media(),
        anonymous=slots.anonymous or not slots.phone,
        real_name=None if slots.anonymous else slots.real_name,
        phone=None if slots.anonymous else slots.phone,
    )


def submitted_reply(draft: CaseDraft, env: DialogEnv, second: CaseDraft | None = None) -> str:
    """Case number placeholder, one sentence on what happens next, how to query. No citizen text in it."""
    city = env.city
    category = city.category(draft.category)
    if draft.triage or category is None:
        next_step = say(city, "next_step_triage")
    elif draft.category == DISCIPLINE_CATEGORY and city.discipline_code:
        # 纪委监委 leads: no promise of an answer in N working days that a discipline case cannot keep.
        next_step = say(city, "next_step_discipline")
    else:
        next_step = say(city, "next_step", days=category.answer_days)
    note = say(city, "anonymous_note") if draft.anonymous else ""
    if second is not None:
        return say(city, "submitted_split", first=city.unit_name(draft.unit), second=city.unit_name(second.unit),
                   case_number="{case_number}", second_case_number="{second_case_number}", next_step=next_step,
                   anonymous_note=note)  # fmt: skip
    return say(city, "submitted", case_number="{case_number}", next_step=next_step, anonymous_note=note)
