"""Issue 16's repositories on both databases: ratings counted without the 误评 the office upheld (and without the
review case it opened), praise per unit and window, appeals listed, inspections, service volumes and an approved
standing — every query PostgreSQL runs too."""

from __future__ import annotations

from datetime import timedelta

from storage import inspections as inspections_repo
from storage import ranking as ranking_repo
from storage import ratings as ratings_repo
from storage import staff as staff_repo
from storage.db import Database
from storage.models import Case
from storage.models import CaseFinding
from tests.storage.test_repositories import AUDIT_KEY
from tests.storage.test_repositories import NOW
from tests.storage.test_repositories import new_case

DAY = timedelta(days=1)


def test_ratings_appeals_inspections_and_the_standing_round_trip(any_db_url: str) -> None:
    db = Database(any_db_url, audit_key=AUDIT_KEY)
    start, end = NOW - 10 * DAY, NOW + DAY
    try:
        with db.transaction() as s:
            review = new_case(s, "ZY2611270001")
            review.kind, review.window = "review", "3"
            s.add(CaseFinding(case_id=review.id, verdict="verified", measures="整改", status="pending",
                              recorded_by="sup_bdc", recorded_at=NOW))  # fmt: skip
            complaint = new_case(s, "ZY2611270002")
            complaint.state, complaint.closed_at, complaint.rating_outcome, complaint.rating_conduct = (
                "closed", NOW, "1", "A")  # fmt: skip
            praise = new_case(s, "ZY2611270003")
            praise.kind, praise.window, praise.state = "praise", "3", "closed"
            poor = ratings_repo.record(session=s, pseudonym="p1", unit="bdc", window="3", level=2, at=NOW,
                                       replace_within=timedelta(hours=1))  # fmt: skip
            poor.review_case_id = review.id
            ratings_repo.record(session=s, pseudonym="p2", unit="bdc", window="3", level=5, at=NOW,
                                replace_within=timedelta(hours=1))  # fmt: skip
            ratings_repo.record(session=s, pseudonym="p3", unit="bdc", window=None, level=1, at=NOW,
                                replace_within=timedelta(hours=1))  # fmt: skip
            assert ranking_repo.complaints(session=s, start=start, end=end) == {"bdc": 2}
            assert ranking_repo.findings(session=s, start=start, end=end, substantiated=["verified"]) == {"bdc": (1, 1)}

            appeal = ratings_repo.add_appeal(session=s, rating=poor, reason="误评", actor="sup_bdc", now=NOW)
            assert [a.id for a, _ in ratings_repo.appeals(session=s, status="pending")] == [appeal.id]
            assert ratings_repo.appeals(session=s, status="pending", units_blocked=["bdc"]) == []
            assert [(r.level, a is not None) for r, a in ratings_repo.poor_ratings(
                session=s, units=["bdc"], since=start)] == [(1, False), (2, True)]  # fmt: skip
            ratings_repo.decide(session=s, row=appeal, uphold=True, actor="staff:o", now=NOW, note=None)

            assert sorted(ratings_repo.counts_by_level(session=s, start=start, end=end), key=str) == sorted(
                [("bdc", "3", 5, 1), ("bdc", None, 1, 1)], key=str)  # fmt: skip
            assert ratings_repo.excluded_counts(session=s, start=start, end=end) == [("bdc", "3", 1)]
            assert ratings_repo.praise_counts(session=s, start=start, end=end) == [("bdc", "3", 1)]
            assert ratings_repo.level_sums(session=s, start=start, end=end) == {"bdc": (2, 6)}
            # The upheld 误评's review case no longer counts as a complaint, nor its finding.
            assert ranking_repo.complaints(session=s, start=start, end=end) == {"bdc": 1}
            assert ranking_repo.findings(session=s, start=start, end=end, substantiated=["verified"]) == {}
            assert ranking_repo.satisfaction(session=s, start=start, end=end) == {"bdc": (1, 1)}

            inspector = staff_repo.add(session=s, username="insp1", display_name="暗访员", password_hash="x",
                                       role="inspector", units=[], member_of="zyb", supervisor_id=None, now=NOW)  # fmt: skip
            row = inspections_repo.add(session=s, inspector_id=inspector.id, unit="bdc", window="3", visited_at=NOW,
                                       checks={"on_duty": True, "badge": False, "first_responsibility": None,
                                               "one_time_notice": True, "attitude": None}, wait_minutes=12,
                                       findings="未佩戴工牌", now=NOW)  # fmt: skip
            inspections_repo.add_photo(session=s, inspection_id=row.id, sha256="0" * 64, path="inspections/1/1.jpg",
                                       content_type="image/jpeg", size_bytes=10, now=NOW)  # fmt: skip
            row.case_id = complaint.id
            found = inspections_repo.listing(session=s, inspector_id=inspector.id, start=start, end=end)
            assert [(i.id, who, number) for i, who, number in found] == [(row.id, "insp1", "ZY2611270002")]
            assert inspections_repo.listing(session=s, inspector_id=None, units_blocked=["bdc"]) == []
            assert inspections_repo.photo_counts(session=s, inspection_ids=[row.id]) == {row.id: 1}
            assert inspections_repo.inspector_and_case(session=s, row=row) == ("insp1", "ZY2611270002",
                                                                                complaint.public_id)  # fmt: skip
            assert [i.badge for i in inspections_repo.between(session=s, start=start, end=end)] == [False]

            assert ranking_repo.import_volumes(session=s, rows=[("bdc", "2026-11", 10)], now=NOW) == 1
            ranking_repo.import_volumes(session=s, rows=[("bdc", "2026-11", 5200), ("zwfw", "2026-11", 9)], now=NOW)
            assert ranking_repo.volumes(session=s, month="2026-11") == {"bdc": 5200, "zwfw": 9}
            ranking_repo.save_approved(session=s, month="2026-10", content={"rows": []}, computed_at=NOW,
                                       approved_by="office1", approved_at=NOW)  # fmt: skip
            ranking_repo.save_approved(session=s, month="2026-11", content={"rows": [{"unit": "bdc"}]},
                                       computed_at=NOW, approved_by="office1", approved_at=NOW)  # fmt: skip
        with db.transaction() as s:
            latest = ranking_repo.latest_approved(session=s)
            assert latest is not None and latest.month == "2026-11" and latest.content == {"rows": [{"unit": "bdc"}]}
            assert s.get(Case, review.id) is not None
    finally:
        db.dispose()
