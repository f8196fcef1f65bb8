"""A software authenticator for tests: registers and signs like a real one (ES256, fmt none)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = "http://localhost"
APPLE = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"
ONEPASSWORD = "bada5566-a7aa-401f-bd96-45619a55120d"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftKey:
    """One credential on a pretend authenticator."""

    def __init__(self, aaguid: str | None = None) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.aaguid = bytes.fromhex(aaguid.replace("-", "")) if aaguid else bytes(16)
        self.sign_count = 0
        self.user_handle: bytes | None = None

    def cose_public_key(self) -> bytes:
        numbers = self.private.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def register(self, options: dict[str, Any], origin: str = ORIGIN) -> str:
        """The JSON a browser posts after navigator.credentials.create()."""
        self.user_handle = base64.urlsafe_b64decode(options["user"]["id"] + "==")
        client_data = json.dumps(
            {"type": "webauthn.create", "challenge": options["challenge"], "origin": origin}
        ).encode()
        flags = 0x01 | 0x04 | 0x40  # user present, user verified, attested data
        auth_data = (
            hashlib.sha256(options["rp"]["id"].encode()).digest()
            + bytes([flags])
            + self.sign_count.to_bytes(4, "big")
            + self.aaguid
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + self.cose_public_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "response": {
                    "attestationObject": b64url(attestation),
                    "clientDataJSON": b64url(client_data),
                    "transports": ["usb"],
                },
                "extensions": json.dumps({"credProps": {"rk": True}}),
            }
        )

    def assert_(
        self, options: dict[str, Any], origin: str = ORIGIN, user_handle: bytes | None = None
    ) -> str:
        """The JSON a browser posts after navigator.credentials.get()."""
        self.sign_count += 1
        client_data = json.dumps(
            {"type": "webauthn.get", "challenge": options["challenge"], "origin": origin}
        ).encode()
        auth_data = (
            hashlib.sha256(options["rpId"].encode()).digest()
            + bytes([0x01 | 0x04])
            + self.sign_count.to_bytes(4, "big")
        )
        signature = self.private.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        handle = user_handle if user_handle is not None else self.user_handle
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "response": {
                    "authenticatorData": b64url(auth_data),
                    "clientDataJSON": b64url(client_data),
                    "signature": b64url(signature),
                    "userHandle": b64url(handle) if handle else None,
                },
            }
        )
