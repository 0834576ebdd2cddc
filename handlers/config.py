"""The city's configuration as typed, validated data (units, categories, supervisors, texts, limits).

Pure pydantic models: `bot.settings` reads `config.yaml` into `CityConfig`; handlers receive it as plain data.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import field_validator
from pydantic import model_validator

_CODE = r"^[a-z][a-z0-9_]{1,15}$"


DEFAULT_OFFICE = "zyb"  # the office's code when config.yaml names no handling body with role office
DEFAULT_TIMEZONE = "Asia/Shanghai"


@functools.lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class _Strict(BaseModel):
    # A typo in config.yaml must stop the start, not be silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class CityInfo(_Strict):
    name: str = Field(min_length=1)
    account_name: str = Field(min_length=1)
    timezone: str = DEFAULT_TIMEZONE


class WechatOptions(_Strict):
    mode: Literal["safe", "compat", "plain"] = "safe"
    timestamp_window_seconds: int = Field(default=300, ge=30, le=3600)
    max_body_bytes: int = Field(default=65536, ge=1024, le=1048576)
    api_timeout_seconds: float = Field(default=10, gt=0, le=60)
    # Template-message ids by kind (case_update, supervisor_notice, survey_invite); the field keys each template must have are
    # documented in config.yaml. template_url: the page a citizen's template message opens (no case id in it).
    templates: dict[str, str] = {}
    template_url: str | None = Field(default=None, pattern=r"^https?://")


class Limits(_Strict):
    cases_per_day: int = Field(default=5, ge=1)
    dialog_idle_minutes: int = Field(default=30, ge=1)


class NlpOptions(_Strict):
    category_threshold: float = Field(default=0.35, ge=0, le=1)
    unit_threshold: float = Field(default=0.45, ge=0, le=1)
    # Below this the dialog asks what a first message wants (反映 / 表扬 / 建议 / 咨询) instead of guessing.
    intent_threshold: float = Field(default=0.5, ge=0, le=1)
    # 吃拿卡要 only at or above corruption_threshold (纪委 is never pulled in on a weak guess); a complaint whose
    # corruption probability is at least possible_corruption_threshold but not chosen goes to triage, flagged.
    corruption_threshold: float = Field(default=0.5, ge=0, le=1)
    possible_corruption_threshold: float = Field(default=0.15, ge=0, le=1)

    @model_validator(mode="after")
    def _corruption_thresholds_in_order(self) -> NlpOptions:
        if self.possible_corruption_threshold > self.corruption_threshold:
            raise ValueError("possible_corruption_threshold must not be above corruption_threshold")
        return self


class UnitFaq(_Strict):
    """What a citizen asking how to get something done is told about one unit (all optional)."""

    hours: str | None = None
    address: str | None = None
    phone: str | None = None
    online: str | None = None  # where it can be done online
    materials: str | None = None  # what to bring, in a sentence or two


class Reviews(_Strict):
    """好差评: a 差评 with its reason is a review case, put right (整改) within this many working days."""

    rectify_days: int = Field(default=15, ge=1, le=60)
    replace_within_minutes: int = Field(default=60, ge=1, le=1440)  # one rating per citizen per visit


class Faq(_Strict):
    """Answers for 咨询 (how / where / what to bring): per unit, and the hotline for everything else."""

    hotline: str = "12345"
    units: dict[str, UnitFaq] = Field(default_factory=dict)


class Unit(_Strict):
    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    parent: str | None = None


class HandlingBody(_Strict):
    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    role: Literal["office", "discipline"]


class Category(_Strict):
    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=1)
    description: str = ""
    cues: tuple[str, ...] = ()
    sign_days: int = Field(ge=1, le=60)
    answer_days: int = Field(ge=1, le=120)


class Supervisor(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: str = Field(min_length=1)
    member_of: str
    units: tuple[str, ...] = Field(min_length=1)
    role: Literal["supervisor", "unit_head"] = "supervisor"


class Official(_Strict):
    """A 市管干部 whose 活档案 (日常管理台帐) the organisation department keeps: the post is what a 问责 names."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: str = Field(min_length=1, max_length=20)
    post: str = Field(min_length=1, max_length=30)
    unit: str


class DigestOptions(_Strict):
    """The weekly digest (the office's Monday paper)."""

    # A unit is ranked only with at least this many cases received in the period (fewer say little).
    ranking_min_cases: int = Field(default=3, ge=1, le=1000)


class RankingWeights(_Strict):
    """How much each component weighs in a unit's monthly score (relative; a component a unit lacks is left out
    and the others are reweighted over what is present). Each is a share of a 0–100 score."""

    complaints: float = Field(default=0.15, ge=0)  # complaints per service volume (where the volume is known)
    findings: float = Field(default=0.15, ge=0)  # 查实: the share of findings that were not substantiated
    satisfaction: float = Field(default=0.2, ge=0)  # 满意率 of the cases closed in the month
    ratings: float = Field(default=0.25, ge=0)  # 好差评: the mean window rating
    surveys: float = Field(default=0.15, ge=0)  # 民意调查/民主评议 scores (bot.service.surveys, when present)
    inspections: float = Field(default=0.1, ge=0)  # 明查暗访: the share of checklist items passed

    @model_validator(mode="after")
    def _some_weight(self) -> RankingWeights:
        if not any(v > 0 for v in self.model_dump().values()):
            raise ValueError("at least one weight must be above 0")
        return self


class RankingOptions(_Strict):
    """The units' monthly standing (`flask --app bot ranking`)."""

    weights: RankingWeights = RankingWeights()
    # A unit is ranked only with at least this many judgements behind its score (complaints, rated cases, window
    # ratings, survey answers, inspections); below it the unit is listed apart.
    min_sample: int = Field(default=10, ge=0, le=1_000_000)
    # Services delivered (办件量) per unit and month, where known: {unit: {"2026-11": 5200}}. An import
    # (`ranking volume import`) of the same unit and month wins over this.
    volume: dict[str, dict[str, int]] = Field(default_factory=dict)

    @field_validator("volume")
    @classmethod
    def _months(cls, volume: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        for unit, months in volume.items():
            for month, n in months.items():
                if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(month)):
                    raise ValueError(f"{unit}: month {month!r} is not YYYY-MM")
                if n < 0:
                    raise ValueError(f"{unit}: volume of {month} must not be negative")
        return volume


class InspectionOptions(_Strict):
    """明查暗访: the checklist's 用时 passes when the inspector was served within this many minutes."""

    wait_limit_minutes: int = Field(default=20, ge=1, le=600)


class WorkingHours(_Strict):
    start: time = time(8, 30)
    end: time = time(17, 30)

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("end must be later than start")
        return self


class CalendarOverrides(_Strict):
    extra_holidays: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()
    working_hours: WorkingHours = WorkingHours()


class Texts(_Strict):
    model_config = ConfigDict(extra="allow", frozen=True)
    welcome: str = Field(min_length=1)
    menu: str = Field(min_length=1)
    help: str = Field(min_length=1)
    unsupported: str = Field(min_length=1)
    unsubscribed: str = ""
    error: str = Field(min_length=1)

    def get(self, key: str) -> str:
        value = getattr(self, key, None)
        if not isinstance(value, str):
            raise KeyError(f"texts.{key} is not configured")
        return value


class Escalation(_Strict):
    """The reminder and escalation ladder (催办/督办), in working time."""

    remind_share: float = Field(default=0.8, gt=0, lt=1)  # remind the handler when this share of time is used
    supervise_after_days: int = Field(default=2, ge=0, le=30)  # 督办 to the office this long after the deadline
    rating_reminder_days: int = Field(default=2, ge=1, le=30)
    rating_autoclose_days: int = Field(default=7, ge=1, le=60)
    digest_weekday: int = Field(default=0, ge=0, le=6)  # Monday
    digest_time: time = time(9, 0)
    outbox_interval_seconds: int = Field(default=5, ge=1, le=300)


class Watch(_Strict):
    """What the office is alerted to at intake: hot spots (热点) and cases that look like copies of one another."""

    hot_spot_reporters: int = Field(default=3, ge=2, le=100)  # distinct reporters about one unit (or window) ...
    hot_spot_days: int = Field(default=7, ge=1, le=90)  # ... within this many days
    related_days: int = Field(default=7, ge=1, le=90)  # link a new case to similar open ones this recent
    related_limit: int = Field(default=5, ge=0, le=50)  # at most this many links per new case
    related_similarity: float = Field(default=0.4, gt=0, le=1)  # character-bigram cosine (nlp.similarity)


class CityConfig(_Strict):
    city: CityInfo
    wechat: WechatOptions = WechatOptions()
    limits: Limits = Limits()
    nlp: NlpOptions = NlpOptions()
    units: tuple[Unit, ...] = Field(min_length=1)
    handling_bodies: tuple[HandlingBody, ...] = ()
    categories: tuple[Category, ...] = Field(min_length=1)
    supervisors: tuple[Supervisor, ...] = ()
    calendar: CalendarOverrides = CalendarOverrides()
    escalation: Escalation = Escalation()
    watch: Watch = Watch()
    faq: Faq = Faq()
    reviews: Reviews = Reviews()
    digest: DigestOptions = DigestOptions()
    ranking: RankingOptions = RankingOptions()
    inspections: InspectionOptions = InspectionOptions()
    officials: tuple[Official, ...] = ()
    texts: Texts
    retention: Retention = Field(default_factory=lambda: Retention())

    @field_validator("units", "categories", "handling_bodies")
    @classmethod
    def _unique_codes(cls, items: tuple[BaseModel, ...]) -> tuple[BaseModel, ...]:
        seen: set[str] = set()
        for item in items:
            code = item.code  # type: ignore[attr-defined]
            if code in seen:
                raise ValueError(f"duplicate code {code!r}")
            seen.add(code)
        return items

    @model_validator(mode="after")
    def _references(self) -> CityConfig:
        units = {u.code for u in self.units}
        bodies = {b.code for b in self.handling_bodies}
        overlap = units & bodies
        if overlap:
            raise ValueError(f"codes used both as unit and handling body: {sorted(overlap)}")
        known = units | bodies
        for unit in self.units:
            if unit.parent is not None and unit.parent not in known:
                raise ValueError(f"unit {unit.code}: parent {unit.parent!r} is not a known unit")
        seen: set[str] = set()
        for sup in self.supervisors:
            if sup.id in seen:
                raise ValueError(f"duplicate supervisor id {sup.id!r}")
            seen.add(sup.id)
            if sup.member_of not in known:
                raise ValueError(f"supervisor {sup.id}: member_of {sup.member_of!r} is not a known unit or body")
            for code in sup.units:
                if code not in known:
                    raise ValueError(f"supervisor {sup.id}: unit {code!r} is not a known unit or body")
        for code in self.faq.units:
            if code not in units:
                raise ValueError(f"faq.units: {code!r} is not a unit code")
        for code in self.ranking.volume:
            if code not in units:
                raise ValueError(f"ranking.volume: {code!r} is not a unit code")
        official_ids: set[str] = set()
        for official in self.officials:
            if official.id in official_ids:
                raise ValueError(f"duplicate official id {official.id!r}")
            official_ids.add(official.id)
            if official.unit not in units:
                raise ValueError(f"official {official.id}: unit {official.unit!r} is not a known unit")
        clash = set(self.calendar.extra_holidays) & set(self.calendar.extra_working_days)
        if clash:
            raise ValueError(f"calendar: dates both holiday and working day: {sorted(map(str, clash))}")
        return self

    # Lookups used across handlers.
    def unit(self, code: str) -> Unit | None:
        return next((u for u in self.units if u.code == code), None)

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def official(self, official_id: str) -> Official | None:
        return next((o for o in self.officials if o.id == official_id), None)

    def officials_of(self, unit: str | None) -> tuple[Official, ...]:
        """The officials (市管干部) of one unit: its leadership, as far as the 活档案 knows it."""
        return tuple(o for o in self.officials if o.unit == unit)

    def body(self, code: str) -> HandlingBody | None:
        return next((b for b in self.handling_bodies if b.code == code), None)

    @property
    def tz(self) -> ZoneInfo:
        """The city's time zone (`city.timezone`): the one definition every local date and time is taken in."""
        return _zone(self.city.timezone)

    @property
    def office_code(self) -> str:
        """The campaign office (治庸办): the handling body with role office."""
        return next((b.code for b in self.handling_bodies if b.role == "office"), DEFAULT_OFFICE)

    @property
    def discipline_code(self) -> str | None:
        """The discipline commission (纪委监委): the handling body with role discipline, if configured."""
        return next((b.code for b in self.handling_bodies if b.role == "discipline"), None)

    def office_desk(self) -> tuple[Supervisor, ...]:
        """The office's own supervisors (triage desk): told of hot spots, reopened and overdue cases."""
        return tuple(s for s in self.supervisors if self.office_code in s.units and s.role == "supervisor")

    def unit_name(self, code: str | None) -> str:
        if code is None:
            return "待确定"
        found = self.unit(code) or self.body(code)
        return found.name if found else code


class Retention(_Strict):
    """How long finished cases keep their identifying details before `flask --app bot retention run` anonymises
    them (closed, merged and rejected cases; the text stays for statistics with names and numbers removed)."""

    closed_case_days: int = Field(default=730, ge=1, le=36500)
    # A crashed push is kept (without its openid) so it can be replayed; after this many days its body goes.
    dead_letter_days: int = Field(default=30, ge=1, le=3650)
