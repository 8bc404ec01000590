"""A field written by its Chinese label in a rule (``营业收入 >= 5000000``).

The scanner refuses the word as outside the rule language, which does not tell a policy
officer that rules name fields as the dictionary does (``revenue``). This names the field
whose label the word is, or resembles, the way ``huiqi mapping new`` names the fields a
header resembles.

Example:
    >>> from huiqi.profiles.dictionary import load_dictionary
    >>> meant_fields("营业收入", load_dictionary())
    "'revenue' (营业收入)"
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from huiqi.engine.compile.codelists import code_named
from huiqi.engine.compile.scan import CheckError
from huiqi.profiles.dictionary import Dictionary

# The run of word characters a refusal's offset points at (Chinese characters are word
# characters to ``re``).
_WORD = re.compile(r"\w+")
# What stands before a tag in has_tag(tags, …).
_TAG_ARGUMENT = re.compile(r"has_tag\s*\(\s*tags\s*,\s*$", re.IGNORECASE)


def _plain(text: str) -> str:
    return re.sub(r"[\s()（）\"“”]+", "", unicodedata.normalize("NFKC", text))


def meant_field_names(word: str, dictionary: Dictionary) -> list[str]:
    """The one or two fields whose Chinese label ``word`` is or resembles, closest first."""
    key = _plain(word)
    labels = {_plain(f.label.zh): f for f in dictionary.fields if not f.key}
    if key in labels:
        close = [key]
    else:
        within = [k for k in labels if len(k) >= 2 and (k in key or key in k)]
        close = within or difflib.get_close_matches(key, list(labels), n=2, cutoff=0.5)
        close = sorted(close, key=lambda k: abs(len(k) - len(key)))[:2]
    return [labels[k].name for k in close]


def meant_fields(word: str, dictionary: Dictionary) -> str | None:
    """The one or two fields whose Chinese label ``word`` is or resembles, as
    ``'revenue' (营业收入)``; None when no label is close."""
    names = meant_field_names(word, dictionary)
    if not names:
        return None
    return ", ".join(f"'{n}' ({dictionary.field(n).label.zh})" for n in names)


def meant_code(word: str, dictionary: Dictionary) -> str | None:
    """The code whose Chinese name ``word`` is, as ``'310115'``, in the first code list of
    the dictionary's fields that names it; None when none does."""
    for codes in dict.fromkeys(f.codes for f in dictionary.fields if f.codes):
        code = code_named(word, codes)
        if code is not None:
            return f"'{code}'"
    return None


def named_in_chinese(exc: CheckError, text: str, dictionary: Dictionary) -> CheckError:
    """The scanner's refusal of a non-ASCII word, naming the field its author meant when
    the word is (or resembles) a field's Chinese label; else the refusal as it was."""
    if exc.offset is None:
        return exc
    found = _WORD.match(text, exc.offset)
    if found is None or found.group(0).isascii():
        return exc
    word = found.group(0)
    plain = f"'{word}' is not part of the rule language"
    if not exc.message.startswith(plain) or exc.message.startswith(f"{plain}:"):
        return exc  # another refusal, or one with its own advice (且: write AND)
    if _TAG_ARGUMENT.search(text[: exc.offset]):
        # has_tag(tags, 人工智能) (QA, qa7): a tag, not a field ("did you mean
        # 'ai_product_sales'?").
        return CheckError(
            f"'{word}' is not part of the rule language: a tag is written in quotes:"
            f" has_tag(tags, '{word}')",
            exc.offset,
        )
    code = meant_code(word, dictionary)
    if code is not None:
        # district_code = 浦东新区: a code's name, without the quotes a text takes.
        return CheckError(
            f"'{word}' is not part of the rule language: a coded field holds codes, written"
            f" in quotes: write {code}",
            exc.offset,
        )
    fields = meant_fields(word, dictionary)
    if fields is None:
        return exc
    return CheckError(
        f"'{word}' is not part of the rule language: a rule names fields in English;"
        f" did you mean {fields}?",
        exc.offset,
    )
