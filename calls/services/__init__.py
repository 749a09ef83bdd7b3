"""Writes on calls for applications, one module per sub-domain:

- `calls`: a call's draft (terms, lots, criteria grid), publication, closing, deliberation;
- `applications`: an application's draft, submission, withdrawal, and its status changes;
- `reviews`: reviewers' assignments, declarations of (no) conflict of interest, scores;
- `decisions`: accepting an application for a lot, refusing it with reasons, offering the
  occupancy agreement;
- `waiting`: the waiting list of structures without premises;
- `comments`: messages between the applicant structure and the people who decide.

The public names are re-exported here: `from calls.services import call_publish` works.
"""

from calls.services.applications import (
    application_create,
    application_start,
    application_submit,
    application_update,
    application_withdraw,
)
from calls.services.calls import (
    call_close,
    call_create,
    call_decide,
    call_publish,
    call_update,
    calls_close_past_deadline,
    criteria_set,
    criterion_add,
    criterion_delete,
    criterion_update,
    lot_add,
    lot_delete,
)
from calls.services.comments import application_comment_post
from calls.services.decisions import (
    application_accept,
    application_offer_agreement,
    application_refuse,
)
from calls.services.reviews import reviewer_assign, reviewer_declare, score_record, scores_record
from calls.services.waiting import waiting_entry_close, waiting_entry_register

__all__ = [
    "application_accept",
    "application_comment_post",
    "application_create",
    "application_offer_agreement",
    "application_refuse",
    "application_start",
    "application_submit",
    "application_update",
    "application_withdraw",
    "call_close",
    "call_create",
    "call_decide",
    "call_publish",
    "call_update",
    "calls_close_past_deadline",
    "criteria_set",
    "criterion_add",
    "criterion_delete",
    "criterion_update",
    "lot_add",
    "lot_delete",
    "reviewer_assign",
    "reviewer_declare",
    "score_record",
    "scores_record",
    "waiting_entry_close",
    "waiting_entry_register",
]
