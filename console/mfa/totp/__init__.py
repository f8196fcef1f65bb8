"""Authenticator-app (TOTP) protocol pieces: replay protection and the QR code."""
