"""Account deletions asked for by their holders: scheduled, then completed."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer

from ..core.schema import ConsoleModel, user_key


class AccountDeletion(ConsoleModel):
    """One row per account whose holder asked for its deletion.

    While `completed_at` is empty the deletion waits for `due_at` (the end of the grace
    period), and signing in removes the row. Once completed, the row marks the account as
    a tombstone: the user row stays, with its id and without its personal data, so that
    audit events still refer to it; the row goes with the user row if an operator later
    deletes that for good.
    """

    __tablename__ = "account_deletion"

    user_id = Column(Integer, primary_key=True, autoincrement=False, info=user_key("CASCADE"))
    requested_at = Column(DateTime, nullable=False)
    due_at = Column(DateTime, nullable=False)
    completed_at = Column(DateTime, nullable=True)


# The workers' periodic completion looks for deletions whose grace period ended.
Index("ix_account_deletion_due_at", AccountDeletion.due_at)
