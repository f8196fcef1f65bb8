"""The devices each account has signed in from: kept beyond the session records, which are
purged once their sessions end."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, UniqueConstraint

from ..core.schema import ConsoleModel, user_key


class KnownDevice(ConsoleModel):
    """A (browser family + system family, network) an account signed in from.

    `fingerprint` is "Firefox|Windows" (no versions: an update is the same device);
    `network` is the /24 of an IPv4 address or the /48 of an IPv6 one ("" when unknown).
    `notified_at` is when the account holder was last told about a sign-in from it.
    """

    __tablename__ = "known_device"
    __table_args__ = (UniqueConstraint("user_id", "fingerprint", "network"),)

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, nullable=False, info=user_key("CASCADE"))
    fingerprint = Column(String(128), nullable=False)
    network = Column(String(64), nullable=False)
    first_seen_at = Column(DateTime, nullable=False)
    last_seen_at = Column(DateTime, nullable=False)
    notified_at = Column(DateTime, nullable=True)


# The purge looks for rows unused since the window began.
Index("ix_known_device_last_seen_at", KnownDevice.last_seen_at)
