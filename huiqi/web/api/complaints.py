"""``/api/v1/complaints``: the review queue of flagged complainants, decisions, statistics,
and an enterprise's complaints grouped to answer once. Each endpoint calls one function of
:mod:`huiqi.complaints.intake` and :mod:`huiqi.complaints.service`, which checks access (complainant identities only masked,
only to complaint officers)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, computed_field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from huiqi.accounts.roles import Role
from huiqi.complaints import intake, service
from huiqi.complaints.identity import PHONE_RULE, is_phone
from huiqi.db.engine import reading, transaction
from huiqi.web.api.amounts import yuan
from huiqi.web.api.fields import NotBlank, RequestBody
from huiqi.web.api.times import Utc
from huiqi.web.api.v1 import ERRORS, Limit, Page, Uscc
from huiqi.web.deps import ApiWriter, AppSettings, Factory, SignedIn, Web, actor_of, role_gate
from huiqi.web.portal import enterprise_of
from huiqi.web.uploads import multipart_body, read_bounded, refuse_too_large

router = APIRouter(prefix="/api/v1/complaints", responses=ERRORS, tags=["complaints"])
# The groups about an enterprise, oldest first: the next page is after the last one's id.
After = Annotated[
    int | None, Query(ge=1, le=2**62, description="the id of the previous page's last group")
]
Id = Annotated[int, Path(ge=1, le=2**62)]


class _Row(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FlaggedComplainantPublic(_Row):
    score_id: int
    complainant_id: int
    id_masked: str
    name_masked: str | None
    score: int
    own_score: int
    cluster_score: int
    cluster: int | None
    status: str
    evidence: dict[str, Any] | None


class ComplainantDecide(RequestBody):
    professional: StrictBool
    reason: Annotated[str, Field(min_length=1, max_length=2000), NotBlank]


class ComplainantDecisionPublic(_Row):
    review_id: int
    complainant_id: int
    decision: str
    reason: str
    decided_by: str
    decided_at: Utc


class ComplaintStatsPublic(_Row):
    complaints: int
    complainants: int
    runs: int
    flagged: int
    pending: int
    professional: int
    not_professional: int
    confirmation_rate: float | None
    complaints_by_professionals: int
    answer_groups: int


class EnterpriseComplaintPublic(_Row):
    id: int = Field(description="the group's first complaint: the next page's after_id")
    answer_group: str
    refs: list[str]
    product: str | None
    amount_fen: int | None
    claim_fen: int | None
    text: str
    first_filed: dt.date

    @computed_field  # type: ignore[prop-decorator]
    @property
    def amount_yuan(self) -> str | None:
        return yuan(self.amount_fen)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def claim_yuan(self) -> str | None:
        return yuan(self.claim_fen)


class ComplaintRejectPublic(BaseModel):
    line: int
    reason: str
    ref: str | None
    field: str | None = Field(
        default=None, description="the complaint field the reason is about (null: the whole row)"
    )
    column: str | None = Field(
        default=None, description="the file's header that field is read from (null: none)"
    )


class ChangedDuplicatePublic(BaseModel):
    """A row whose complaint number is held with other content: not stored, the complaint
    held kept; ``fields`` names what differs (never the values)."""

    line: int
    ref: str
    fields: list[str]


class ComplaintImportPublic(_Row):
    rows: int
    stored: int
    already_held: int
    rejects: list[ComplaintRejectPublic]
    changed: list[ChangedDuplicatePublic]
    absent: list[str] = Field(
        default_factory=list,
        description="optional fields whose mapped column the file lacks, as 'field (header)'"
        ": their cells are left empty",
    )


Short = Annotated[str, Field(max_length=500)]


def _phone(value: str) -> str:
    if value.strip() and not is_phone(value):
        raise ValueError(f"phone {value!r} is not a phone number: write {PHONE_RULE}")
    return value


# Regression (QA): any text was taken as a complainant's phone ("138001380001234567", 18
# digits), hashed and linked on; now a 422 naming the field. An empty phone is no phone.
Phone = Annotated[str, Field(max_length=500), AfterValidator(_phone)]


class ComplaintIn(BaseModel):
    """One complaint as the complaint system records it; amounts in yuan as exact text
    ("39.90"), the date as YYYY-MM-DD. Identities are stored only as keyed hashes and
    masks, as for an import."""

    model_config = ConfigDict(extra="forbid")
    ref: Short = Field(description="the complaint system's number (sent again, nothing is stored)")
    id_number: Short
    uscc: Short = Field(description="the enterprise complained about")
    text: str = Field(max_length=20_000)
    filed_on: Short = Field(description="YYYY-MM-DD")
    name: Short | None = None
    phone: Phone | None = Field(default=None, description=f"the complainant's: {PHONE_RULE}")
    address: Short | None = None
    bank: Short | None = None
    product: Short | None = None
    amount: Short | None = Field(default=None, description="the purchase, in yuan")
    claim: Short | None = Field(default=None, description="the compensation claimed, in yuan")


class ComplaintsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    complaints: list[ComplaintIn] = Field(min_length=1, max_length=intake.MAX_FILED)


class FiledRejectPublic(BaseModel):
    """A refused complaint, by its position in the list sent (it has no line)."""

    item: int = Field(description="the complaint's position in the list, from 0")
    reason: str
    ref: str | None
    field: str | None = Field(
        default=None, description="the complaint field the reason is about (null: the whole one)"
    )


class FiledChangedPublic(BaseModel):
    """A complaint whose number is held with other content: not stored, the one held kept."""

    item: int = Field(description="the complaint's position in the list, from 0")
    ref: str
    fields: list[str]


class ComplaintsFiledPublic(_Row):
    rows: int
    stored: int
    already_held: int
    rejects: list[FiledRejectPublic]
    changed: list[FiledChangedPublic]


MAPPING_BYTES = 64 * 1024  # a mapping file is a few lines of YAML


@router.post(
    "",
    dependencies=[role_gate("file complaints", Role.COMPLAINT_OFFICER, Role.DATA_STEWARD)],
)
def file_complaints(
    body: ComplaintsIn, settings: AppSettings, factory: Factory, who: ApiWriter
) -> ComplaintsFiledPublic:
    """File complaints one by one, as another government system does (complaint officers
    and data stewards, usually with an API token): each is checked and stored as a row of
    an imported export; 200 with those stored, those already held (by number), each
    refused one with its position and reason, and each held with other content
    (``changed``: not stored, the complaint held kept)."""
    with transaction(factory) as s:
        report = intake.file_complaints(
            settings,
            s,
            actor=actor_of(who),
            complaints=[c.model_dump(exclude_none=True) for c in body.complaints],
        )
    return ComplaintsFiledPublic.model_validate(report)


UPLOAD = {
    "file": "the export: CSV (UTF-8 or GBK) or .xlsx",
    "mapping": "optional mapping (YAML, field: header) for another system's export",
}


@router.post(
    "/import",
    responses={413: ERRORS[400]},
    openapi_extra=multipart_body(UPLOAD),
    dependencies=[role_gate("import complaints", Role.COMPLAINT_OFFICER, Role.DATA_STEWARD)],
)
async def import_file(
    request: Request, settings: AppSettings, factory: Factory, web: Web, who: ApiWriter
) -> ComplaintImportPublic:
    """Import a complaint system's export, as ``huiqi complaints import`` (complaint officers
    and data stewards): 200 with the rows stored, those already held, each rejected row
    with its line and reason, and each row held with other content (``changed``); 400 when the file or mapping cannot be read; 413 above
    ``HUIQI_WEB_MAX_UPLOAD_MB``; 403 before the upload is read for anyone else."""
    actor = actor_of(who)
    intake.require_importer(actor)
    refuse_too_large(request, web.max_upload_bytes, extra=MAPPING_BYTES)
    form = await request.form(max_files=2, max_fields=5)
    try:
        name, content = await read_bounded(form.get("file"), web.max_upload_bytes)
        mapping_text = None
        if isinstance(form.get("mapping"), UploadFile):
            _, mapping_text = await read_bounded(form.get("mapping"), MAPPING_BYTES, "mapping")
    finally:
        await form.close()

    def run() -> intake.ImportReport:
        with transaction(factory) as s:
            return intake.import_uploaded_complaints(
                settings, s, actor=actor, filename=name, content=content, mapping=mapping_text
            )

    return ComplaintImportPublic.model_validate(await run_in_threadpool(run))


@router.get(
    "/queue",
    dependencies=[role_gate("review flagged complainants", Role.COMPLAINT_OFFICER)],
)
def queue(
    factory: Factory, who: SignedIn, after_id: Page = 0, limit: Limit = 100
) -> list[FlaggedComplainantPublic]:
    """Flagged complainants awaiting a decision, highest score first, with their evidence."""
    with reading(factory) as s:
        rows = service.review_queue(s, actor=actor_of(who), after_id=after_id, limit=limit)
    return [FlaggedComplainantPublic.model_validate(r) for r in rows]


@router.post(
    "/complainants/{complainant_id}/decide",
    dependencies=[role_gate("decide on flagged complainants", Role.COMPLAINT_OFFICER)],
)
def decide(
    factory: Factory, who: ApiWriter, complainant_id: Id, body: ComplainantDecide
) -> ComplainantDecisionPublic:
    """Confirm a complainant as professional, or not, with a reason (an audit event)."""
    with transaction(factory) as s:
        d = service.decide_complainant(
            s,
            actor=actor_of(who),
            complainant_id=complainant_id,
            professional=body.professional,
            reason=body.reason,
        )
    return ComplainantDecisionPublic.model_validate(d)


@router.get("/stats", dependencies=[role_gate("read complaint statistics", Role.COMPLAINT_OFFICER)])
def stats(factory: Factory, who: SignedIn) -> ComplaintStatsPublic:
    """Flags, decisions, the confirmation rate and the answer groups."""
    with reading(factory) as s:
        return ComplaintStatsPublic.model_validate(service.complaint_stats(s, actor=actor_of(who)))


@router.get(
    "/about-us",
    dependencies=[
        role_gate(
            "read the complaints about an enterprise",
            Role.ENTERPRISE,
            Role.PARK_OPERATOR,
            Role.COMPLAINT_OFFICER,
        )
    ],
)
def about_enterprise(
    factory: Factory, who: SignedIn, uscc: Uscc = None, limit: Limit = 100, after_id: After = None
) -> list[EnterpriseComplaintPublic]:
    """The complaints about the enterprise, grouped to answer once (no complainant identity),
    in the order of each group's first complaint; the next page is
    ``after_id=<the last id of this one>`` (a keyset)."""
    code = enterprise_of(who, uscc)
    with reading(factory) as s:
        rows = service.enterprise_complaints(
            s, actor=actor_of(who), uscc=code, limit=limit, after_id=after_id
        )
    return [EnterpriseComplaintPublic.model_validate(r) for r in rows]
