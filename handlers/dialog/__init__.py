"""The citizen conversation: one pure function from (stored state, message, environment) to a decision.

`handle` applies the idle rule, finds the handler the declared machine (`handlers.dialog.states`, drawn in
`handlers/dialog/dialog.mmd`) assigns to the message, runs it, and makes the reply fit WeChat's text limit. It reads no
clock, database or network: `bot/` passes `DialogEnv` in and applies the `DialogResult` (persist the state,
allocate the case number and put it into `{case_number}`, append supplements) in the webhook's one transaction.
"""

from __future__ import annotations

import dataclasses

from handlers.cases_view import CaseSummary
from handlers.dialog.flow import reminder
from handlers.dialog.intents import meaningful_length
from handlers.dialog.listen import fear_split
from handlers.dialog.states import ENTRY_POINTS
from handlers.dialog.states import FALLBACKS
from handlers.dialog.states import OWN_FALLBACKS
from handlers.dialog.states import TIMEOUT
from handlers.dialog.states import TRANSITIONS
from handlers.dialog.states import Callback
from handlers.dialog.states import Handler
from handlers.dialog.turn import Turn
from handlers.dialog.turn import begin_turn
from handlers.dialog.turn import keep
from handlers.dialog.types import CaseDraft
from handlers.dialog.types import DialogEnv
from handlers.dialog.types import DialogResult
from handlers.dialog.types import DialogState
from handlers.dialog.types import MediaRef
from handlers.dialog.types import Stage
from handlers.dialog.types import Supplement
from handlers.messages import InboundMessage
from handlers.textfit import clip_bytes
from handlers.texts import say

__all__ = [
    "CaseDraft",
    "CaseSummary",
    "DialogEnv",
    "DialogResult",
    "DialogState",
    "MediaRef",
    "Stage",
    "Supplement",
    "handle",
]


def _handlers_for(turn: Turn) -> tuple[Handler, ...]:
    if turn.state is None:
        return (*FALLBACKS, *ENTRY_POINTS)
    if turn.expired:
        return (*FALLBACKS, *TIMEOUT)
    if turn.state.stage in OWN_FALLBACKS:
        return tuple(TRANSITIONS[turn.state.stage])
    return (*FALLBACKS, *TRANSITIONS[turn.state.stage])


def route(turn: Turn) -> tuple[Callback, object]:
    """The first handler whose matcher accepts the turn, with what the matcher found. Decides, changes nothing."""
    for matcher, callback in _handlers_for(turn):
        found = matcher(turn)
        if found is not None and found is not False:
            return callback, found
    raise LookupError("no dialog handler matched")  # unreachable: every table ends with a catch-all


def handle(state: DialogState | None, msg: InboundMessage, env: DialogEnv) -> DialogResult:
    """Decide one turn of a citizen's conversation.

    Fear of being found out or punished is answered first, in any state, and never enters the report: the
    reassurance comes, then whatever else the message said is taken as usual (or the open question is repeated).
    """
    turn = begin_turn(state, msg, env)
    afraid, rest = fear_split(turn.text)
    if afraid:
        reassurance = say(env.city, "fear")
        if meaningful_length(rest) < 4:
            if turn.state is not None and not turn.expired:
                reply = f"{reassurance}\n\n{reminder(turn.state.stage, turn.state.slots, env)}"
            else:
                reply = reassurance
            return dataclasses.replace(keep(turn, reply), handler="on_fear")
        said = {"recognition": rest} if msg.msg_type == "voice" else {"content": rest}
        turn = begin_turn(state, dataclasses.replace(msg, **said), env)
    callback, found = route(turn)
    result = callback(turn, found)
    reply = f"{say(env.city, 'fear')}\n\n{result.reply}" if afraid and result.reply else result.reply
    return dataclasses.replace(
        result,
        reply=clip_bytes(reply, env.max_reply_bytes),
        handler=result.handler or callback.__name__,
    )
