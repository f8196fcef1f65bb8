"""Recovery codes: Flask-Security's codes, spent atomically, with signals for the console,
and its page in the console's terms."""
