"""Example applications that use the Security Console."""
