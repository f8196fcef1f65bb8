"""What SCIM knows beyond the console's own columns: a provider's id for an account or a
role, the parts of an account's name, and whether the provider deleted the account."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String

from ..core.schema import ConsoleModel, role_key, user_key


class ScimUserLink(ConsoleModel):
    """One row per account a provider named something the console does not store itself.

    `external_id` is the provider's identifier (SCIM externalId). `given_name` and
    `family_name` are the parts the provider sent; the console keeps one display name on
    the account. `deleted_at` is set when the provider deleted an account that the console
    keeps deactivated (CONSOLE_SCIM_DELETE="deactivate"): SCIM answers 404 for it from then
    on, as RFC 7644 §3.6 asks.
    """

    __tablename__ = "scim_user"

    user_id = Column(Integer, primary_key=True, autoincrement=False, info=user_key("CASCADE"))
    external_id = Column(String(255), nullable=True, index=True)
    given_name = Column(String(255), nullable=True)
    family_name = Column(String(255), nullable=True)
    deleted_at = Column(DateTime, nullable=True)


class ScimGroupLink(ConsoleModel):
    """The provider's identifier (SCIM externalId) of a role it provisions."""

    __tablename__ = "scim_group"

    role_id = Column(Integer, primary_key=True, autoincrement=False, info=role_key("CASCADE"))
    external_id = Column(String(255), nullable=True, index=True)
