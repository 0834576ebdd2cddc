"""Answers for citizens who ask how to get something done (咨询): the unit's hours, address, phone, where it can be
done online and what to bring, from config.yaml `faq:`; otherwise a plain word that this account takes conduct
reports, and where to ask instead. Pure.
"""

from __future__ import annotations

from handlers.config import CityConfig
from handlers.texts import say

_LABELS = (("hours", "办公时间"), ("address", "办理地点"), ("materials", "所需材料"), ("online", "网上办理"),
           ("phone", "咨询电话"))  # fmt: skip


def consult_answer(city: CityConfig, unit: str | None, question: str = "") -> str:
    """What to tell a citizen asking about `unit` (None: no unit named or implied)."""
    faq = city.faq.units.get(unit) if unit else None
    if faq is not None:
        lines = [f"· {label}：{value}" for key, label in _LABELS if (value := getattr(faq, key))]
        if lines:
            return say(city, "consult_answer", unit=city.unit_name(unit), lines="\n".join(lines))
    where = say(city, "consult_where_none")
    if unit and faq is not None and faq.phone:
        where = say(city, "consult_where_unit", unit=city.unit_name(unit), phone=faq.phone)
    elif unit:
        where = f"请联系{city.unit_name(unit)}"
    return say(city, "consult_fallback", account=city.city.account_name, where=where, hotline=city.faq.hotline)
