"""What the console keeps per application, and where its packaged resources live."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def resource_dir(name: str) -> Path:
    """templates/, static/, translations/ or migrations/: inside the wheel, or the repo's."""
    packaged = PACKAGE_DIR / name
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / name


@dataclass
class ConsoleState:
    """What the console keeps per application (app.extensions["console"])."""

    url_prefix: str
    admin: Any = None
    security: Any = None
    # The SQLAlchemy object and account models in use (console.core.models.Models).
    models: Any = None
    nav: list = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    # Callables run by `flask console demo` after the people exist (sessions, events...).
    demo_seeders: list = field(default_factory=list)
    # Sections of the operator's user detail page contributed by features (sessions, MFA,
    # activity): Section objects from console.core.sections.
    user_sections: list = field(default_factory=list)
    # Sections of the end user's security center contributed by features.
    account_sections: list = field(default_factory=list)
    # Second factors and fallbacks (console.core.factors.Factor), registered by features.
    factors: list = field(default_factory=list)
    # Link builders by kind ("user", "role", ...): console.core.links.
    links: dict = field(default_factory=dict)
    # Before-request gates (a required password change, MFA enrolment): console.core.gates.
    gates: list = field(default_factory=list)
    # Restrictions of a session (an operator impersonating the account) and the account
    # holder's own security-sensitive endpoints they refuse: console.core.gates.
    restrictions: list = field(default_factory=list)
    sensitive: set = field(default_factory=set)
    # Rate-limited endpoints and their kind of limit: console.core.ratelimit.
    rate_limits: dict = field(default_factory=dict)
    # The host application's own permissions by name, in declaration order
    # (console.core.permissions.declare_permissions).
    permissions: dict = field(default_factory=dict)
    # Columns of the host's user model operators may edit, and their lengths
    # (console.core.user_fields.declare_user_fields).
    user_fields: dict = field(default_factory=dict)
    user_field_lengths: dict[str, int] = field(default_factory=dict)
    # URL path prefixes whose errors are problem details (console.core.problems).
    api_paths: list[str] = field(default_factory=list)
    # Kinds of background job by key (console.core.jobs), and the queue that runs them
    # (console.jobs.queue.JobQueue).
    job_kinds: dict = field(default_factory=dict)
    jobs: Any = None
    # Work the job workers do on a schedule, by key (console.core.jobs.Periodic).
    periodic_jobs: dict = field(default_factory=dict)
    # One-off work handed to the workers (a mail, a dashboard refresh), by key
    # (console.core.jobs.Task).
    tasks: dict = field(default_factory=dict)
    # Personal data each feature keeps about an account, for its export and its erasure
    # (console.core.personal_data.PersonalData).
    personal_data: list = field(default_factory=list)
