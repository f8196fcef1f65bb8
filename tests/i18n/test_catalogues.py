"""The catalogues cover every console string, and the compiled files match them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("de", "fr", "es", "ja")


def catalogue(language: str):
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """Extract the messages from the code and templates, as `pybabel extract` does."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(out),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(out, "rb") as f:
        return {
            message.id if isinstance(message.id, str) else message.id[0]
            for message in read_po(f)
            if message.id
        }


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_extracted_string_is_translated(language, extracted):
    messages = catalogue(language)
    missing, empty, fuzzy = [], [], []
    for msgid in sorted(extracted):
        message = messages.get(msgid)
        if message is None:
            missing.append(msgid)
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            empty.append(msgid)
        if message.fuzzy:
            fuzzy.append(msgid)
    assert not missing, f"{len(missing)} strings missing from {language}: {missing[:10]}"
    assert not empty, f"{len(empty)} untranslated in {language}: {empty[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language}: {fuzzy[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language):
    mo_path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), f"run `make translations` to compile {language}"

    def plain(value):
        # read_mo gives plural forms as lists, read_po as tuples.
        return tuple(value) if isinstance(value, list | tuple) else value

    with open(mo_path, "rb") as f:
        compiled = {plain(m.id): plain(m.string) for m in read_mo(f) if m.id}
    source = {plain(m.id): plain(m.string) for m in catalogue(language) if m.id and not m.fuzzy}
    assert compiled == source, f"{mo_path} is stale: run `make translations`"
