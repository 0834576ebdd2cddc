"""What every turn must respect: WeChat's reply size, whole message text, a persistable state, the city's texts."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from handlers.dialog import handle
from handlers.dialog.states import ENTRY_POINTS
from handlers.dialog.states import TRANSITIONS
from handlers.dialog.states import anything
from handlers.dialog.types import DialogEnv
from handlers.dialog.types import DialogState
from handlers.dialog.types import Slots
from handlers.dialog.types import Stage
from handlers.textfit import clip_bytes
from handlers.textfit import excerpt
from handlers.textfit import utf8_len
from handlers.texts import DEFAULTS
from handlers.texts import say
from tests.builders import NAMED
from tests.builders import NOW
from tests.builders import Chat
from tests.builders import FakeClassifier
from tests.builders import case
from tests.builders import city
from tests.builders import drive_to
from tests.builders import image
from tests.builders import text

ROOT = Path(__file__).resolve().parents[2]
HUGE = ("不动产登记中心窗口态度很差，让我跑了三趟😡👨‍👩‍👧𠀀𪚥" * 400)[:10_000]


def test_a_ten_thousand_character_complaint_is_kept_whole_and_every_reply_fits() -> None:
    chat = Chat()
    r = chat.say(HUGE)
    assert chat.state.slots.text == HUGE  # type: ignore[union-attr]
    for answer in ("昨天", "没有", "1"):
        r = chat.say(answer)
    assert chat.stage is Stage.REVIEW and "…" in r.reply
    r = chat.say("确认")
    assert r.submit is not None and r.submit.text == HUGE


@pytest.mark.parametrize("stage", list(Stage))
def test_huge_messages_in_every_state_still_get_a_reply_within_2048_bytes(stage: Stage) -> None:
    chat = drive_to(stage)
    r = chat.say(HUGE)  # Chat.send asserts the 2048-byte limit
    assert r.reply


def test_huge_update_notes_and_many_cases_fit() -> None:
    cases = tuple(case(f"ZY26112{i:05d}", last_update_note="很长的进展说明。" * 500) for i in range(30))
    chat = Chat(my_cases=cases)
    assert utf8_len(chat.say("查询 ZY2611200003").reply) <= 2048
    assert utf8_len(chat.say("我的反映").reply) <= 2048


def test_a_huge_city_override_is_clipped_too() -> None:
    data = city().model_dump()
    data["texts"]["help"] = "说明" * 3000
    big = type(city()).model_validate(data)
    env = DialogEnv(now=NOW, city=big, classify=FakeClassifier(big))
    r = handle(None, text("帮助"), env)
    assert utf8_len(r.reply) <= 2048 and r.reply.endswith("…")


def test_clip_bytes_cuts_between_characters() -> None:
    s = "好" * 1000  # 3000 bytes
    clipped = clip_bytes(s, 2048)
    assert utf8_len(clipped) <= 2048 and clipped.endswith("…") and set(clipped[:-1]) == {"好"}
    family = "👨‍👩‍👧" * 200
    clipped = clip_bytes(family, 100)
    assert utf8_len(clipped) <= 100 and not clipped[:-1].endswith("\u200d")
    assert clip_bytes("短", 2048) == "短"


def test_excerpt_flattens_lines() -> None:
    assert excerpt("第一行\n第二行", 10) == "第一行 第二行"
    assert excerpt("一二三四五六", 4) == "一二三…"


def test_review_masks_numbers_written_in_the_story() -> None:
    chat = Chat()
    chat.say("昨天在不动产登记中心，工作人员让我加他微信13812345678私下办，态度很差")
    chat.say("没有")
    r = chat.say("1")
    assert "138****5678" in r.reply and "13812345678" not in r.reply
    r = chat.say("确认")
    assert "13812345678" in r.submit.text  # type: ignore[union-attr]  # stored whole; masking is for display


def test_state_round_trips_through_json() -> None:
    chat = drive_to(Stage.REVIEW)
    chat.send(image("img_rt"))
    state = chat.state
    assert state is not None
    raw = json.dumps(state.to_dict(), ensure_ascii=False)
    again = DialogState.from_dict(json.loads(raw))
    assert again == state
    assert json.loads(raw)["version"] == 1
    assert again.updated_at.tzinfo is not None


@pytest.mark.parametrize("stage", list(Stage))
def test_every_stage_round_trips(stage: Stage) -> None:
    state = drive_to(stage).state
    assert state is not None
    assert DialogState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


def test_unknown_state_versions_are_refused() -> None:
    data = drive_to(Stage.ASK_WHEN).state.to_dict()  # type: ignore[union-attr]
    data["version"] = 99
    with pytest.raises(ValueError):
        DialogState.from_dict(data)


def test_older_rows_with_missing_or_extra_slots_still_load() -> None:
    data = drive_to(Stage.ASK_WHEN).state.to_dict()  # type: ignore[union-attr]
    del data["slots"]["window"]
    data["slots"]["from_the_future"] = 1
    state = DialogState.from_dict(data)
    assert state.slots.window is None and state.stage is Stage.ASK_WHEN


def test_env_needs_an_aware_now() -> None:
    with pytest.raises(ValueError):
        DialogEnv(now=datetime(2026, 11, 27, 10, 0), city=city(), classify=FakeClassifier(city()))


def test_city_texts_override_the_defaults_by_key() -> None:
    data = city().model_dump()
    data["texts"]["ask_evidence"] = "有照片就发过来，没有回“没有”。"
    data["texts"]["guide"] = "您好，请直接说问题。"
    custom = type(city()).model_validate(data)
    env = DialogEnv(now=NOW, city=custom, classify=FakeClassifier(custom))
    assert handle(None, text("你好"), env).reply == "您好，请直接说问题。"
    r = handle(None, text(NAMED), env)
    assert r.reply.endswith("有照片就发过来，没有回“没有”。")


def test_say_fills_placeholders_once_and_leaves_unknown_ones() -> None:
    assert say(city(), "unit_set", unit="{case_number}") == "好的，单位记为：{case_number}。"
    assert say(city(), "submitted", next_step="", anonymous_note="").count("{case_number}") == 2


def test_every_default_text_fits_and_is_chinese() -> None:
    for key, value in DEFAULTS.items():
        assert utf8_len(value) < 1024, key
        words = re.sub(r"\{[a-z_]+\}", "", value)
        assert not re.search(r"[A-Za-z]{3,}", words), key  # no English or leftover code in citizen texts
        if key != "case_list_item":  # a layout of placeholders only
            assert any("\u4e00" <= ch <= "\u9fff" for ch in words), key


def test_the_machine_is_declared_for_every_stage_and_drawn() -> None:
    assert set(TRANSITIONS) == set(Stage)
    for table in (ENTRY_POINTS, *TRANSITIONS.values()):
        assert table[-1][0] is anything
    diagram = (ROOT / "handlers" / "dialog" / "dialog.mmd").read_text("utf-8")
    assert diagram.lstrip("% \n").startswith("The citizen dialog") or "flowchart" in diagram
    for stage in Stage:
        assert stage.value in diagram, stage


def test_slots_defaults_are_an_empty_anonymous_draft() -> None:
    slots = Slots()
    assert slots.anonymous and not slots.has_content and slots.evidence == []


def test_a_slots_copy_shares_nothing_mutable_and_serialises_like_asdict() -> None:
    from dataclasses import asdict

    slots = Slots(text="窗口态度差", candidates=["bdc", "cgs"], location=[30.5, 114.3, "江岸区"],
                  evidence=[{"kind": "image", "media_id": "m1", "pic_url": "http://x/1.jpg"}])  # fmt: skip
    assert slots.to_dict() == asdict(slots)
    json.dumps(slots.to_dict())  # plain JSON, as the database keeps it
    copy = slots.copy()
    assert copy == slots
    copy.candidates.append("sbj")
    copy.location[2] = "武昌区"  # type: ignore[index]
    copy.evidence[0]["media_id"] = "m2"
    copy.evidence.append({"kind": "voice"})
    assert slots.candidates == ["bdc", "cgs"] and slots.location == [30.5, 114.3, "江岸区"]
    assert slots.evidence == [{"kind": "image", "media_id": "m1", "pic_url": "http://x/1.jpg"}]
    dumped = slots.to_dict()
    dumped["evidence"][0]["media_id"] = "changed"
    assert slots.evidence[0]["media_id"] == "m1"
