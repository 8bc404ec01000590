"""Server-rendered pages: one Jinja2 environment per language, with gettext installed.

Templates extend ``base.html``; partials are ``_name.html``. Every text a template
shows goes through ``_()`` (the catalogue) or ``pick`` (a policy's own zh/en text).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.routing import Match

from huiqi.accounts.roles import Role
from huiqi.db.clock import shown
from huiqi.money import format_yuan, group_digits
from huiqi.profiles.dictionary import load_dictionary
from huiqi.web import i18n, refused_forms
from huiqi.web.console_pages import pages_for
from huiqi.web.formula import readable
from huiqi.web.gap_texts import shortfall_filter
from huiqi.web.refusals import localise
from huiqi.web.security import CSRF_FIELD, csrf_token, remember_pre_csrf
from huiqi.web.status_names import grant_status_name, message_kind_name, record_status_name

LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}
# Dictionary units that follow a count: singular for exactly one ("1 person", not
# "1 persons"); the others (yuan, %, m2, tce) read the same for any number.
COUNTED_UNITS = {
    "persons": i18n.N_plural("person", "persons"),
    "items": i18n.N_plural("item", "items"),
    "years": i18n.N_plural("year", "years"),
    "floors": i18n.N_plural("floor", "floors"),
}


def _pick(language: str) -> Any:
    def pick(value: Any) -> str:
        """A bilingual value (``.zh``/``.en`` or a {"zh", "en"} mapping) in this language."""
        if value is None:
            return ""
        if isinstance(value, dict):
            return (
                str(value.get("en") or value.get("zh") or "")
                if language == "en"
                else str(value.get("zh") or value.get("en") or "")
            )
        return str(value.en if language == "en" else value.zh)

    return pick


def _held(language: str) -> Any:
    gettext = i18n.translations(language).gettext
    lang = "en" if language == "en" else "zh"

    def held(value: Any, info: dict[str, Any] | None = None) -> Any:
        """A value of an explanation as a person reads it: yes or no, a code's name in
        this language (``hukou`` → 本市户籍); anything else as it is."""
        if value is True or value is False:
            return gettext("Yes") if value else gettext("No")
        field = load_dictionary().get(str((info or {}).get("field") or ""))
        if field is not None and field.codes and isinstance(value, str):
            return load_dictionary().codelist(field.codes).label(value, lang)
        if field is not None and field.type == "money":
            return group_digits(value)  # 3,000,000.00, as amounts read everywhere else
        if field is not None and field.type == "decimal":
            return _plain(value)  # 96.88 m², not the stored scale's 96.880000
        return value

    return held


def _registry(language: str) -> Any:
    def registry(code: str | None) -> str:
        """A source registry's name in this language (``market`` → 市场监管局 企业登记)."""
        label = load_dictionary().registries.get(code or "")
        if label is None:
            return code or "—"
        return str(label.en if language == "en" else label.zh)

    return registry


def _unit(language: str) -> Any:
    catalogue = i18n.translations(language)

    def unit(name: str, count: Any = None) -> str:
        """A field's unit in this language, looked up without formatting (the newstyle
        ``_()`` %-formats what it returns, and a ratio's unit is "%"); after a ``count``,
        in its number: one is singular (1 person), anything else plural (0, 1.5 persons).
        Without a count (a form's label: "(persons)"), the plural."""
        forms = COUNTED_UNITS.get(name)
        if forms is None or count is None:
            return catalogue.gettext(name)
        return catalogue.ngettext(*forms, 1 if _is_one(count) else 2)

    return unit


def _is_one(value: Any) -> bool:
    """Whether a held value (a number, or its JSON text: "1", "1.00") is exactly one."""
    if isinstance(value, bool):
        return False
    try:
        return Decimal(str(value)) == 1
    except ArithmeticError:
        return False


def _yuan(fen: int | None) -> str:
    return format_yuan(fen)


def _figure(value: Decimal | str) -> str:
    """An exact figure as written (no exponent, no trailing zeros), also from its exact
    JSON text (a stored gap's "7000000.00")."""
    value = Decimal(value) if isinstance(value, str) else value
    return f"{value.normalize():,f}" if value == value.to_integral_value() else f"{value:,f}"


# A decimal written as digits with a point (a held decimal in its JSON form).
_DECIMAL_TEXT = re.compile(r"-?[0-9]+\.[0-9]+")


def _plain(value: Any) -> Any:
    """A held number as written, without a stored scale's trailing zeros (8.420000 m² is
    8.42), also in its exact JSON form, a string ("8.420000": /my-data's values are);
    anything else as it is."""
    if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
        value = Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return f"{value.normalize():f}"
    return value


def _date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "—"
    # A timestamp (stored in UTC) as people in China read it; a date is a date.
    return shown(value) if isinstance(value, dt.datetime) else value.strftime("%Y-%m-%d")


def _calendar_day(value: dt.date | dt.datetime | None) -> str:
    """The day alone, in China, where a page's column is a date (拨付日期): a payment
    date the bank gave as a day was shown with an 08:00 nobody wrote."""
    return "—" if value is None else _date(value)[:10]


@functools.cache
def environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("huiqi.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["pick"] = _pick(language)
    env.filters["yuan"] = _yuan
    catalogue = i18n.translations(language)
    env.filters["record_status"] = lambda s: catalogue.gettext(record_status_name(str(s)))
    env.filters["grant_status"] = lambda s: catalogue.gettext(grant_status_name(str(s)))
    env.filters["message_kind"] = lambda s: catalogue.gettext(message_kind_name(str(s)))
    env.filters["day"] = _date
    env.filters["calendar_day"] = _calendar_day
    env.filters["figure"] = _figure
    env.filters["plain"] = _plain
    env.filters["held"] = _held(language)
    env.filters["grouped"] = group_digits
    env.filters["registry"] = _registry(language)
    env.filters["formula"] = functools.partial(
        readable, catalogue=i18n.translations(language), language=language
    )
    env.filters["unit"] = _unit(language)
    env.filters["shortfall"] = shortfall_filter(language, env.filters["unit"])
    env.globals["LANGUAGES"] = LANGUAGE_NAMES
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    # A message that may come from a service (a user's text inside it, '%' included): the
    # catalogue's translation when it has one, else the text as it is, never %-formatted.
    env.globals["message"] = functools.partial(localise, i18n.translations(language))
    return env


def page_url(path: str, **params: str | None) -> str:
    """A page's address with its query (blank values left out): where a form's page is
    opened again, for a page rendered in answer to that form's POST."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{path}?{query}" if query else path


def _opens(request: Request, path: str) -> bool:
    """Whether a GET of ``path`` reaches a route of this application."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    return any(route.matches(scope)[0] is Match.FULL for route in request.app.routes)


def here_of(request: Request) -> str:
    """Where a page's language and sign-in links come back to: the page itself, or, for a
    page answering a POST, the nearest page a GET opens (the form's own page, else the one
    above it). A link back to the POST's address answered 405, or opened an empty form.
    """
    if request.method in ("GET", "HEAD"):
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    path = request.url.path.rstrip("/")
    while path:
        if _opens(request, path):
            return path
        path = path.rsplit("/", 1)[0]
    return "/"


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    shown_by_get: bool | None = None,
) -> HTMLResponse:
    """Render a template in the visitor's language, with the CSRF token and the actor.

    ``context`` may name ``here``, the page a language or sign-in link comes back to,
    where a form's page answering its POST is opened by a GET with a query (``page_url``).
    A page answering a browser's POST is shown by a GET of ``here`` instead
    (:mod:`huiqi.web.refused_forms`: Post/Redirect/Get) when ``shown_by_get`` is True,
    or, when it is None, for a refusal (4xx, not a server error); never when False.
    """
    language = i18n.choose(request.cookies.get(i18n.COOKIE))
    actor = getattr(request.state, "actor", None)
    own = [s for s in actor.scopes(Role.ENTERPRISE) if s] if actor else []
    console = pages_for(g.role for g in actor.grants) if actor else []
    values = {
        "request": request,
        "enterprise": own[0] if len(own) == 1 else None,
        "portal_user": bool(actor and actor.has(Role.ENTERPRISE, Role.PARK_OPERATOR)),
        # Officers see the console's pages their roles open (the services still decide).
        "console_pages": console,
        "staff_user": bool(console),
        "lang": language,
        "csrf_token": csrf_token(request),
        "actor": actor,
        "here": here_of(request),
        **context,
    }
    html = environment(language).get_template(name).render(values)
    if shown_by_get is None:  # a refusal; not a server error
        shown_by_get = 400 <= status_code < 500
    if shown_by_get and request.method == "POST":
        refused_forms.mark(request, values["here"])
    response = HTMLResponse(html, status_code=status_code)
    remember_pre_csrf(response, request, request.app.state.web.secure_cookies)
    return response
