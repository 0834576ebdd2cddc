"""The citizen dialog declared as a state machine: fallbacks, entry points, timeout and the transitions table.

python-telegram-bot's ConversationHandler is the model (STYLE.md §7): for a turn, the FALLBACKS are tried
first (they apply in every state, with or without a draft), then the ENTRY_POINTS when there is no draft, the
TIMEOUT handlers when the draft has been idle too long, or the current stage's list in TRANSITIONS. The first
matcher that returns something other than None/False wins, and its callback gets what the matcher found.
Every list ends with a catch-all, checked at import. Matchers live in `handlers.dialog.matchers`, callbacks in
`handlers.dialog.entry` and `handlers.dialog.steps`. The same machine is drawn in `handlers/dialog/dialog.mmd`.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

from handlers.dialog import entry as entry
from handlers.dialog import listen
from handlers.dialog import rating
from handlers.dialog import steps as steps
from handlers.dialog import survey
from handlers.dialog.matchers import amend
from handlers.dialog.matchers import amend_choice
from handlers.dialog.matchers import any_event
from handlers.dialog.matchers import any_text
from handlers.dialog.matchers import anything
from handlers.dialog.matchers import append_request
from handlers.dialog.matchers import cancel
from handlers.dialog.matchers import clear
from handlers.dialog.matchers import complaint
from handlers.dialog.matchers import confirm
from handlers.dialog.matchers import contact_answer
from handlers.dialog.matchers import correction
from handlers.dialog.matchers import done
from handlers.dialog.matchers import help_request
from handlers.dialog.matchers import identity_answer
from handlers.dialog.matchers import location
from handlers.dialog.matchers import long_text
from handlers.dialog.matchers import media
from handlers.dialog.matchers import my_cases_request
from handlers.dialog.matchers import no
from handlers.dialog.matchers import nothing_more
from handlers.dialog.matchers import phone_given
from handlers.dialog.matchers import query_request
from handlers.dialog.matchers import report_click
from handlers.dialog.matchers import report_intent
from handlers.dialog.matchers import restart
from handlers.dialog.matchers import resume_continue
from handlers.dialog.matchers import scene
from handlers.dialog.matchers import silent_event
from handlers.dialog.matchers import smalltalk
from handlers.dialog.matchers import smalltalk_or_thanks
from handlers.dialog.matchers import split_choice
from handlers.dialog.matchers import subscribed
from handlers.dialog.matchers import supplement_content
from handlers.dialog.matchers import supplement_request
from handlers.dialog.matchers import thanks
from handlers.dialog.matchers import typed_unit
from handlers.dialog.matchers import unit_choice
from handlers.dialog.matchers import unsubscribed
from handlers.dialog.matchers import unsure
from handlers.dialog.matchers import when_answer
from handlers.dialog.matchers import window_answer
from handlers.dialog.matchers import yes
from handlers.dialog.turn import Turn
from handlers.dialog.types import DialogResult
from handlers.dialog.types import Stage

Matcher = Callable[[Turn], Any]
Callback = Callable[[Turn, Any], DialogResult]
Handler = tuple[Matcher, Callback]

# -- the machine ------------------------------------------------------------------------------------------

FALLBACKS: Sequence[Handler] = (
    (unsubscribed, entry.on_unsubscribe),
    (silent_event, entry.on_silent_event),
    (cancel, listen.on_cancel_keep),
    (restart, entry.on_restart),
    (help_request, entry.on_help),
    (my_cases_request, listen.on_my_cases_listed),
    (supplement_request, entry.on_supplement_command),
    (query_request, entry.on_query),
)

ENTRY_POINTS: Sequence[Handler] = (
    (survey.start, survey.on_start),
    (survey.decline, survey.on_decline),
    (rating.rate_scene, rating.on_rate_scene),
    (scene, entry.on_scene),
    (subscribed, entry.on_subscribe),
    (report_click, entry.on_report),
    (any_event, entry.on_menu),
    (thanks, entry.on_thanks),
    (smalltalk, entry.on_guide),
    (done, entry.on_nothing_more),
    (report_intent, entry.on_report),
    (listen.restore, listen.on_restore_nothing),
    (listen.first_intent, listen.on_intent),
    (complaint, entry.on_complaint),
    (any_text, entry.on_guide),
    (media, entry.on_media_first),
    (location, entry.on_location_first),
    (anything, entry.on_unsupported),
)

TIMEOUT: Sequence[Handler] = ((anything, entry.on_timeout),)

# Shared by every question of a draft: a QR scan, a menu click, a correction, "补充：…", a location.
_DRAFT_HEAD: tuple[Handler, ...] = (
    (rating.rate_scene, rating.on_rate_scene),
    (scene, steps.on_scene_in_draft),
    (any_event, steps.on_busy),
    (correction, steps.on_correction),
    (append_request, steps.on_append),
    (location, steps.on_location),
)
# And what none of the question's own handlers took: a photo, small talk, more of the story, a wrong answer.
_DRAFT_TAIL: tuple[Handler, ...] = (
    (media, steps.on_media_in_draft),
    (smalltalk_or_thanks, steps.on_smalltalk_in_draft),
    (long_text, steps.on_more_words),
    (any_text, steps.on_nudge),
    (anything, steps.on_unsupported_in_draft),
)

TRANSITIONS: dict[Stage, Sequence[Handler]] = {
    Stage.COLLECT_TEXT: (
        *_DRAFT_HEAD,
        (listen.scanned_first_words, listen.on_scanned_first_words),
        (done, steps.on_text_done),
        (smalltalk_or_thanks, steps.on_smalltalk_in_draft),
        (any_text, steps.on_description),
        (media, steps.on_media_while_describing),
        *_DRAFT_TAIL,
    ),
    Stage.CONFIRM_UNIT: (
        *_DRAFT_HEAD,
        (yes, steps.on_unit_yes),
        (no, steps.on_unit_no),
        (unsure, steps.on_unit_unsure),
        (typed_unit, steps.on_unit_typed),
        *_DRAFT_TAIL,
    ),
    Stage.CHOOSE_UNIT: (
        *_DRAFT_HEAD,
        (unsure, steps.on_unit_unsure),
        (unit_choice, steps.on_unit_choice),
        (typed_unit, steps.on_unit_typed),
        *_DRAFT_TAIL,
    ),
    Stage.ASK_WHEN: (
        *_DRAFT_HEAD,
        (when_answer, steps.on_when),
        *_DRAFT_TAIL,
    ),
    Stage.ASK_EVIDENCE: (
        *_DRAFT_HEAD,
        (nothing_more, steps.on_evidence_done),
        (clear, steps.on_evidence_clear),
        (media, steps.on_evidence),
        (window_answer, steps.on_window),
        *_DRAFT_TAIL,
    ),
    Stage.ASK_IDENTITY: (
        *_DRAFT_HEAD,
        (identity_answer, steps.on_identity),
        (phone_given, steps.on_contact),
        *_DRAFT_TAIL,
    ),
    Stage.ASK_CONTACT: (
        *_DRAFT_HEAD,
        (contact_answer, steps.on_contact),
        *_DRAFT_TAIL,
    ),
    Stage.REVIEW: (
        *_DRAFT_HEAD,
        (confirm, steps.on_confirm),
        (amend, steps.on_amend),
        *_DRAFT_TAIL,
    ),
    Stage.AMEND: (
        *_DRAFT_HEAD,
        (amend_choice, steps.on_amend_choice),
        (confirm, steps.on_back_to_review),
        *_DRAFT_TAIL,
    ),
    Stage.RESUME: (
        (resume_continue, entry.on_resume_continue),
        (anything, entry.on_resume_other),
    ),
    Stage.ASK_INTENT: (
        (listen.intent_choice, listen.on_intent_choice),
        (anything, listen.on_leave),
    ),
    Stage.PRAISE_TARGET: (
        (any_text, listen.on_praise_target),
        (anything, listen.on_leave),
    ),
    Stage.SPLIT: (
        *_DRAFT_HEAD,
        (split_choice, steps.on_split),
        *_DRAFT_TAIL,
    ),
    Stage.CANCELLED: (
        (listen.restore, listen.on_restore),
        (anything, listen.on_after_cancel),
    ),
    Stage.LISTED: (
        (listen.list_choice, listen.on_list_choice),
        (anything, listen.on_leave),
    ),
    Stage.RATING_REASON: (
        (any_text, listen.on_rating_reason),
        (anything, listen.on_leave),
    ),
    Stage.RATE_LEVEL: (
        (rating.rate_scene, rating.on_rate_scene),
        (rating.level, rating.on_level),
        (anything, rating.on_rate_nudge),
    ),
    Stage.RATE_REASON: (
        (rating.rate_scene, rating.on_rate_scene),
        (rating.reason, rating.on_reason),
        (anything, rating.on_no_reason),
    ),
    # The survey answers its own 停止 (取消 included): the FALLBACKS are not tried in it (OWN_FALLBACKS).
    Stage.SURVEY: (
        (unsubscribed, entry.on_unsubscribe),
        (silent_event, entry.on_silent_event),
        (any_event, survey.on_leave),
        (survey.stop, survey.on_stop),
        (survey.answer, survey.on_answer),
        (anything, survey.on_nudge),
    ),
    Stage.SUPPLEMENT: (
        (done, entry.leave_supplement),
        (thanks, entry.leave_supplement),
        (any_event, steps.on_smalltalk_in_draft),
        (supplement_content, entry.on_supplement_add),
        (anything, steps.on_unsupported_in_draft),
    ),
}

# Stages whose table replaces the FALLBACKS: what 取消, 帮助 or a number mean there is the stage's own business.
OWN_FALLBACKS = frozenset({Stage.SURVEY})


def _check_machine() -> None:
    # Like ConversationHandler's constructor: a table that cannot answer every message is a bug at import.
    missing = [stage for stage in Stage if stage not in TRANSITIONS]
    if missing:
        raise RuntimeError(f"dialog stages without transitions: {missing}")
    for name, table in [("entry points", ENTRY_POINTS), ("timeout", TIMEOUT), *TRANSITIONS.items()]:
        if not table or table[-1][0] is not anything:
            raise RuntimeError(f"dialog table {name!s} must end with a catch-all")


_check_machine()
