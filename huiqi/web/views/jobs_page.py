"""The console's page of a background job (publishing a policy): its state, phase, chunk
i of n and the counts so far. While the job runs, the page asks for itself again every
two seconds (htmx) and swaps in its progress; the answer of a finished job no longer
asks. A job that stopped after publishing its version has a button to deliver the rest
(``delivery.publishjob.resume_job``). Each service call checks the officer's scope."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.db.engine import reading
from huiqi.delivery.publishjob import resume_job
from huiqi.jobs.service import get_job
from huiqi.web.deps import AppSettings, Factory, SignedIn, actor_of
from huiqi.web.render import page
from huiqi.web.views.forms import Form

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]


@router.get("/console/jobs/{job_id}")
def job_page(request: Request, factory: Factory, who: SignedIn, job_id: Id) -> Response:
    """A job's progress; it refreshes itself while the job runs."""
    with reading(factory) as s:
        job = get_job(s, actor=actor_of(who), job_id=job_id)
    return page(
        request, "console_job.html", {"job": job, "refused": not_granted(job.message or "")}
    )


# The delivery summary's "not granted: budget_exhausted 11,266, capped 3; flagged …".
_NOT_GRANTED = re.compile(r"not granted: (.*?); flagged")
_REFUSAL = re.compile(r"(\w+) ([\d,]+)")


def not_granted(summary: str) -> list[tuple[str, int]]:
    """(record status, count) of what a finished job did not grant, read from its summary
    (the page names each status in its language; the summary itself is English)."""
    found = _NOT_GRANTED.search(summary)
    if found is None:
        return []
    return [(k, int(n.replace(",", ""))) for k, n in _REFUSAL.findall(found.group(1))]


@router.post("/console/jobs/{job_id}/resume")
def resume(
    settings: AppSettings, factory: Factory, who: SignedIn, job_id: Id, form: Form
) -> Response:
    """Deliver the rest of a stopped job, as a new job: its page."""
    new_id = resume_job(settings, factory, actor=actor_of(who), job_id=job_id)
    return RedirectResponse(f"/console/jobs/{new_id}", status_code=303)
