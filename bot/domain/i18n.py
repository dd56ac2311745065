"""Catalog lookup and locale-aware formatting.

Message ids are stable keys such as ``complaint.ask_category``; every key the
code uses is wrapped in `N_` so extraction (and the completeness test) finds
it. Catalogs live in ``locales/<lang>/LC_MESSAGES/messages.po`` and are read
as they are, with Babel, when the translator is built: there is no compile
step, so a checkout, an editable install and a wheel all speak. The package
ships them as ``bot/locales`` (in a checkout a link to the top-level
``locales/``, in a wheel a copy of it). Like gettext's compiled catalogs, an
entry marked fuzzy or left empty is not used: the key stands in for it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.messages.pofile import read_po

LOCALES = ("id", "en")
DOMAIN = "messages"


def N_(key: str) -> str:
    """Mark a catalog key for extraction; returns it unchanged."""
    return key


class CatalogMissingError(RuntimeError):
    pass


def read_catalog(locales_dir: Path, locale: str) -> dict[str, str]:
    """The translated, not fuzzy, messages of one locale's catalog, by key."""
    path = locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        raise CatalogMissingError(f"{path} is missing")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    return {
        message.id: message.string
        for message in catalog
        if isinstance(message.id, str)
        and message.id
        and isinstance(message.string, str)
        and message.string
        and not message.fuzzy
    }


class Translator:
    """Renders catalog keys and dates in any supported locale."""

    def __init__(self, locales_dir: Path, default_locale: str, timezone: str) -> None:
        self.default_locale = default_locale if default_locale in LOCALES else LOCALES[0]
        self.zone = ZoneInfo(timezone)
        self._catalogs = {locale: read_catalog(locales_dir, locale) for locale in LOCALES}

    def supported(self, locale: str | None) -> str:
        return locale if locale in self._catalogs else self.default_locale

    def text(self, locale: str, key: str, **params: object) -> str:
        """The message `key` in `locale`, with `{name}` placeholders filled."""
        message = self._catalogs[self.supported(locale)].get(key, key)
        return message.format(**params) if params else message

    def date(self, locale: str, moment: datetime) -> str:
        """The day of a moment in the unit's time zone, as people of `locale` write it."""
        return format_date(moment.astimezone(self.zone), "medium", locale=self.supported(locale))

    def datetime(self, locale: str, moment: datetime) -> str:
        """A moment in the unit's time zone, as people of `locale` write it."""
        local = moment.astimezone(self.zone)
        locale = self.supported(locale)
        day = format_date(local, "medium", locale=locale)
        time = format_time(local, "short", locale=locale)
        return f"{day} {time} {local.tzname()}"
