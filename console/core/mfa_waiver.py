"""A sign-in that already counts as multi-factor: when the policy trusts an identity
provider's sign-in that far, Flask-Security asks no second factor of it (the user model's
`check_tf_required`, console.mixins) and no require-MFA role holds it for enrolment.

The waiver lives in the request that signs in, and names one account.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context

_WAIVED = "console_mfa_waived"


def waive(user: Any) -> None:
    """This request's sign-in of `user` counts as multi-factor."""
    setattr(g, _WAIVED, user.id)


def waived(user: Any) -> bool:
    """True when this request's sign-in of `user` counts as multi-factor."""
    return has_request_context() and g.get(_WAIVED) is not None and g.get(_WAIVED) == user.id
