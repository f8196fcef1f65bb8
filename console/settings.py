"""The console's own configuration: one defaults table, read with a strict lookup."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, current_app

# Every key the console reads. Features add theirs here so that a typo is an error,
# not a silent default.
DEFAULTS: dict[str, Any] = {
    # Deployment
    "CONSOLE_ENV": "development",
    "CONSOLE_DEV_SECRET": "dev-only-insecure-secret-key",
    "CONSOLE_SITE_NAME": "Security Console",
    "CONSOLE_URL_PREFIX": "",
    "CONSOLE_ADMIN_URL": "/admin",
    "CONSOLE_PROXY_FIX": 0,
    "CONSOLE_DB_STATEMENT_TIMEOUT_MS": 5000,
    "CONSOLE_DB_POOL_TIMEOUT": 5,
    "CONSOLE_DB_POOL_SIZE": 10,
    "CONSOLE_DB_MAX_OVERFLOW": 30,
    "CONSOLE_DB_SQLITE_BUSY_TIMEOUT": 20,
    # Mail
    "CONSOLE_MAIL_OUTBOX": True,
    # Lists
    "CONSOLE_PAGE_SIZE": 50,
    "CONSOLE_PAGE_SIZE_MAX": 200,
    # Sessions
    "CONSOLE_SESSION_IDLE_TIMEOUT": timedelta(hours=8),
    "CONSOLE_SESSION_ABSOLUTE_TIMEOUT": timedelta(days=14),
    "CONSOLE_SESSION_TOUCH_INTERVAL": timedelta(minutes=1),
    # Share of requests that purge a small batch of dead session records after responding.
    "CONSOLE_SESSION_PURGE_PROBABILITY": 0.002,
    # Abuse resistance
    "CONSOLE_LOCKOUT_THRESHOLD": 5,
    "CONSOLE_LOCKOUT_BASE_WAIT": timedelta(minutes=1),
    "CONSOLE_LOCKOUT_MAX_WAIT": timedelta(hours=1),
    # Refusals of a locked account: the first of each interval is an audit event, the rest
    # are counted into one event at its end (zero: one event per refusal).
    "CONSOLE_LOCKOUT_REFUSAL_INTERVAL": timedelta(seconds=10),
    "CONSOLE_RATELIMIT_CREDENTIALS": "20 per minute",
    "CONSOLE_RATELIMIT_MAIL": "5 per minute",
    # Operator actions that send mail (invitations, password resets): per operator and address.
    "CONSOLE_RATELIMIT_OPERATOR_MAIL": "60 per minute",
    # Cookie names with the __Host- prefix (Secure, Path=/, no Domain): None means on in
    # production when the cookies are host-wide (no SESSION_COOKIE_DOMAIN).
    "CONSOLE_COOKIE_HOST_PREFIX": None,
    # Origins besides the console's own whose pages may post to it ("https://app.example"):
    # a host serving the console's forms from another public origin lists it here.
    "CONSOLE_TRUSTED_ORIGINS": [],
    # Audit
    "CONSOLE_AUDIT_RETENTION": timedelta(days=365),
    # Every committed audit event also written as one JSON line (the webhook payload) to
    # the logger console.audit.stream, at INFO.
    "CONSOLE_AUDIT_LOG_STREAM": False,
    # Keys of the audit chain's HMAC links, by id ({"k2": "a long secret"}); "k1" is derived
    # from SECRET_KEY unless listed here. New events, checkpoints and purge anchors use
    # CONSOLE_AUDIT_KEY_ID; older ones verify with the id they recorded, so keep old keys.
    "CONSOLE_AUDIT_KEYS": {},
    "CONSOLE_AUDIT_KEY_ID": "k1",
    # A JSON Lines file outside the database where the workers append a signed checkpoint of
    # the chain every 15 minutes (None: only the logger console.audit.checkpoint gets them).
    "CONSOLE_AUDIT_CHECKPOINT_FILE": None,
    # Webhooks (console.webhooks): endpoints on private, loopback or link-local addresses
    # are refused unless this is on (a receiver inside the same network); seconds one
    # delivery may take; delivered records are purged after this long.
    "CONSOLE_WEBHOOKS_ALLOW_PRIVATE": False,
    "CONSOLE_WEBHOOKS_TIMEOUT": 5,
    "CONSOLE_WEBHOOKS_RETENTION": timedelta(days=30),
    # Dashboard
    "CONSOLE_DORMANT_DAYS": 90,
    # Age at which the dashboard's snapshot of figures is recomputed after a view.
    "CONSOLE_DASHBOARD_REFRESH": timedelta(minutes=5),
    # MFA: operators re-authenticate within this window; break-glass codes live this long
    "CONSOLE_MFA_REAUTH_WITHIN": timedelta(minutes=5),
    "CONSOLE_MFA_BREAKGLASS_TTL": timedelta(minutes=30),
    # Impersonation (console.impersonation): an operator's session as another user ends after
    # this long, on the next request; the account holder is told by mail when it starts.
    "CONSOLE_IMPERSONATION_MAX_AGE": timedelta(minutes=15),
    "CONSOLE_IMPERSONATION_NOTIFY": True,
    # API: personal access tokens live at most this long (the creation form's choices)
    "CONSOLE_API_TOKEN_MAX_LIFETIME": timedelta(days=365),
    # API requests per token (or signed-in user, or address before either is known)
    "CONSOLE_RATELIMIT_API": "600 per minute",
    # Background jobs (console.jobs, on Huey): Redis when set (REDIS_URL sets it too), else
    # a SQLite file ("" for one next to a SQLite database, or in the instance folder).
    "CONSOLE_JOBS_REDIS_URL": None,
    "CONSOLE_JOBS_SQLITE_PATH": "",
    # The queue's name in its storage: consoles sharing one Redis each take their own.
    "CONSOLE_JOBS_QUEUE_NAME": "security-console",
    # Run each job in the process that starts it, before the request answers (tests and
    # scripts; a web server would wait for the whole job).
    "CONSOLE_JOBS_IMMEDIATE": False,
    # Items per batch: each batch and its progress commit together.
    "CONSOLE_JOBS_BATCH_SIZE": 200,
    # Threads of `flask console worker` (its --workers option overrides it).
    "CONSOLE_JOBS_WORKERS": 2,
    # A running job whose worker has not reported for this long was interrupted: the
    # workers' periodic check resumes it from its last committed batch.
    "CONSOLE_JOBS_STALE_AFTER": timedelta(minutes=5),
    # Finished jobs and their reports are purged after this long.
    "CONSOLE_JOBS_RETENTION": timedelta(days=90),
    # CSV import of user accounts (console.imports): the largest upload, in bytes, and in
    # data rows; an upload is kept in the database this long (an applied one's rows are
    # dropped when its job finishes).
    "CONSOLE_IMPORT_MAX_BYTES": 50 * 1024 * 1024,
    "CONSOLE_IMPORT_MAX_ROWS": 200_000,
    "CONSOLE_IMPORT_RETENTION": timedelta(days=7),
    # A file of at most this many rows is checked within the upload's request; a larger one
    # by a background job, whose progress the preview page shows.
    "CONSOLE_IMPORT_PREVIEW_INLINE_ROWS": 5_000,
    # Sign-in with identity providers (console.identity), through Flask-Security's OAuth
    # support: a list of providers, each a mapping with "name" (in URLs and stored with each
    # link: keep it stable), "label", "client_id", "client_secret", and "discovery_url" (any
    # OpenID Connect provider) or "kind" "google"/"github"; optionally "scopes", the three
    # policies below for that provider alone, and "trust_email" (an OpenID Connect provider
    # that leaves out email_verified but only gives addresses it controls).
    "CONSOLE_OIDC_PROVIDERS": [],
    # A first sign-in whose provider vouches for the address (email_verified) is linked to the
    # account with that address (a confirmed one, or an invitation not yet accepted).
    "CONSOLE_OIDC_MATCH_EMAIL": True,
    # A first sign-in that matches no account creates one (no password, address confirmed).
    "CONSOLE_OIDC_CREATE_ACCOUNTS": False,
    # A provider's sign-in counts as multi-factor: no second factor is asked and no require-MFA
    # role makes the account enrol one. Off: the console's second factor still applies.
    "CONSOLE_OIDC_SATISFIES_MFA": False,
    # SCIM 2.0 provisioning (console.scim): what DELETE /Users/{id} does, "deactivate" (the
    # account stays, deactivated, and SCIM no longer shows it) or "delete" (removed for good)
    "CONSOLE_SCIM_DELETE": "deactivate",
    # Accounts a provider creates are mailed an invitation to set their password.
    "CONSOLE_SCIM_INVITE": True,
    # Resources per list page when the provider asks for none, and the most it may ask for.
    "CONSOLE_SCIM_PAGE_SIZE": 100,
    "CONSOLE_SCIM_PAGE_SIZE_MAX": 200,
    # A group (role) lists its members only up to this many; beyond, ask with
    # excludedAttributes=members and filter /Users instead.
    "CONSOLE_SCIM_GROUP_MEMBERS_MAX": 1000,
    # Enterprise extension attributes -> the host's declared user fields that hold them
    # (console.core.user_fields); only attributes whose field is declared are published.
    "CONSOLE_SCIM_ENTERPRISE_FIELDS": {
        "employeeNumber": "employee_number",
        "costCenter": "cost_center",
        "organization": "organization",
        "division": "division",
        "department": "department",
    },
    # New-device sign-in notice (console.account.new_device): a sign-in from a browser and
    # network (/24 of IPv4, /48 of IPv6) the account has not used within the window mails
    # the account holder, at most once per interval; the "this wasn't me" link works this long.
    "CONSOLE_NEW_DEVICE_NOTICE": True,
    "CONSOLE_NEW_DEVICE_WINDOW": timedelta(days=90),
    "CONSOLE_NEW_DEVICE_NOTICE_INTERVAL": timedelta(hours=1),
    "CONSOLE_NEW_DEVICE_LINK_WITHIN": timedelta(days=7),
    # A MaxMind .mmdb file (GeoLite2/GeoIP2 City or Country) naming the approximate place of
    # a sign-in; read with the `maxminddb` package when it is installed ("": no place).
    "CONSOLE_GEOIP_DATABASE": "",
    # Breached passwords (console.account.passwords): every new password is looked up by the
    # first 5 characters of its SHA-1 in a Pwned Passwords range API. None means on in
    # production only, so a development server and the tests never reach the internet.
    "CONSOLE_BREACHED_PASSWORDS": None,
    "CONSOLE_BREACHED_PASSWORDS_URL": "https://api.pwnedpasswords.com/range/",
    # When the API cannot be reached: "open" accepts the password (length and strength still
    # apply), "closed" refuses it until the API answers.
    "CONSOLE_BREACHED_PASSWORDS_FAIL": "open",
    # Seconds to wait for the API's answer.
    "CONSOLE_BREACHED_PASSWORDS_TIMEOUT": 3.0,
    # Leaving (console.privacy): whether account holders may delete their own account, "off",
    # "immediate" or "grace" (deletion is scheduled, and signing in before the grace period
    # ends cancels it); the workers complete scheduled deletions whose grace period ended.
    "CONSOLE_ACCOUNT_DELETION": "grace",
    "CONSOLE_ACCOUNT_DELETION_GRACE": timedelta(days=14),
    # Languages
    "CONSOLE_LANGUAGES": ("en", "de", "fr", "es", "ja"),
    "CONSOLE_DEFAULT_TIMEZONE": "UTC",
}


def init_app(app: Flask) -> None:
    """Fill in every console default the application did not set; templates read them
    through console_setting()."""
    for key, value in DEFAULTS.items():
        # A list of its own per app: appending to one app's must not change the table.
        app.config.setdefault(key, list(value) if isinstance(value, list) else value)
    app.add_template_global(setting, "console_setting")


def setting(name: str, config: Mapping[str, Any] | None = None) -> Any:
    """Return the console setting `name`, spelled as in DEFAULTS ("CONSOLE_PAGE_SIZE"), from
    `config` (before an application context exists) or the current app's; an unknown
    name is a programming error."""
    if name not in DEFAULTS:
        raise KeyError(f"unknown console setting {name!r}: use a key of console.settings.DEFAULTS")
    return (current_app.config if config is None else config)[name]
