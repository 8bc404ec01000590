"""Languages: zh-CN first and by default, English one click away.

Messages are gettext catalogues kept as ``.po`` files under ``locale/`` (English
message ids, Chinese translations). They are compiled in memory when the app
starts, so a fresh clone needs no build step and no ``.mo`` file is committed.
Policy texts are not in the catalogue: each policy carries its own zh and en text.
"""

from __future__ import annotations

import functools
import gettext
import io
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DEFAULT = "zh-CN"
LANGUAGES = {"zh-CN": "zh_CN", "en": "en"}  # what the site offers → the catalogue's folder
COOKIE = "huiqi_lang"


def N_(message: str) -> str:
    """Mark a message for extraction where it is translated later (at render time)."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular and plural pair for extraction (``make messages``: ``-k
    N_plural:1,2``), translated later with ``ngettext`` by a count."""
    return singular, plural


def choose(requested: str | None) -> str:
    """The language to use: a known one that was asked for, else zh-CN."""
    return requested if requested in LANGUAGES else DEFAULT


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (English: the message ids themselves)."""
    folder = LANGUAGES[choose(language)]
    po = resources.files("huiqi.web").joinpath(f"locale/{folder}/LC_MESSAGES/messages.po")
    if not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=folder)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)
