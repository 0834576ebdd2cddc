"""Explicit evidence: unit names, informal names and service words, and category cue words, found in the text.

Matching is leftmost-longest over a trie-shaped regular expression (the full formal name wins over the
alias inside it), on normalised text, over the whole message however long. A mention that the citizen
negates (“不是车管所的问题”, “跟城管没关系”) is reported as negated so that it can suppress its unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from nlp.specs import CategorySpec
from nlp.specs import UnitSpec
from nlp.text import normalize

KIND_NAME = "name"
KIND_ALIAS = "alias"
KIND_SERVICE = "service"
KIND_CUE = "cue"
_KIND_RANK = {KIND_NAME: 0, KIND_ALIAS: 1, KIND_SERVICE: 2, KIND_CUE: 3}

# A negation must sit in the same clause as the mention.
_CLAUSE_BREAK = re.compile(r"[，。！？；、,.!?;:：\n]")
_NEG_BEFORE = re.compile(
    r"(?:不是|并非|并不是|而非|而不是|不属于|不归|不关|不怪|不找|没找|没去|没有去|排除)"
    r"(?:说|在|去|找|到|是|那个|这个|咱们|你们)?$"
)
_NEG_AFTER = re.compile(
    r"^(?:的事|的问题|那边|这边|方面|的人|窗口|本身)?(?:倒是|倒|都|也|其实|确实)?"
    r"(?:没问题|没有问题|没啥问题|没什么问题|没关系|没有关系|无关|不相干)"
)
# “这不是车管所该管的吗” is a rhetorical question, not a denial.
_RHETORICAL = re.compile(r"^[^，。！？；,.!?;]{0,12}[吗么嘛][？?]?")
# Bare 没/没有 is not a denial here: “没有一次性告知” is itself the complaint. Only emphatic denials count.
_CUE_NEG_BEFORE = re.compile(r"(?:并没有|也没有|倒没有|倒也没|倒不|从来没有|从没|不算|谈不上)(?:什么|太|很|怎么)?$")
_CUE_NEG_AFTER = re.compile(r"^(?:倒是|倒|还|也|都)?(?:没问题|没什么问题|还可以|还行|挺好|不错|很好)")


@dataclass(frozen=True, slots=True)
class Hit:
    """One explicit mention: `term` is the normalised matched text, [start, end) its span in the input."""

    code: str
    kind: str
    term: str
    start: int
    end: int
    negated: bool = False


def _trie_pattern(terms: Iterable[str]) -> str:
    """A regex matching any of `terms`, preferring the longest at each position."""
    trie: dict[str, dict] = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict[str, dict]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + render(child) for ch, child in sorted(node.items()) if ch != ""]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy optional: try the longer continuation first, fall back to the word ending here.
        return f"(?:{body})?" if ends else body

    return render(trie)


def _clause_before(text: str, start: int, width: int = 10) -> str:
    window = text[max(0, start - width) : start]
    parts = _CLAUSE_BREAK.split(window)
    return parts[-1]


def _clause_after(text: str, end: int, width: int = 14) -> str:
    window = text[end : end + width]
    return _CLAUSE_BREAK.split(window)[0] if window else ""


class Lexicon:
    """The city's explicit vocabulary and the matcher over it; immutable once built."""

    def __init__(self, units: Iterable[UnitSpec], categories: Iterable[CategorySpec]) -> None:
        unit_terms: dict[str, list[tuple[str, str]]] = {}
        for unit in units:
            for kind, words in ((KIND_NAME, (unit.name,)), (KIND_ALIAS, unit.aliases), (KIND_SERVICE, unit.services)):
                for word in words:
                    term = normalize(word).strip()
                    if term and (unit.code, kind) not in unit_terms.setdefault(term, []):
                        unit_terms[term].append((unit.code, kind))
        cue_terms: dict[str, list[tuple[str, str]]] = {}
        for category in categories:
            for word in category.cues:
                term = normalize(word).strip()
                if term and (category.code, KIND_CUE) not in cue_terms.setdefault(term, []):
                    cue_terms[term].append((category.code, KIND_CUE))
        for entries in unit_terms.values():
            # A term listed as one unit's name and another's service points at the name first.
            entries.sort(key=lambda e: (_KIND_RANK[e[1]], e[0]))
        self._unit_terms = unit_terms
        self._cue_terms = cue_terms
        self._unit_re = re.compile(_trie_pattern(unit_terms)) if unit_terms else None
        self._cue_re = re.compile(_trie_pattern(cue_terms)) if cue_terms else None

    def words(self) -> list[str]:
        """Every name, alias, service word and cue (normalised), for the tokenizer's dictionary."""
        return sorted(set(self._unit_terms) | set(self._cue_terms))

    def unit_hits(self, normalized: str) -> list[Hit]:
        """Mentions of units in normalised text, in order, each flagged when negated."""
        if self._unit_re is None:
            return []
        hits = []
        for m in self._unit_re.finditer(normalized):
            negated = _unit_negated(normalized, m.start(), m.end())
            for code, kind in self._unit_terms[m.group()]:
                hits.append(Hit(code, kind, m.group(), m.start(), m.end(), negated))
        return hits

    def cue_hits(self, normalized: str) -> list[Hit]:
        """Category cue words in normalised text, in order, each flagged when negated."""
        if self._cue_re is None:
            return []
        hits = []
        for m in self._cue_re.finditer(normalized):
            before = _clause_before(normalized, m.start(), 6)
            after = _clause_after(normalized, m.end(), 8)
            negated = bool(_CUE_NEG_BEFORE.search(before) or _CUE_NEG_AFTER.match(after))
            for code, kind in self._cue_terms[m.group()]:
                hits.append(Hit(code, kind, m.group(), m.start(), m.end(), negated))
        return hits


def _unit_negated(text: str, start: int, end: int) -> bool:
    after = _clause_after(text, end)
    if _NEG_BEFORE.search(_clause_before(text, start)):
        return not _RHETORICAL.match(after)
    return bool(_NEG_AFTER.match(after))


# “X那边办好了，可是Y……”: after a turn like this the story usually arrives at the unit it is about.
_CONTRAST = re.compile(r"可是|但是|但|却|结果|然而|偏偏|反而|没想到|谁知")


def rule_tokens(unit_hits: Sequence[Hit], cue_hits: Iterable[Hit], text: str = "") -> list[str]:
    """The explicit evidence as model features: one token per mention, keyed by code, not by wording.

    Keying by code lets a city add an alias to config.yaml and have the model weigh it like the others.
    Each mention also gives a token whatever its unit (any:named, any:svc): a service being used says
    "this happened at a window" for every unit, not only for those the examples happen to cover.
    When several units are named, the last one and any named after a contrast (可是, 但是, 结果 ...) get
    extra tokens, so the model can learn which of them a story is about.
    """
    tokens = []
    for hit in unit_hits:
        if hit.negated:
            tokens.append(f"neg:{hit.code}")
        elif hit.kind == KIND_SERVICE:
            tokens += [f"svc:{hit.code}", "any:svc"]
        else:
            tokens += [f"named:{hit.code}", "any:named"]
    named = [h for h in unit_hits if not h.negated and h.kind != KIND_SERVICE]
    if len({h.code for h in named}) > 1:
        tokens.append(f"last:{named[-1].code}")
        first_end = named[0].end
        for hit in named:
            if hit.code != named[0].code and _CONTRAST.search(text, first_end, hit.start):
                tokens.append(f"contrast:{hit.code}")
    for hit in cue_hits:
        tokens.append(f"negcue:{hit.code}" if hit.negated else f"cue:{hit.code}")
    return tokens


# The `multi` head's classes: does each unit the message mentions have its own grievance?
MULTI = "multi"
SINGLE = "single"


def mentioned_codes(tokens: Iterable[str]) -> list[str]:
    """The units a message points at without negation (named or through a service word), in order, once each."""
    codes: list[str] = []
    for token in tokens:
        kind, _, code = token.partition(":")
        if kind in ("named", "svc") and code not in codes:
            codes.append(code)
    return codes


# A clause that turns (“小王很耐心，可她们科长……”): what follows is what the message is really about.
_TURN = re.compile(r"(?:^|[，。！？；,.!?;\s])(?:但是|但|可是|可|不过|只是|就是|然而|可惜|偏偏|结果)")


def turn_position(normalized: str) -> int | None:
    """Where the first clause-initial turn (但是, 可是, 不过, 只是 …) after the opening begins, or None."""
    match = _TURN.search(normalized, 1)
    return match.start() if match else None
