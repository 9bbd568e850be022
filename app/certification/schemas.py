"""Certification request/response models."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from app.core.clock import Timestamp
from app.core.schemas import RequestModel, ResponseModel
from app.core.validators import SingleLine, TaxpayerId

EnterpriseName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100), SingleLine
]


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
