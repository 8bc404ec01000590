""" "My data" (我的数据): the values huiqi holds about the enterprise, with source and year,
and "report a value as wrong", which opens a correction request to the owning registry.

The pages call ``matching.mydata.my_data`` and ``delivery.corrections.request_correction``;
both check who may see and report (the enterprise itself, its park operator)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.db.engine import reading, transaction
from huiqi.delivery.corrections import CorrectionError, request_correction
from huiqi.matching.answers import Question, question_of
from huiqi.matching.mydata import HeldValue, my_data
from huiqi.profiles.dictionary import load_dictionary
from huiqi.web.deps import AppSettings, Factory, SignedIn, actor_of
from huiqi.web.errors import status_of
from huiqi.web.i18n import N_
from huiqi.web.portal import enterprise_of
from huiqi.web.render import page, page_url
from huiqi.web.views.forms import Form

router = APIRouter(include_in_schema=False)


def parse_year(text: str | None) -> int | None:
    """The year of a form or link: blank for a field not held per year."""
    text = (text or "").strip()
    if not text:
        return None
    # ASCII digits only: str.isdigit() also takes superscripts ("²⁰²⁵"), which int() refuses.
    if not (text.isascii() and text.isdigit()) or len(text) != 4:
        raise CorrectionError(f"the year is four digits such as 2025, not {text!r}")
    return int(text)


@router.get("/my-data")
def my_data_page(
    request: Request, settings: AppSettings, factory: Factory, who: SignedIn, uscc: str = ""
) -> Response:
    code = enterprise_of(who, uscc)
    with reading(factory) as s:
        data = my_data(settings, s, actor=actor_of(who), uscc=code)
    return page(
        request,
        "mydata.html",
        {
            "data": data,
            "uscc": uscc.strip().upper(),
            "reported": request.query_params.get("reported"),
        },
    )


def _held(
    settings: Any, factory: Any, who: Any, code: str, field: str, year: int | None
) -> HeldValue | None:
    """The value held for ``field`` (in ``year``), read through ``my_data`` (access checked)."""
    with reading(factory) as s:
        data = my_data(settings, s, actor=actor_of(who), uscc=code)
    return next((v for v in data.values if v.field == field and v.year == year), None)


def _form_page(
    request: Request,
    held: HeldValue | None,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    # The form's own page (a GET with its field), also where a refused POST's language
    # link comes back to: the POST's address alone opened an empty form.
    here = page_url("/my-data/correct", field=form["field"], year=form["year"], uscc=form["uscc"])
    return page(
        request,
        "correction.html",
        {
            "held": held,
            "question": question_for(form["field"]),
            "form": form,
            "errors": errors,
            "here": here,
        },
        status_code=status_code,
    )


def question_for(field: str) -> Question | None:
    """How the form asks for a field's right value (a yes/no or code list as a choice)."""
    f = load_dictionary().get(field)
    return question_of(f) if f is not None else None


@router.get("/my-data/correct")
def correction_form(
    request: Request,
    settings: AppSettings,
    factory: Factory,
    who: SignedIn,
    field: str = "",
    year: str = "",
    uscc: str = "",
) -> Response:
    """The form for one value of "My data". Without a field, "My data" itself, where each
    value links here; a field the dictionary does not know is refused as the form's POST
    refuses it (the form was shown for it, as if it were one)."""
    code = enterprise_of(who, uscc)
    held = _held(settings, factory, who, code, field[:64], parse_year(year))  # access first
    if not field:
        return RedirectResponse(page_url("/my-data", uscc=uscc[:18]), status_code=303)
    if load_dictionary().get(field[:64]) is None:
        raise CorrectionError(f"{field[:64]!r} is not a field of the data dictionary")
    form = {"field": field[:64], "year": year[:4], "uscc": uscc.strip().upper()[:18]}
    return _form_page(request, held, {**form, "value": "", "comment": ""}, {})


@router.post("/my-data/correct")
def correction_submit(
    request: Request, settings: AppSettings, factory: Factory, who: SignedIn, form: Form
) -> Response:
    """Open a correction request; a refusal is shown next to the field it is about."""
    code = enterprise_of(who, form.get("uscc"))
    field = form.get("field", "")[:64]
    year = parse_year(form.get("year"))
    value = form.get("value", "").strip()
    errors: dict[str, str] = {}
    status = 400
    if not value:
        errors["value"] = N_("Enter the value you believe is right.")
    else:
        try:
            with transaction(factory) as s:
                made = request_correction(
                    settings,
                    s,
                    actor=actor_of(who),
                    uscc=code,
                    field=field,
                    year=year,
                    value=value,
                    comment=form.get("comment") or None,
                )
        except CorrectionError as exc:
            # Shown next to the value: without the field's name ("'employees': …").
            errors["comment" if "comment" in str(exc) else "value"] = str(exc).removeprefix(
                f"'{field}': "
            )
            status = status_of(exc)  # 409 for a request still open on the value: as the API
    if errors:
        held = _held(settings, factory, who, code, field, year)
        shown = {k: form.get(k, "") for k in ("field", "year", "uscc", "value", "comment")}
        return _form_page(request, held, shown, errors, status_code=status)
    suffix = f"uscc={code}&" if form.get("uscc") else ""
    return RedirectResponse(f"/my-data?{suffix}reported={made.id}", status_code=303)
