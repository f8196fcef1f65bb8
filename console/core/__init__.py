"""Shared machinery for every feature: it imports no feature."""
