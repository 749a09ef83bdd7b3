"""Calls API, one module per sub-domain: `calls` (calls and their ranking), `applications`
(drafts, submission, withdrawal), `reviews` (declarations of interest, scores), `decisions`
(accept, refuse), `manage` (a call's draft, lots, criteria, publication, closing,
deliberation); `outputs` holds what they answer.

Reads go through the permission querysets of calls.selectors, so what a user may not see is a
404; the services' ValidationError is a 400 naming the field; a refused status change is a 409.
The views are re-exported here for `api/urls.py`.
"""

from api.calls.applications import (
    ApplicationDetailApi,
    ApplicationListCreateApi,
    ApplicationSubmitApi,
    ApplicationWithdrawApi,
)
from api.calls.calls import CallDetailApi, CallListApi, CallRankingApi
from api.calls.decisions import ApplicationAcceptApi, ApplicationRefuseApi
from api.calls.manage import (
    CallCloseApi,
    CallCriteriaApi,
    CallDecideApi,
    CallLotsApi,
    CallPublishApi,
    CriterionDetailApi,
    LotDetailApi,
)
from api.calls.reviews import ApplicationScoresApi, CallDeclarationApi

__all__ = [
    "ApplicationAcceptApi",
    "ApplicationDetailApi",
    "ApplicationListCreateApi",
    "ApplicationRefuseApi",
    "ApplicationScoresApi",
    "ApplicationSubmitApi",
    "ApplicationWithdrawApi",
    "CallCloseApi",
    "CallCriteriaApi",
    "CallDecideApi",
    "CallDeclarationApi",
    "CallDetailApi",
    "CallListApi",
    "CallLotsApi",
    "CallPublishApi",
    "CallRankingApi",
    "CriterionDetailApi",
    "LotDetailApi",
]
