"""Every citizen-facing text exists, complete and consistent, in every locale."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.domain.i18n import LOCALES
from bot.domain.references import REFERENCE_PATTERN
from bot.services.surveys import load_surveys

ROOT = Path(__file__).resolve().parents[2]


def used_keys() -> set[str]:
    keys: set[str] = set()
    for package in ("bot", "backoffice"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, keywords={"N_": None}, comment_tags=()
        ):
            keys.add(str(message))
    # The web inbox's templates say their texts as `t("inbox.…")`.
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "backoffice" / "web" / "templates",
        method_map=[("**.html", "jinja2.ext:babel_extract")],
        keywords={"t": None},
        comment_tags=(),
    ):
        keys.add(str(message))
    for survey in load_surveys().values():  # survey texts are catalog keys named in data
        keys |= survey.catalog_keys()
    return keys


def catalog(locale: str) -> Catalog:
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def translations(locale: str) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in catalog(locale) if m.id}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_code_uses_catalog_keys() -> None:
    assert len(used_keys()) > 50  # extraction works; a broken keyword would find none


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_the_code_uses_is_translated(locale: str) -> None:
    found = translations(locale)
    missing = sorted(key for key in used_keys() if not found.get(key, "").strip())
    assert missing == [], f"untranslated in {locale}: {missing}"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogs_hold_no_stale_keys(locale: str) -> None:
    stale = sorted(set(translations(locale)) - used_keys())
    assert stale == [], f"keys in {locale} that no code uses: {stale}"


def test_locales_agree_on_placeholders() -> None:
    indonesian, english = translations("id"), translations("en")
    for key, text in indonesian.items():
        assert placeholders(text) == placeholders(english.get(key, "")), key


@pytest.mark.parametrize("locale", LOCALES)
def test_no_text_looks_like_a_case_reference(locale: str) -> None:
    for key, text in translations(locale).items():
        assert not REFERENCE_PATTERN.search(text), key
        assert not re.search(r"\b[A-Z]{3}-[A-Z0-9]{6}\b", text), key
