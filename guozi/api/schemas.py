"""Request and response bodies of the API (they also make the OpenAPI document).

Request fields that the registry's cleaners check (`guozi.registry.validation`) arrive as plain
text, so a bad value gets the cleaner's message, the same as in the web form and the import.
"""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema

Text = str | None
Pct = str | float | int | None
DATE_HINT = "YYYY-MM-DD"


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class Error(Schema):
    error: ErrorDetail


class SupervisorRef(Schema):
    id: int
    code: str
    name: str


class EnterpriseRef(Schema):
    id: int
    identifier: str
    name: str


class Enterprise(Schema):
    id: int
    identifier: str
    uscc: str | None
    foreign_reg_no: str
    foreign_country: str
    name: str
    name_zh: str
    name_en: str
    short_name: str
    supervisor: SupervisorRef
    region_code: str
    city_code: str
    industry_code: str
    industry_section: str
    function_class: str | None = Field(description="code of the supervisor's functional class")
    ownership_level: str
    listed_codes: str
    main_business: str
    established_on: date | None
    status: str
    status_on: date | None
    merged_into_id: int | None
    portfolio: str


class Chain(Schema):
    enterprises: list[EnterpriseRef] = Field(description="the enterprise first, its group last")
    supervisors: list[SupervisorRef] = Field(description="the group's supervisor first")


class EnterpriseDetail(Enterprise):
    as_of: date
    level: int = Field(description="1 for a group (一级), 2 below it, …; 0 outside any tree")
    parent_id: int | None
    chain: Chain


class EnterpriseWritten(EnterpriseDetail):
    warnings: list[str]


class EnterprisePage(Schema):
    total: int
    limit: int
    offset: int
    items: list[Enterprise]


class EnterpriseCreate(Schema):
    uscc: Text = None
    foreign_reg_no: Text = None
    foreign_country: Text = Field(None, description="ISO 3166 two-letter code")
    name_zh: str
    name_en: Text = None
    short_name: Text = None
    supervisor: str = Field(description="code of the supervisor, e.g. ln")
    parent: Text = Field(
        None,
        description="any identifier of the management parent (internal id, USCC, CC:number); "
        "leave out for a group, which the supervisor manages directly",
    )
    ownership_pct: Pct = Field(None, description="the parent's stake, 0–100")
    region_code: Text = Field(None, description="GB/T 2260, e.g. 210100")
    industry_code: Text = Field(None, description="GB/T 4754-2017, e.g. C31 or 31")
    function_class: Text = Field(None, description="code or Chinese name")
    ownership_level: str = Field(description="central, provincial, municipal or county")
    listed_codes: Text = None
    main_business: Text = None
    established_on: Text = Field(None, description=DATE_HINT)
    status: Text = Field(None, description="active (default), merged or deregistered")
    status_on: Text = Field(None, description=DATE_HINT)
    portfolio: Text = Field(None, description="own (default) or observed")
    valid_from: Text = Field(
        None, description=f"{DATE_HINT}: when the management link starts (default: today)"
    )


class EnterprisePatch(Schema):
    uscc: Text = None
    foreign_reg_no: Text = None
    foreign_country: Text = None
    name_zh: Text = None
    name_en: Text = None
    short_name: Text = None
    supervisor: Text = Field(None, description="code of the supervisor")
    region_code: Text = None
    industry_code: Text = None
    function_class: Text = None
    ownership_level: Text = None
    listed_codes: Text = None
    main_business: Text = None
    established_on: Text = Field(None, description=DATE_HINT)
    status: Text = None
    status_on: Text = Field(None, description=DATE_HINT)
    portfolio: Text = None


class Identifier(Schema):
    kind: str = Field(description="internal, uscc, foreign or listed")
    value: str
    country: str = ""


class Holder(Schema):
    kind: str = Field(description="enterprise, supervisor or party")
    id: int
    name: str
    identifier: str | None = None
    code: str | None = None
    party_kind: str | None = Field(None, description="state or non_state, for an outside party")


class EquityLink(Schema):
    id: int
    held: EnterpriseRef
    holder: Holder
    pct: Decimal
    valid_from: date
    valid_to: date | None


class EquityLinks(Schema):
    as_of: date
    holders: list[EquityLink] = Field(description="who holds this enterprise")
    holdings: list[EquityLink] = Field(description="what this enterprise holds (visible only)")


class HolderIn(Schema):
    enterprise: Text = Field(None, description="any identifier of the holding enterprise")
    supervisor: Text = Field(None, description="code of the holding supervisor")
    party: int | None = Field(None, description="id of an outside party")


class EquityLinkCreate(Schema):
    holder: HolderIn
    pct: str | float | int
    valid_from: str = Field(description=DATE_HINT)
    valid_to: Text = Field(None, description=DATE_HINT)


class EndOn(Schema):
    on: str = Field(description=f"{DATE_HINT}: the first day it no longer holds")


class Subsidiary(EnterpriseRef):
    short_name: str
    status: str
    children: int = Field(description="how many enterprises it manages directly on that day")


class Subsidiaries(Schema):
    as_of: date
    parent: EnterpriseRef
    items: list[Subsidiary]


class Transfer(Schema):
    new_parent: str = Field(description="any identifier of the new management parent")
    on: str = Field(description=DATE_HINT)


class TreeNode(Schema):
    id: int
    name: str
    short_name: str
    parent_id: int | None = Field(description="null for the top of the returned tree")
    supervisor_id: int = Field(description="the supervisor whose portfolio it is in")
    depth: int = Field(description="0 for the top of the returned tree")
    level: int = Field(description="1 for a group (一级), 2 below it, …")


class Tree(Schema):
    as_of: date
    count: int
    nodes: list[TreeNode] = Field(description="depth first: every node after its parent")


class Supervisor(Schema):
    id: int
    code: str
    name: str
    name_zh: str
    name_en: str
    short_name: str
    region_code: str
    level: str
    parent_id: int | None


class Membership(Schema):
    id: int
    user: str
    role: str
    role_name: str
    supervisor: SupervisorRef | None
    enterprise: EnterpriseRef | None
    valid_from: date
    valid_to: date | None
    active: bool


class MembershipPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[Membership]


class MembershipCreate(Schema):
    user: str = Field(description="user name")
    role: str
    supervisor: Text = Field(None, description="code of the supervisor (supervisor roles)")
    enterprise: Text = Field(None, description="identifier of the enterprise (enterprise roles)")
    valid_from: Text = Field(None, description=f"{DATE_HINT} (default: today)")
    valid_to: Text = Field(None, description=DATE_HINT)


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    language: str


class Me(Schema):
    user: UserOut
    roles: list[str]
    scopes: list[str]
    memberships: list[Membership]


class ImportProblem(Schema):
    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    reason: str


class ImportFieldChange(Schema):
    field: str
    label: str
    before: str
    after: str


class ImportChange(Schema):
    row: int
    action: str = Field(description="new, changed or unchanged")
    identifier: str
    name: str
    fields: list[ImportFieldChange]


class ImportSummary(Schema):
    file: str
    sheet: str
    dry_run: bool
    written: bool
    rows: int
    counts: dict[str, int] = Field(description="created, updated, unchanged")
    error_count: int
    warning_count: int
    errors: list[ImportProblem]
    warnings: list[ImportProblem]
    changes: list[ImportChange] = Field(description="the first rows that change, for a preview")


class Job(Schema):
    id: UUID
    kind: str
    title: str
    status: str = Field(description="queued, running, succeeded or failed")
    done: int
    total: int
    percent: int
    message: str
    result: dict | None = Field(description="for an import: the same summary as in a request")
    created_at: datetime
    finished_at: datetime | None


class JobAccepted(Schema):
    job: Job
