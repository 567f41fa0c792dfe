"""Who may create an account from the sign-up page, by the school's policy.

Open: anyone. Invite: whoever types the school's invite code (compared in constant time,
so response times do not spell it out). Email domain: addresses at the school's domain.
Closed: nobody; the school's staff create accounts.
"""

from __future__ import annotations

import hmac

from portal.models import School, SignupPolicy


class SignupClosed(Exception):
    """The school creates its accounts itself."""


class SignupRefused(Exception):
    """This sign-up does not meet the policy; `field` is the form field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def signup_policy(school: School) -> SignupPolicy:
    """The school's policy; an unknown stored value counts as closed, the safe side."""
    try:
        return SignupPolicy(school.signup_policy)
    except ValueError:
        return SignupPolicy.CLOSED


def check_signup(school: School, email: str, invite_code: str | None) -> None:
    """Raise SignupClosed or SignupRefused unless the policy lets this sign-up through."""
    policy = signup_policy(school)
    if policy is SignupPolicy.CLOSED:
        raise SignupClosed()
    if policy is SignupPolicy.INVITE:
        expected = (school.signup_invite_code or "").encode()
        given = (invite_code or "").strip().encode()
        # An invite policy without a code lets nobody in, rather than everybody.
        if not expected or not hmac.compare_digest(given, expected):
            raise SignupRefused("invite_code", "This invite code is not valid here.")
    if policy is SignupPolicy.EMAIL_DOMAIN:
        domain = (school.signup_email_domain or "").lower()
        if not domain:
            raise SignupRefused("email", "Sign-up is not set up here yet: ask the school's staff.")
        if not email.strip().lower().endswith("@" + domain):
            raise SignupRefused("email", f"Sign up with your address ending in @{domain}.")
