"""Benchmarks: seed a database with N users, serve it with gunicorn, measure every page."""
