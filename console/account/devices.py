"""What identifies a device for the new-device notice (browser and system families, network)
and where a sign-in came from, when a local GeoIP database says so."""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from ua_parser import parse

from ..settings import setting

log = logging.getLogger(__name__)

# Prefix lengths that make one "network": a household, an office, a mobile carrier's pool.
IPV4_PREFIX = 24
IPV6_PREFIX = 48


@lru_cache(maxsize=512)
def fingerprint(user_agent: str | None) -> str:
    """The browser and system families, "Firefox|Windows", without versions (an update is
    the same device); "Other" for what the parser does not recognise."""
    result = parse(user_agent or "")
    browser = result.user_agent.family if result.user_agent is not None else "Other"
    system = result.os.family if result.os is not None else "Other"
    return f"{browser}|{system}"[:128]


def describe(fingerprint: str) -> str:
    """The fingerprint "Firefox|Windows" in words: "Firefox on Windows"."""
    browser, _, system = fingerprint.partition("|")
    known = [part for part in (browser, system) if part and part != "Other"]
    if len(known) == 2:
        return str(_l("%(browser)s on %(system)s", browser=browser, system=system))
    return known[0] if known else str(_l("Unknown device"))


def network(ip: str | None) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of `ip`; "" when there is no usable address."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


# --- the approximate place -----------------------------------------------------------------


@lru_cache(maxsize=4)
def _reader(path: str) -> Any:
    """An open MaxMind database, or None without the `maxminddb` package or a readable file."""
    try:
        import maxminddb
    except ImportError:
        log.warning("CONSOLE_GEOIP_DATABASE is set but the maxminddb package is not installed")
        return None
    try:
        return maxminddb.open_database(path)
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as error:
        log.warning("cannot read the GeoIP database %s: %s", path, error)
        return None


def locate(ip: str | None) -> dict[str, Any] | None:
    """The GeoIP record of `ip` (its city and country names by language), or None when no
    database is configured or it does not know the address."""
    path = setting("CONSOLE_GEOIP_DATABASE")
    if not path or not ip:
        return None
    reader = _reader(path)
    if reader is None:
        return None
    try:
        record = reader.get(ip)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    names = {
        key: (record.get(key) or {}).get("names") or {}
        for key in ("city", "country", "registered_country")
    }
    return names if names["city"] or names["country"] or names["registered_country"] else None


def _name(names: dict[str, str], language: str) -> str:
    return names.get(language) or names.get(language.split("_")[0]) or names.get("en") or ""


def place_name(record: dict[str, Any] | None) -> str:
    """The place of a GeoIP record, "Lyon, France", in the current language (English where
    the database has no name in it); "" for none. Called while a mail is rendered, so in
    its recipient's language."""
    if not record:
        return ""
    language = str(get_locale() or "en")
    city = _name(record.get("city") or {}, language)
    country = _name(record.get("country") or record.get("registered_country") or {}, language)
    return ", ".join(part for part in (city, country) if part)
