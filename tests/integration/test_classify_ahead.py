"""A turn classifies the citizen's text before it takes SQLite's single writer's lock (issue 18).

Classification is the largest piece of a new citizen's first turn and is pure; done inside the transaction it held
the lock every other worker's push waits for. These tests watch the real classifier through the webhook: when it
runs, whether the writer's lock is held then, and that the turn still gets every answer right.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from storage.db import Database
from tests.conftest import WeChat

FIRST = "不动产登记中心窗口的工作人员态度特别差，我问了两句就不耐烦地让我自己去看墙上的说明，还把材料扔回给我"


@pytest.fixture
def calls(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Every classification of the turn: its text, and whether this process held the writer's lock then."""
    rt = app.extensions["zhiyong"]
    lock = rt.db._write_lock
    assert lock is not None  # the app runs on a SQLite file
    classifier = rt.classifier
    seen: list[tuple[str, bool]] = []
    real = type(classifier).classify

    def watched(self: Any, text: str) -> Any:
        seen.append((text, lock._thread_lock.locked()))
        return real(self, text)

    monkeypatch.setattr(type(classifier), "classify", watched)
    return seen


def test_a_first_message_is_classified_once_before_the_writers_lock(wechat: WeChat, calls: list[tuple[str, bool]],
                                                                    app: Any) -> None:  # fmt: skip
    reply = wechat.text(FIRST, openid="o_first_message")
    assert calls == [(FIRST, False)]  # once, and no other writer waited for it
    assert reply and "不动产登记中心" in reply  # the classification ahead is the one the dialog used
    with app.extensions["zhiyong"].db.engine.connect() as conn:
        drafts = conn.execute(sa.text("SELECT count(*) FROM dialogs")).scalar_one()
    assert drafts == 1


def test_short_answers_are_not_classified_ahead(wechat: WeChat, calls: list[tuple[str, bool]]) -> None:
    wechat.text(FIRST, openid="o_answers")
    calls.clear()
    for answer in ("是", "1", "你好"):
        wechat.text(answer, openid="o_answers")
    assert all(locked for _text, locked in calls)  # whatever the dialog asked for, it asked inside the turn
    assert not any(text in ("是", "1") for text, _locked in calls)


def test_a_text_the_dialog_reads_differently_is_classified_inside_and_each_text_once(
    wechat: WeChat, calls: list[tuple[str, bool]]
) -> None:
    """A second story message joins the draft: the dialog classifies the whole story, which the turn could not
    know ahead; no text is classified twice in one turn."""
    wechat.text(FIRST, openid="o_story")
    calls.clear()
    more = "而且他们中午十一点就关窗口了，说下午再来，我请假过来的"
    wechat.text(more, openid="o_story")
    texts = [text for text, _locked in calls]
    assert len(texts) == len(set(texts))
    ahead = [text for text, locked in calls if not locked]
    assert ahead == [more]


def test_a_classifier_failing_ahead_still_gets_the_citizen_an_answer(
    wechat: WeChat, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = app.extensions["zhiyong"]

    def broken(self: Any, text: str) -> Any:
        raise RuntimeError("model file gone")

    monkeypatch.setattr(type(rt.classifier), "classify", broken)
    reply = wechat.text(FIRST, openid="o_broken")  # asserts the webhook answered 200
    assert reply == rt.settings.city.texts.error
    with rt.db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM dead_letters")).scalar_one() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM inbound_messages")).scalar_one() == 1


def test_only_a_database_whose_writers_queue_classifies_ahead(sqlite_url: str) -> None:
    assert Database(sqlite_url).writers_queue
    assert Database("sqlite://").writers_queue  # in memory: the threads of one process still queue
    # PostgreSQL writers do not wait for one another: work moved out of the transaction would only move.
    assert not Database("postgresql://zhiyong@127.0.0.1:1/none").writers_queue
