"""Automatic-invoicing request/response models; the rules live in service.py and job.py."""

from pydantic import Field

from app.core.clock import Timestamp
from app.core.ids import Id
from app.core.schemas import RequestModel, ResponseModel
from app.requests.schemas import IdIn


class AutoInvoicingPut(RequestModel):
    enabled: bool = Field(
        description="Request the earlier months' invoices automatically each month", examples=[True]
    )
    profile_id: IdIn | None = Field(
        default=None,
        description="The invoice profile to invoice to; needed to enable (omitted: the one already chosen)",
        examples=["7c9e6679-7425-40de-944b-e07fc1f90ae7"],
    )
    address_id: IdIn | None = Field(
        default=None,
        description="The mailing address to send to; needed to enable (omitted: the one already chosen)",
        examples=["16fd2706-8baf-433b-82eb-8c7fada847da"],
    )


class AutoInvoicingOut(ResponseModel):
    enabled: bool
    profile_id: Id | None = Field(description="The invoice profile automatic requests use")
    address_id: Id | None = Field(description="The mailing address automatic requests use")
    updated_at: Timestamp | None = Field(description="Null until the setting is first saved")
