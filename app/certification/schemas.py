"""Certification request/response models."""

from typing import Annotated, Literal

from pydantic import Field

from app.core.clock import Timestamp
from app.core.schemas import RequestModel, ResponseModel
from app.core.validators import TaxpayerId, Text

EnterpriseName = Annotated[str, Text(2, 100)]


class CertificationPut(RequestModel):
    enterprise_name: EnterpriseName = Field(
        description="The registered enterprise name; trimmed, 2-100 characters", examples=["Acme Cloud Ltd."]
    )
    taxpayer_id: TaxpayerId


class CertificationOut(ResponseModel):
    status: Literal["uncertified", "certified"]
    enterprise_name: str | None
    taxpayer_id: str | None
    certified_at: Timestamp | None = Field(description="When the certified data last changed")
