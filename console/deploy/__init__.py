"""Serving the console in production and under a prefix of another WSGI application."""

from __future__ import annotations

from .mount import console_for_prefix, mount

__all__ = ["console_for_prefix", "mount"]
