"""Every table, in modules by what it is about; importing `storage.models` registers them all on one metadata.

`from storage.models import Case` keeps working: the names are re-exported here.
"""

from __future__ import annotations

from storage.models.accountability import AccountabilityRecord
from storage.models.accountability import CaseFinding
from storage.models.base import JSONType
from storage.models.base import Model
from storage.models.base import UTCDateTime
from storage.models.base import _BigId  # noqa: F401  (a type other modules reuse)
from storage.models.bulletins import Bulletin
from storage.models.calendar import CalendarDay
from storage.models.calendar import CalendarImport
from storage.models.cases import Assignment
from storage.models.cases import AuditUnlock
from storage.models.cases import Case
from storage.models.cases import CaseCounter
from storage.models.cases import CaseEvent
from storage.models.cases import CaseMessage
from storage.models.cases import Evidence
from storage.models.cases import ReporterContact
from storage.models.console import RevealRequest
from storage.models.console import StaffSession
from storage.models.delivery import AccessToken
from storage.models.delivery import JobRun
from storage.models.delivery import OutboxMessage
from storage.models.delivery import ReminderStep
from storage.models.digests import DigestIssue
from storage.models.dossier import DossierEntry
from storage.models.intake import Citizen
from storage.models.intake import DeadLetter
from storage.models.intake import Dialog
from storage.models.intake import InboundRecord
from storage.models.open311 import ApiKey
from storage.models.open311 import Open311Request
from storage.models.ranking import RankingMonth
from storage.models.ranking import ServiceVolume
from storage.models.ratings import WindowRating
from storage.models.requests import CaseRequest
from storage.models.reviews import Inspection
from storage.models.reviews import InspectionPhoto
from storage.models.reviews import RatingAppeal
from storage.models.staff import BindFailure
from storage.models.staff import Correction
from storage.models.staff import LoginFailure
from storage.models.staff import StaffAccount
from storage.models.staff import StaffEvent
from storage.models.staff import SupervisorBinding
from storage.models.surveys import QrScan
from storage.models.surveys import Survey
from storage.models.surveys import SurveyInvitation
from storage.models.surveys import SurveyLink
from storage.models.surveys import SurveyParticipation
from storage.models.surveys import SurveyResponse

__all__ = [
    "WindowRating",
    "UTCDateTime",
    "JSONType",
    "Model",
    "Citizen",
    "InboundRecord",
    "DeadLetter",
    "Dialog",
    "CaseCounter",
    "Case",
    "ReporterContact",
    "CaseEvent",
    "AuditUnlock",
    "CaseMessage",
    "Evidence",
    "Assignment",
    "OutboxMessage",
    "AccessToken",
    "JobRun",
    "ReminderStep",
    "ApiKey",
    "Open311Request",
    "SupervisorBinding",
    "BindFailure",
    "StaffAccount",
    "LoginFailure",
    "StaffEvent",
    "Correction",
    "StaffSession",
    "RevealRequest",
    "CaseRequest",
    "CalendarDay",
    "CalendarImport",
    "CaseFinding",
    "AccountabilityRecord",
    "DigestIssue",
    "DossierEntry",
    "Bulletin",
    "Survey",
    "SurveyInvitation",
    "SurveyParticipation",
    "SurveyResponse",
    "SurveyLink",
    "QrScan",
    "RatingAppeal",
    "Inspection",
    "InspectionPhoto",
    "ServiceVolume",
    "RankingMonth",
]
