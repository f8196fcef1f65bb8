"""Dates put into words, the one way for pages, lists, mails, exports and date filters.

People read dates in their own zone and language: the saved `timezone`/`locale` of the
viewer (for a mail, of its recipient), else the console's default. Exports are for
machines and stay ISO 8601 in UTC with a "Z" (e.g. "2026-12-02T13:05:00Z"), whoever asks.
Stored datetimes are naive UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from typing import Any

import pytz
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_skeleton
from flask import Flask, has_request_context
from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l

from ..settings import setting

# The contexts, each with one form: a detail page or a mail names the zone; a list cell is
# short and never wraps; an export is the machine format.
DETAIL = "detail"
LIST = "list"
EXPORT = "export"

# The format names templates have always passed, mapped onto the contexts.
_CONTEXTS = {"short": LIST, "medium": DETAIL, "long": DETAIL, "full": DETAIL}

_NO_BREAK = "\u00a0"

# Set while a mail is rendered: its dates are in the recipient's zone, not the sender's.
_reader: ContextVar[Any] = ContextVar("console_date_reader", default=None)


def zone_of(user: Any = None) -> Any:
    """The zone `user` saved, else the console's default (pytz, which Babel resolves)."""
    saved = getattr(user, "timezone", None)
    name = saved if saved and saved in pytz.all_timezones_set else None
    return pytz.timezone(name or setting("CONSOLE_DEFAULT_TIMEZONE"))


@contextmanager
def read_by(user: Any) -> Iterator[None]:
    """Within the block, dates are formatted in `user`'s zone (a mail to `user`)."""
    token = _reader.set(zone_of(user))
    try:
        yield
    finally:
        _reader.reset(token)


def _viewer_zone() -> Any:
    if _reader.get() is not None:
        return _reader.get()
    # A job or the CLI has no viewer: the console's default zone.
    return get_timezone() if has_request_context() else zone_of(None)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _zone_name(local: datetime, zone: Any, locale: Any) -> str:
    named = babel_format_datetime(local, "z", tzinfo=zone, locale=locale)
    if named[:1] not in "+-":
        return named
    # Where the language has no short name for the zone, the zone's own abbreviation.
    abbreviation = local.tzname() or ""
    if abbreviation and abbreviation[:1] not in "+-":
        return abbreviation
    return "UTC" + named if named != "+0000" else "UTC"


def format_instant(
    value: datetime | None,
    context: str = DETAIL,
    *,
    zone: Any = None,
    locale: Any = None,
    now: datetime | None = None,
) -> str:
    """`value` (naive UTC) in the form of `context`, in `zone` and `locale` (the viewer's
    by default)."""
    if value is None:
        return ""
    moment = _utc(value)
    if context == EXPORT:
        return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    zone = zone or _viewer_zone()
    locale = locale or get_locale()
    local = moment.astimezone(zone)
    if context == LIST:
        today = _utc(now or datetime.now(UTC)).astimezone(zone)
        if local.year == today.year:
            day = format_skeleton("MMMd", local, tzinfo=zone, locale=locale)
            clock = format_skeleton("Hm", local, tzinfo=zone, locale=locale)
            text = f"{day}, {clock}"
        else:
            text = format_skeleton("yMMMd", local, tzinfo=zone, locale=locale)
        return text.replace(" ", _NO_BREAK).replace("\u202f", _NO_BREAK)
    day = babel_format_date(local, "medium", locale=locale)
    clock = format_skeleton("Hm", local, tzinfo=zone, locale=locale)
    return f"{day}, {clock} {_zone_name(local, zone, locale)}"


def format_day(value: date | datetime | None, *, zone: Any = None, locale: Any = None) -> str:
    """A calendar day (an instant is first moved into the zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _utc(value).astimezone(zone or _viewer_zone()).date()
    return babel_format_date(value, "medium", locale=locale or get_locale())


def iso_utc(value: datetime | None, *, precise: bool = False) -> str:
    """The export form: ISO 8601 in UTC with a "Z", to the second (to the microsecond when
    `precise`, for values a reader must match exactly, like the audit chain's); "" for none."""
    if value is None or not precise:
        return format_instant(value, EXPORT)
    return _utc(value).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def datetime_filter(value: datetime | None, format: str = "medium") -> str:
    """The `datetimeformat` filter: "short" is the list form, anything else the detail form."""
    return format_instant(value, _CONTEXTS.get(format, DETAIL))


def date_filter(value: date | datetime | None, format: str = "medium") -> str:
    """The `dateformat` filter: one day, in the viewer's zone."""
    return format_day(value)


def init_app(app: Flask) -> None:
    """Make the templates' `datetimeformat` and `dateformat` filters these formats."""
    app.add_template_filter(datetime_filter, "datetimeformat")
    app.add_template_filter(date_filter, "dateformat")


# Every date filter is an <input type="date">, which sends YYYY-MM-DD (or nothing).
BAD_DAY = _l("Enter a date as YYYY-MM-DD.")


def day_start(day: date) -> datetime:
    """The first instant of `day` in the viewer's zone, as naive UTC (what is stored)."""
    zone = _viewer_zone()
    midnight = datetime.combine(day, time())
    local = zone.localize(midnight) if hasattr(zone, "localize") else midnight.replace(tzinfo=zone)
    return local.astimezone(UTC).replace(tzinfo=None)


def parse_day(value: str | None) -> date | None:
    """A date filter's value: None when empty; ValueError when it is not YYYY-MM-DD."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) != 10:
        raise ValueError(value)
    return date.fromisoformat(value)
