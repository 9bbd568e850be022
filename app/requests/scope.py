"""Which invoice requests a caller may read, move or reach the files of: the one tenant filter that
every query of them goes through (a customer its own account's, finance every account's)."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam

from app.core.auth import AuthContext, Role
from app.core.errors import NotFound
from app.requests.models import InvoiceRequest

S = TypeVar("S", bound=Select[*tuple[Any, ...]])  # a select of any columns

VIEWER = "viewer"  # the bound parameter: statements stay cacheable, whoever the customer is


def scoped(stmt: S, *, customer: bool) -> S:
    """`stmt` (over invoice_request, or joined to it) as `RequestScope.customer` lets it see."""
    return stmt.where(InvoiceRequest.account_id == bindparam(VIEWER)) if customer else stmt


@dataclass(frozen=True, slots=True)
class RequestScope:
    customer: bool  # only the caller's account's requests; else every account's (finance)
    values: Mapping[str, Any] = field(default_factory=dict)  # what `apply` binds, for execute()

    def apply(self, stmt: S) -> S:
        return scoped(stmt, customer=self.customer)

    @property
    def account_id(self) -> uuid.UUID | None:
        """The one account a customer's scope holds (None: finance sees every account)."""
        found: uuid.UUID | None = self.values.get(VIEWER)
        return found


def request_scope(auth: AuthContext) -> RequestScope:
    """Another account's request is not found, like an unknown one; no other role reads requests
    (the routes refuse them first)."""
    if auth.role is Role.customer:
        account_id: uuid.UUID = auth.customer_account_id
        return RequestScope(customer=True, values={VIEWER: account_id})
    if auth.role is Role.finance:
        return RequestScope(customer=False)
    raise NotFound("No such invoice request.")
