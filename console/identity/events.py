"""The audit actions of identity providers: links made and undone, accounts a provider's
first sign-in created, and provider sign-ins refused."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "identity.linked",
        _l("Sign-in provider linked"),
        _l(
            "An account of an identity provider was linked to the account, from its security "
            "page or at a first sign-in with a matching verified address."
        ),
        "account",
        notice=_l("You can now sign in to your account with %(provider)s."),
        notice_subject=_l("A sign-in provider was linked to your account"),
    ),
    Action(
        "identity.unlinked",
        _l("Sign-in provider unlinked"),
        _l("The account holder unlinked an identity provider from their account."),
        "account",
        notice=_l("%(provider)s can no longer be used to sign in to your account."),
        notice_subject=_l("A sign-in provider was unlinked from your account"),
    ),
    Action(
        "identity.removed",
        _l("Sign-in provider removed by an operator"),
        _l("An operator removed an identity provider's link to the account."),
        "admin",
        notice=_l("%(provider)s can no longer be used to sign in to your account."),
    ),
    Action(
        "identity.account_created",
        _l("Account created at a provider sign-in"),
        _l("A first sign-in with an identity provider created the account."),
        "account",
    ),
    Action(
        "identity.refused",
        _l("Provider sign-in refused"),
        _l(
            "A sign-in with an identity provider matched no linked account and the policy "
            "allowed neither linking nor creating one."
        ),
        "failure",
    ),
)
