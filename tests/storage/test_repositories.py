"""Repositories on a real database (SQLite, and PostgreSQL where it runs): numbers, audit chain, migrations."""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from handlers.lifecycle import AWAITING_ANSWER
from handlers.lifecycle import OPEN_STATES
from handlers.masking import mask_text
from storage import cases as cases_repo
from storage import citizens
from storage import dialogs
from storage import inbound
from storage import migrate
from storage import turn
from storage.db import Database
from storage.models import AuditUnlock
from storage.models import CaseEvent
from storage.models import Citizen
from storage.models import Model
from storage.models import SupervisorBinding
from tests.conftest import tamper_audit

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
AUDIT_KEY = b"a key that is not in the database"


def new_case(session, number: str, text: str = "窗口态度差😀𠀀"):  # type: ignore[no-untyped-def]
    return cases_repo.create(
        session=session, number=number, now=NOW, pseudonym="p1", state="submitted", category="attitude",
        respondent_unit="bdc", window=None, text=text, search_text=mask_text(text), occurred_on=None,
        occurred_text=None, location=None,
        anonymous=True, unit_source="named", confidence=0.9, classification={"evidence": ["态度"]}, triage=False,
    )  # fmt: skip


def test_case_numbers_are_daily_and_sequential(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    with db.transaction() as s:
        a = cases_repo.allocate_number(session=s, at=NOW, tz=TZ)
        b = cases_repo.allocate_number(session=s, at=NOW, tz=TZ)
        # 2026-11-27 20:00 Beijing is still the 27th; 16:30 UTC is the 28th in Beijing.
        c = cases_repo.allocate_number(session=s, at=datetime(2026, 11, 27, 16, 30, tzinfo=UTC), tz=TZ)
    assert (a, b, c) == ("ZY2611270001", "ZY2611270002", "ZY2611280001")
    db.dispose()


def test_concurrent_allocations_never_share_a_number(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    got: list[str] = []

    def worker() -> None:
        for _ in range(10):
            with db.transaction() as s:
                got.append(cases_repo.allocate_number(session=s, at=NOW, tz=TZ))

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 50 and len(set(got)) == 50
    db.dispose()


def case_with_events(db: Database, number: str = "ZY2611270001") -> None:
    with db.transaction() as s:
        case = new_case(s, number)
        for action, frm, to in (("submit", None, "submitted"), ("route", "submitted", "assigned"),
                                ("sign", "assigned", "signed")):  # fmt: skip
            cases_repo.append_event(session=s, case=case, at=NOW, actor="t", action=action, from_state=frm, to_state=to)


def audit_rows(db: Database) -> list[tuple[object, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(CaseEvent.__table__).order_by(CaseEvent.id))]


def unlock_rows(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(AuditUnlock)).scalar_one()


def test_audit_chain_verifies_and_detects_an_edit(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    case_with_events(db)
    with db.transaction() as s:
        case = cases_repo.by_number(session=s, number="ZY2611270001")
        assert cases_repo.verify_chain(session=s, case=case) is None
    # The app cannot edit the table (item 64's first half); an owner who switches the triggers off is caught.
    tamper_audit(any_db_url, "UPDATE case_events SET actor = 'someone else' WHERE seq = 2")
    with db.transaction() as s:
        case = cases_repo.by_number(session=s, number="ZY2611270001")
        assert cases_repo.verify_chain(session=s, case=case) == "event 2 was altered (its keyed hash does not match)"
    tamper_audit(any_db_url, "DELETE FROM case_events WHERE seq = 2")
    with db.transaction() as s:
        case = cases_repo.by_number(session=s, number="ZY2611270001")
        assert cases_repo.verify_chain(session=s, case=case) == "event 2 is missing"
    db.dispose()


def test_an_owner_who_recomputes_the_hashes_without_the_key_is_caught(any_db_url: str) -> None:
    """Finding 11: the chain is keyed, so an edit re-hashed with plain SHA-256 (or relabelled as a legacy,
    unkeyed event) does not verify."""
    from storage.audit import GENESIS
    from storage.audit import AuditFields
    from storage.audit import audit_hash

    db = Database(any_db_url, audit_key=AUDIT_KEY)
    case_with_events(db)
    with db.transaction() as s:
        case = cases_repo.by_number(session=s, number="ZY2611270001")
        evs = cases_repo.events(session=s, case_id=case.id)
        prev = GENESIS
        forged = []
        for ev in evs:
            actor = "someone else" if ev.seq == 2 else ev.actor
            h = audit_hash(prev, AuditFields(case.number, ev.seq, ev.at, actor, ev.action, ev.from_state,
                                             ev.to_state, ev.note))  # fmt: skip
            forged.append((ev.seq, actor, prev, h))
            prev = h
    for version in (1, 0):  # as keyed events (wrong HMAC) and relabelled as legacy ones (no checkpoint vouches)
        for seq, actor, prev_hash, h in forged:
            tamper_audit(any_db_url, f"UPDATE case_events SET actor = '{actor}', prev_hash = '{prev_hash}', hash = '{h}', "
                                     f"hash_version = {version} WHERE seq = {seq}")  # fmt: skip
        with db.transaction() as s:
            case = cases_repo.by_number(session=s, number="ZY2611270001")
            problem = cases_repo.verify_chain(session=s, case=case)
        assert problem is not None and problem.startswith("event 1"), problem
    db.dispose()


def test_the_audit_table_is_append_only_for_the_app(any_db_url: str) -> None:
    """RELIABILITY item 64: an UPDATE or DELETE of case_events through the app's engine fails and changes nothing."""
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    case_with_events(db)
    before = audit_rows(db)
    assert len(before) == 3
    refused = [
        sa.update(CaseEvent).where(CaseEvent.seq == 2).values(note="rewritten", actor="someone else"),
        sa.update(CaseEvent).values(hash="0" * 64),
        sa.delete(CaseEvent).where(CaseEvent.seq == 3),
        sa.delete(CaseEvent),
    ]
    for stmt in refused:
        with pytest.raises(sa.exc.IntegrityError, match="case_events is append-only"), db.transaction() as s:
            s.execute(stmt)
    with pytest.raises(sa.exc.IntegrityError, match="case_events is append-only"), db.transaction() as s:
        s.delete(s.scalars(sa.select(CaseEvent).where(CaseEvent.seq == 1)).one())  # the ORM's own DELETE
    with pytest.raises(sa.exc.DatabaseError, match="case_events is append-only"), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE case_events SET note = 'raw' WHERE seq = 1"))
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.IntegrityError, match="case_events is append-only"), db.engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE case_events"))
    assert audit_rows(db) == before
    with db.transaction() as s:  # appending still works, and the chain still verifies
        case = cases_repo.by_number(session=s, number="ZY2611270001")
        cases_repo.append_event(session=s, case=case, at=NOW, actor="t", action="reply", from_state="signed",
                                to_state="answered")  # fmt: skip
    with db.transaction() as s:
        case = cases_repo.by_number(session=s, number="ZY2611270001")
        assert len(cases_repo.events(session=s, case_id=case.id)) == 4
        assert cases_repo.verify_chain(session=s, case=case) is None
    db.dispose()


def test_audit_maintenance_unlocks_only_its_own_transaction(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    case_with_events(db)
    with pytest.raises(RuntimeError), db.transaction() as s:  # a failed maintenance leaves everything as it was
        with cases_repo.audit_maintenance(session=s, reason="test", at=NOW):
            s.execute(sa.delete(CaseEvent).where(CaseEvent.seq == 3))
            raise RuntimeError("boom")
    assert len(audit_rows(db)) == 3 and unlock_rows(db) == 0
    with db.transaction() as s:
        with cases_repo.audit_maintenance(session=s, reason="test", at=NOW):
            s.execute(sa.delete(CaseEvent).where(CaseEvent.seq == 3))
            s.delete(s.scalars(sa.select(CaseEvent).where(CaseEvent.seq == 2)).one())  # flushed inside the block
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditUnlock)) == 0
    assert [r[2] for r in audit_rows(db)] == [1] and unlock_rows(db) == 0
    with pytest.raises(sa.exc.IntegrityError, match="case_events is append-only"), db.transaction() as s:
        s.execute(sa.delete(CaseEvent))  # locked again once the block is over
    assert len(audit_rows(db)) == 1
    if db.engine.dialect.name == "postgresql":  # concurrent transactions never see another's unlock
        with db.engine.connect() as maintenance, db.engine.connect() as other:
            maintenance.execute(sa.insert(AuditUnlock).values(id=1, reason="test", at=NOW))
            with pytest.raises(sa.exc.IntegrityError, match="case_events is append-only"):
                other.execute(sa.delete(CaseEvent))
            other.rollback()
            maintenance.rollback()
        assert len(audit_rows(db)) == 1
    db.dispose()


def test_text_with_emoji_and_rare_characters_is_stored_exactly(any_db_url: str) -> None:
    text = "窗口]]>&<😀𠀀\u200f" + "长" * 5000
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    with db.transaction() as s:
        new_case(s, "ZY2611270009", text)
    with db.transaction() as s:
        assert cases_repo.by_number(session=s, number="ZY2611270009").text == text
    db.dispose()


def test_open_load_counts_active_assignments_of_open_cases(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    with db.transaction() as s:
        c1 = new_case(s, "ZY2611270001")
        c2 = new_case(s, "ZY2611270002")
        c2.state = "closed"
        cases_repo.assign(session=s, case=c1, supervisor_id="sup_bdc", role="handler", at=NOW)
        cases_repo.assign(session=s, case=c2, supervisor_id="sup_bdc", role="handler", at=NOW)
        assert cases_repo.open_load(session=s, open_states=OPEN_STATES) == {"sup_bdc": 1}
    db.dispose()


def test_citizen_touch_opens_the_service_window_only_for_messages(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    with db.transaction() as s:
        citizens.touch(session=s, pseudonym="p1", openid="o1", at=NOW, message=False)
        assert s.get(Citizen, "p1", populate_existing=True).last_message_at is None
        citizens.touch(session=s, pseudonym="p1", openid="o1", at=NOW, message=True)
        assert s.get(Citizen, "p1", populate_existing=True).last_message_at == NOW
        # an older message (a late retry) never moves the window back; an event never moves it at all
        citizens.touch(session=s, pseudonym="p1", openid="o1", at=NOW - timedelta(hours=1), message=True)
        citizens.touch(session=s, pseudonym="p1", openid="o1", at=NOW + timedelta(hours=1), message=False)
        assert s.get(Citizen, "p1", populate_existing=True).last_message_at == NOW
        citizens.touch(session=s, pseudonym="p1", openid="o1", at=NOW + timedelta(hours=2), message=True)
        assert s.get(Citizen, "p1", populate_existing=True).last_message_at == NOW + timedelta(hours=2)
        assert citizens.openid_for(session=s, pseudonym="p1") == "o1"
    db.dispose()


def test_sender_view_reads_binding_and_draft_together_and_the_draft_round_trips(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    draft = {"version": 1, "stage": "describe", "slots": {"text": "窗口态度差😀", "evidence": [{"media_id": "m1"}]}}
    with db.transaction() as s:
        assert turn.sender_view(session=s, pseudonym="p1") == turn.SenderView(None, None)
        dialogs.save(session=s, pseudonym="p1", data=draft, at=NOW)
        assert turn.sender_view(session=s, pseudonym="p1") == turn.SenderView(None, draft)
        dialogs.save(session=s, pseudonym="p1", data={**draft, "stage": "confirm"}, at=NOW)  # the upsert replaces
        assert turn.sender_view(session=s, pseudonym="p1").dialog == {**draft, "stage": "confirm"}
        s.add(SupervisorBinding(supervisor_id="sup_bdc", openid="o-sup", pseudonym="p2", bound_at=NOW))
        s.flush()
        assert turn.sender_view(session=s, pseudonym="p2") == turn.SenderView("sup_bdc", None)
        dialogs.clear(session=s, pseudonym="p1")
        assert turn.sender_view(session=s, pseudonym="p1") == turn.SenderView(None, None)
        # whether the citizen is known, when they last wrote, and whether they have a case come in the same read
        citizens.touch(session=s, pseudonym="p1", openid="o1", at=NOW, message=True)
        view = turn.sender_view(session=s, pseudonym="p1")
        assert (view.known, view.last_message_at, view.has_cases) == (True, NOW, False)
        new_case(s, "ZY2611270099", "窗口态度差")
        assert turn.sender_view(session=s, pseudonym="p1").has_cases
        assert not turn.sender_view(session=s, pseudonym="p2").known
    db.dispose()


def test_inbound_claim_is_once_per_key(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    kw = dict(msg_id="1", msg_type="text", event=None, pseudonym="p", created_at=NOW, received_at=NOW)
    with db.transaction() as s:
        first = inbound.claim(session=s, msg_key="m:1", **kw)
        assert isinstance(first, int)
        assert inbound.claim(session=s, msg_key="m:1", **kw) is None
        assert inbound.claim(session=s, msg_key="m:2", **kw) not in (None, first)
        inbound.finish(session=s, record_id=first, outcome="handled", reply_text="您好😀", at=NOW)
        stored = inbound.get(session=s, msg_key="m:1")
        assert stored is not None and stored.id == first
        assert (stored.outcome, stored.reply_text, stored.reply_created_at) == ("handled", "您好😀", NOW)
    db.dispose()


def test_claim_with_view_is_the_claim_and_the_sender_view_in_one_statement(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    draft = {"version": 1, "stage": "describe", "slots": {"text": "窗口态度差😀"}}
    statements: list[str] = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    def claim(key: str, pseudonym: str = "p1"):  # type: ignore[no-untyped-def]
        return turn.claim_with_view(session=s, msg_key=key, msg_id="1", msg_type="text", event=None,
                                    pseudonym=pseudonym, created_at=NOW, received_at=NOW)  # fmt: skip

    with db.transaction() as s:
        s.connection()
        statements.clear()
        first = claim("m:1")
        assert first is not None and isinstance(first[0], int)
        assert first[1] == turn.sender_view(session=s, pseudonym="p1") == turn.SenderView(None, None)
        assert len(statements) == 2  # the claim with its view, then the separate read compared with it
        assert claim("m:1") is None  # a retry: nothing recorded, no view
        stored = inbound.get(session=s, msg_key="m:1")
        assert stored is not None and (stored.id, stored.outcome, stored.pseudonym) == (first[0], "pending", "p1")
        citizens.touch(session=s, pseudonym="p1", openid="o1", at=NOW, message=True)
        dialogs.save(session=s, pseudonym="p1", data=draft, at=NOW)
        new_case(s, "ZY2611270098", "窗口态度差")
        s.add(SupervisorBinding(supervisor_id="sup_bdc", openid="o-sup", pseudonym="p1", bound_at=NOW))
        s.flush()
        second = claim("m:2")
        assert second is not None and second[0] not in (None, first[0])
        assert second[1] == turn.sender_view(session=s, pseudonym="p1")
        assert second[1] == turn.SenderView("sup_bdc", draft, known=True, last_message_at=NOW, has_cases=True)
        other = claim("m:3", pseudonym="p2")
        assert other is not None and other[1] == turn.SenderView(None, None)
    db.dispose()


def test_migrations_down_and_up_keep_the_schema_in_step_with_the_models(any_db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    db = Database(any_db_url, audit_key=AUDIT_KEY)
    with db.transaction() as s:
        inbound.claim(session=s, msg_key="m:keep", msg_id="6054768590064713728", msg_type="text", event=None,
                      pseudonym="p😀", created_at=NOW, received_at=NOW)  # fmt: skip
    db.dispose()
    migrate.downgrade(any_db_url, "0001")
    migrate.upgrade(any_db_url)
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Model.metadata)
    with db.transaction() as s:
        row = inbound.get(session=s, msg_key="m:keep")
        assert row is not None and row.msg_id == "6054768590064713728" and row.pseudonym == "p😀"
    db.dispose()
    assert diff == []


def test_supervisor_counts_are_aggregated_in_the_database(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    with db.transaction() as s:
        # 超期 (handlers.overdue): awaiting an answer and past the answer deadline; a closed case never is.
        for i, (state, late) in enumerate(
            [("assigned", False), ("signed", True), ("closed", True), ("reopened", False)]
        ):
            c = new_case(s, f"ZY261127000{i}")
            c.state, c.answer_due = state, NOW - timedelta(hours=1) if late else NOW + timedelta(days=3)
            cases_repo.assign(session=s, case=c, supervisor_id="sup_bdc", role="handler", at=NOW)
        other = new_case(s, "ZY2611270009")
        cases_repo.assign(session=s, case=other, supervisor_id="sup_gaj", role="handler", at=NOW)
        counts = cases_repo.supervisors_counts(session=s, supervisor_ids=["sup_bdc"],
                                               new_states=("assigned", "reopened"), open_states=OPEN_STATES,
                                               awaiting_states=AWAITING_ANSWER, now=NOW)["sup_bdc"]  # fmt: skip
    assert counts == (2, 1)
    db.dispose()
