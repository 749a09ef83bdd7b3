"""Signed links that prove a person holds an e-mail address: the sign-up confirmation and the
change of address. Stateless (django.core.signing, keyed by SECRET_KEY): nothing is stored; a
link names the account and the address(es) it was made for, so it stops working once the
account's address is confirmed or changes (accounts.selectors reads them back).

Password reset links are Django's own (`default_token_generator`, PASSWORD_RESET_TIMEOUT).
"""

from datetime import timedelta

from django.core import signing

EMAIL_CONFIRM_SALT = "accounts.email-confirm"
EMAIL_CHANGE_SALT = "accounts.email-change"
# What the e-mails say ("valid for 3 days"): the French and English templates repeat it.
EMAIL_LINK_MAX_AGE = timedelta(days=3)


def email_confirmation_token(*, user_id: int, email: str, next_url: str = "") -> str:
    """The token of the link that confirms `email` for account `user_id` at sign-up; `next_url`
    (a path of the site, e.g. an invitation) is where the person goes once confirmed."""
    payload = {"u": user_id, "e": email}
    if next_url:
        payload["n"] = next_url
    return signing.dumps(payload, salt=EMAIL_CONFIRM_SALT, compress=True)


def email_change_token(*, user_id: int, old_email: str, new_email: str) -> str:
    """The token of the link, sent to `new_email`, that moves account `user_id` from
    `old_email` to it."""
    return signing.dumps(
        {"u": user_id, "o": old_email, "n": new_email}, salt=EMAIL_CHANGE_SALT, compress=True
    )
