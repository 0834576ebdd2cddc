"""Plain data produced by the classifier; shared by `nlp/`, `handlers/` and `bot/`."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field


@dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    probability: float


INTENTS = ("complaint", "praise", "suggestion", "consult", "query", "chitchat", "abuse")


@dataclass(frozen=True, slots=True)
class Classification:
    """What the classifier understood of one message.

    `intent` is what the person wants (one of INTENTS; only a complaint becomes a report) with its confidence.
    `category`/`unit` are the best codes (unit is None when nothing points at any unit); `units` lists every
    unit with its own grievance, strongest first (two or more: the dialog offers to split); the candidate
    lists are sorted best first; `evidence` holds whole words or cue phrases taken from the text itself;
    `triage` is True when confidence is below the configured thresholds, and also for a possible bribe
    (`extra["possible_corruption"]`: 吃拿卡要 likely enough to look at, not likely enough to file as such).
    """

    category: str
    unit: str | None
    confidence: float
    triage: bool
    unit_explicit: bool = False
    category_candidates: tuple[Candidate, ...] = ()
    unit_candidates: tuple[Candidate, ...] = ()
    evidence: tuple[str, ...] = ()
    category_confidence: float = 0.0
    unit_confidence: float = 0.0
    intent: str = "complaint"
    intent_confidence: float = 1.0
    units: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)
