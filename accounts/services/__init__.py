"""Writes on users, organisations, memberships, invitations and documents.

One module per concern:

- `users`: accounts (sign-up and its confirmation, passwords, change of address, profile,
  notifications list, unsubscribing);
- `organisations`: structures (registration, details, verification) and their documents;
- `members`: memberships and invitations (roles, removal, leaving: the last-administrator rule);
- `erasure`: erasing an account, or a structure's data (GDPR art. 17);
- `retention`: the retention periods, applied by a daily job.

The public names are re-exported here: `from accounts.services import structure_verify` works.
"""

from accounts.services.erasure import structure_erase, user_erase
from accounts.services.members import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_leave,
    membership_remove,
    membership_role_set,
)
from accounts.services.organisations import (
    document_add,
    document_delete,
    organisation_update,
    structure_register,
    structure_verify,
)
from accounts.services.users import (
    confirmation_resend,
    email_change_confirm,
    email_change_request,
    email_confirm,
    notifications_mark_read,
    password_change,
    password_reset_complete,
    password_reset_request,
    topic_unsubscribe,
    user_profile_update,
    user_signup,
)

__all__ = [
    "confirmation_resend",
    "document_add",
    "document_delete",
    "email_change_confirm",
    "email_change_request",
    "email_confirm",
    "invitation_accept",
    "invitation_create",
    "invitation_revoke",
    "membership_leave",
    "membership_remove",
    "membership_role_set",
    "notifications_mark_read",
    "organisation_update",
    "password_change",
    "password_reset_complete",
    "password_reset_request",
    "structure_erase",
    "structure_register",
    "structure_verify",
    "topic_unsubscribe",
    "user_erase",
    "user_profile_update",
    "user_signup",
]
