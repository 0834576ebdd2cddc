"""The accountability half's repositories on both databases: findings and 问责 reviewed, 活档案 entries once per
cause, the digest as sent, the ledger's per-case extras and a unit's record — every query PostgreSQL runs too."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

import sqlalchemy as sa

from storage import accountability as acc_repo
from storage import bulletins as bulletins_repo
from storage import digests as digests_repo
from storage import dossier as dossier_repo
from storage import ledger_rows
from storage import staff as staff_repo
from storage import unit_record
from storage.db import Database
from tests.storage.test_repositories import AUDIT_KEY
from tests.storage.test_repositories import NOW
from tests.storage.test_repositories import new_case


def test_findings_records_dossier_digest_and_bulletins_round_trip(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    try:
        with db.transaction() as s:
            case = new_case(s, "ZY2611270001")
            cases_id = case.id
            acc_repo.save_finding(session=s, case_id=case.id, verdict="verified", measures="调岗", actor="sup_bdc",
                                  now=NOW)  # fmt: skip
            acc_repo.add_records(session=s, case_id=case.id, unit="bdc", items=[("none", None, None)], actor="sup_bdc",
                                 now=NOW)  # fmt: skip
            # A real measure after 无: the 无 is retired, the newer statement stands.
            acc_repo.add_records(session=s, case_id=case.id, unit="bdc",
                                 items=[("admonition", "主任", "off_bdc_zr")], actor="sup_bdc", now=NOW)  # fmt: skip
            assert acc_repo.pending_recorders(session=s, case_id=case.id) == {"sup_bdc"}
            pending = acc_repo.pending_reviews(session=s, where=sa.true())
            assert [(p.number, p.verdict) for p in pending] == [("ZY2611270001", "verified")]
            found, decided = acc_repo.review(session=s, case_id=case.id, confirm=True, actor="staff:o", now=NOW,
                                             note=None)  # fmt: skip
            assert found is not None and [r.measure for r in decided] == ["admonition"]
            assert acc_repo.pending_reviews(session=s, where=sa.true()) == []
            assert [tuple(r)[:4] for r in acc_repo.records_between(session=s, start=NOW - timedelta(days=1),
                                                                  end=NOW + timedelta(days=1))] == [
                ("ZY2611270001", "bdc", "admonition", "主任")]  # fmt: skip
            extras = ledger_rows.extras(session=s, case_ids=[case.id])[case.id]
            assert extras.finding is not None and [r.measure for r in extras.records] == ["admonition"]
            assert unit_record.findings_since(session=s, unit="bdc", since=NOW - timedelta(days=1)) == [
                (NOW, "verified")]  # fmt: skip
            for _ in range(2):
                dossier_repo.add(session=s, official_id="off_bdc_zr", on_date=date(2026, 11, 27), kind="overdue",
                                 summary="超期", source="治庸问责平台", origin="auto", recorded_by="system", now=NOW,
                                 ref="overdue:1:x")  # fmt: skip
            dossier_repo.add(session=s, official_id="off_bdc_zr", on_date=date(2026, 11, 20), kind="reward",
                             summary="嘉奖", source="市委", origin="manual", recorded_by="staff:zzb", now=NOW)  # fmt: skip
            assert [e.kind for e in dossier_repo.entries(session=s, official_ids=["off_bdc_zr"])] == [
                "overdue",
                "reward",
            ]
            assert dossier_repo.counts(session=s) == {"off_bdc_zr": 2}
            digests_repo.save(session=s, week="2026-W48", start=NOW, end=NOW, as_of=NOW, sent_at=NOW,
                              content={"week": "2026-W48", "narrative": ["一句话。"]})  # fmt: skip
            account = staff_repo.add(session=s, username="o1", display_name="o1", password_hash="x", role="office",
                                     units=["zyb"], member_of="zyb", supervisor_id=None, now=NOW)  # fmt: skip
            b = bulletins_repo.add(session=s, case_id=case.id, tone="bad", title="通报", body="正文", unit="bdc",
                                   staff_id=account.id, now=NOW)  # fmt: skip
            assert bulletins_repo.published(session=s) == []
            b.status, b.approved_at = bulletins_repo.APPROVED, NOW
        with db.transaction() as s:
            stored = digests_repo.get(session=s, week="2026-W48")
            assert stored is not None and stored.content["narrative"] == ["一句话。"]
            assert [x.title for x in bulletins_repo.published(session=s)] == ["通报"]
            listed = bulletins_repo.listing(session=s, where=sa.true())
            assert [(x.number, x.drafter) for x in listed] == [("ZY2611270001", "o1")]
            assert acc_repo.finding(session=s, case_id=cases_id).status == "confirmed"  # type: ignore[union-attr]
    finally:
        db.dispose()
