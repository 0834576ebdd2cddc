"""The survey repository on both databases: the audience (reported, rated or scanned; following; never staff),
invitations once per citizen and unit, one participation each, one-use links taken atomically, the mix, and the
surveys that closed in a period — every query PostgreSQL runs too."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

import sqlalchemy as sa

from storage import citizens
from storage import ratings as ratings_repo
from storage import surveys as repo
from storage.db import Database
from storage.models import SupervisorBinding
from storage.models import SurveyResponse
from tests.storage.test_repositories import AUDIT_KEY
from tests.storage.test_repositories import NOW
from tests.storage.test_repositories import new_case


def _survey(s, closes_at, kind="citizen", closed_at=None):  # type: ignore[no-untyped-def]
    row = repo.add(session=s, title="测评", kind=kind, units=["bdc", "zwfw"], audience={"dealt_with_days": 30},
                   questions=[{"text": "满意吗", "kind": "scale5"}], opens=date(2026, 11, 1), closes=date(2026, 12, 1),
                   opens_at=NOW - timedelta(days=20), closes_at=closes_at, source="", created_by="t", now=NOW)  # fmt: skip
    row.closed_at = closed_at
    return row


def test_the_audience_and_one_answer_each(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    try:
        with db.transaction() as s:
            for p in ("p1", "p2", "p3", "p4", "p_staff", "p_gone"):
                citizens.touch(session=s, pseudonym=p, openid=f"o_{p}", at=NOW, message=True)
            citizens.set_subscribed(session=s, pseudonym="p_gone", subscribed=False, at=NOW)
            s.add(SupervisorBinding(supervisor_id="sup_bdc", openid="o_p_staff", pseudonym="p_staff"))
            new_case(s, "ZY2611270001")  # p1 reported about bdc
            ratings_repo.record(session=s, pseudonym="p2", unit="zwfw", window="1", level=4, at=NOW,
                                replace_within=timedelta(hours=1))  # fmt: skip
            repo.record_scan(session=s, pseudonym="p3", unit="bdc", window=None, at=NOW)
            repo.record_scan(session=s, pseudonym="p3", unit="bdc", window="2", at=NOW)
            repo.record_scan(session=s, pseudonym="p4", unit="bdc", window=None, at=NOW - timedelta(days=40))
            repo.record_scan(session=s, pseudonym="p_staff", unit="bdc", window=None, at=NOW)
            repo.record_scan(session=s, pseudonym="p_gone", unit="bdc", window=None, at=NOW)
            found = repo.audience(session=s, units=["bdc", "zwfw"], since=NOW - timedelta(days=30), until=NOW)
            assert found == [("p1", "bdc"), ("p2", "zwfw"), ("p3", "bdc")]

            survey = _survey(s, NOW + timedelta(days=5))
            assert repo.invite(session=s, survey_id=survey.id, pseudonym="p1", unit="bdc", link_key="k1",
                               channel="message", now=NOW)  # fmt: skip
            assert not repo.invite(session=s, survey_id=survey.id, pseudonym="p1", unit="bdc", link_key="k1",
                                   channel="message", now=NOW)  # fmt: skip
            repo.invite(session=s, survey_id=survey.id, pseudonym="p1", unit="zwfw", link_key="k1", channel="message",
                        now=NOW)  # fmt: skip
            assert repo.open_invitation(session=s, pseudonym="p1", now=NOW) is survey
            assert repo.holder(session=s, survey_id=survey.id, link_key="k1") == "p1"
            assert repo.participate(session=s, survey_id=survey.id, unit="bdc", participant="p1")
            assert not repo.participate(session=s, survey_id=survey.id, unit="bdc", participant="p1")
            assert repo.pending_units(session=s, survey_id=survey.id, pseudonym="p1") == ["zwfw"]
            repo.decline(session=s, survey_id=survey.id, pseudonym="p1", units=["zwfw"])
            assert repo.pending_units(session=s, survey_id=survey.id, pseudonym="p1") == []
            assert repo.open_invitation(session=s, pseudonym="p1", now=NOW) is None
            assert repo.open_invitation(session=s, pseudonym="p1", now=NOW, pending=False) is survey
            assert repo.drop_scans(session=s, before=NOW - timedelta(days=30)) == 1
    finally:
        db.dispose()


def test_links_answers_the_mix_and_closed_surveys(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    try:
        with db.transaction() as s:
            staff = _survey(s, NOW + timedelta(days=5), kind="staff")
            repo.add_links(session=s, survey_id=staff.id, unit="bdc", keys=["a" * 64, "b" * 64], now=NOW)
            assert repo.use_link(session=s, key="a" * 64) and not repo.use_link(session=s, key="a" * 64)
            assert not repo.use_link(session=s, key="c" * 64)
            for level in (5, 3, 1):
                repo.add_response(session=s, survey_id=staff.id, unit="bdc", answers=[level])
            before = set(s.scalars(sa.select(SurveyResponse.id)))
            assert repo.unmixed_surveys(session=s) == [staff.id]
            assert repo.mix(session=s, survey_id=staff.id) == 3
            assert repo.unmixed_surveys(session=s) == []
            after = repo.responses(session=s, survey_ids=[staff.id])
            assert sorted(a[0] for _, _, a in after) == [1, 3, 5]
            assert before.isdisjoint(set(s.scalars(sa.select(SurveyResponse.id))))
            counts = repo.counts(session=s, survey_ids=[staff.id])[staff.id]
            assert counts == {"invited": 0, "responses": 3, "links": 2, "links_used": 1}

            early = _survey(s, NOW + timedelta(days=30), closed_at=NOW - timedelta(days=1))
            due = _survey(s, NOW - timedelta(hours=1))
            _survey(s, NOW + timedelta(days=2))
            assert repo.due_to_close(session=s, now=NOW) == [due]
            window = {x.id for x in repo.closed_between(session=s, kind="citizen", start=NOW - timedelta(days=3),
                                                        end=NOW + timedelta(days=3), now=NOW)}  # fmt: skip
            assert window == {early.id, due.id}
    finally:
        db.dispose()
