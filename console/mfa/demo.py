"""Demo passkeys and security keys, so the MFA pages have something to show."""

from __future__ import annotations

import os
import random
from datetime import timedelta

from flask_security import naive_utcnow
from sqlalchemy import select

from ..core.models import models
from ..extensions import db

# (name, AAGUID or None, usage, backed up, transports)
DEMO_KEYS = [
    ("Phone", "fbfc3007-154e-4ecc-8c0b-6e020557d7bd", "first", True, ["internal", "hybrid"]),
    ("Password manager", "bada5566-a7aa-401f-bd96-45619a55120d", "first", True, ["internal"]),
    ("Desk key", None, "secondary", False, ["usb", "nfc"]),
    ("Laptop", "08987058-cadc-4b81-b6e1-30de50dcbe96", "first", False, ["internal"]),
]


def seed() -> None:
    """Give some demo people keys, once; the keys are placeholders that cannot sign in."""
    User = models().User
    WebAuthn = models().WebAuthn
    if db.session.scalar(select(WebAuthn.id).limit(1)) is not None:
        return
    rng = random.Random(2027)  # the same demo every time
    now = naive_utcnow()
    people = list(db.session.scalars(select(User).order_by(User.id).limit(60)))
    for index, user in enumerate(people):
        if index % 3:
            continue
        for name, aaguid, usage, backed_up, transports in rng.sample(
            DEMO_KEYS, k=rng.randint(1, 2)
        ):
            created = now - timedelta(days=rng.randint(5, 400))
            db.session.add(
                WebAuthn(
                    user_id=user.id,
                    credential_id=os.urandom(32),
                    public_key=os.urandom(77),
                    sign_count=0,
                    transports=transports,
                    backup_state=backed_up,
                    device_type="multi_device" if backed_up else "single_device",
                    create_datetime=created,
                    lastuse_datetime=created + timedelta(days=rng.randint(0, 4)),
                    name=name,
                    usage=usage,
                    aaguid=aaguid,
                )
            )
    db.session.commit()
