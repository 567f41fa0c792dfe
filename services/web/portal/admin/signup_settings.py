"""Changing a school's sign-up policy and its invite code or email domain."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from portal.audit import record_action
from portal.models import School, SignupPolicy, User

DOMAIN_SHAPE = re.compile(r"^(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MIN_INVITE_CODE = 6


class SignupSettingsRefused(Exception):
    """The policy cannot be set like this; `field` is the form field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def set_signup_policy(
    session: Session,
    school: School,
    actor: User,
    policy: str,
    invite_code: str = "",
    email_domain: str = "",
) -> None:
    """Store the policy with what it needs; audited (never with the code) and committed."""
    try:
        chosen = SignupPolicy(policy)
    except ValueError:
        raise SignupSettingsRefused("policy", "Choose one of the policies.") from None
    invite_code = invite_code.strip()
    email_domain = email_domain.strip().lower().lstrip("@")
    if chosen is SignupPolicy.INVITE and not MIN_INVITE_CODE <= len(invite_code) <= 100:
        raise SignupSettingsRefused(
            "invite_code", f"An invite code is {MIN_INVITE_CODE} to 100 characters."
        )
    if chosen is SignupPolicy.EMAIL_DOMAIN and not DOMAIN_SHAPE.match(email_domain):
        raise SignupSettingsRefused("email_domain", "Give a domain such as school.example.edu.")
    previous = school.signup_policy
    school.signup_policy = chosen.value
    if chosen is SignupPolicy.INVITE:
        school.signup_invite_code = invite_code
    if chosen is SignupPolicy.EMAIL_DOMAIN:
        school.signup_email_domain = email_domain
    detail = {"old": previous, "new": chosen.value}
    if chosen is SignupPolicy.EMAIL_DOMAIN:
        detail["domain"] = email_domain
    record_action(
        session, school, actor, "school.signup_policy_changed", f"school:{school.id}", **detail
    )
    session.commit()
