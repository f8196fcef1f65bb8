"""Passkeys and security keys on top of Flask-Security's WebAuthn ceremonies."""
