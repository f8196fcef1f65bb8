"""Security headers: a strict Content-Security-Policy with a per-request nonce, and friends."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request


def _nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    """No inline script or style: scripts load from this origin or carry the nonce."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_app(app: Flask, prefix: str) -> None:
    """Add the headers to every console response (in extension mode, only under `prefix`)."""

    @app.before_request
    def _make_nonce() -> None:
        _nonce()

    @app.context_processor
    def _nonce_in_templates() -> dict:
        return {"csp_nonce": _nonce}

    @app.after_request
    def _security_headers(response: Response) -> Response:
        if prefix and not request.path.startswith(prefix):
            return response
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(_nonce()))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault(
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        )
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
