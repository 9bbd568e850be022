"""Imports every model so that Base.metadata is complete (Alembic, tests)."""

from app.accounts.models import Account, ApiKey
from app.addresses.models import MailingAddress
from app.autoinvoicing.models import AutoInvoicingRun, AutoInvoicingSetting
from app.bills.models import Bill
from app.cards.models import StoredValueCard, StoredValueCardRefund
from app.certification.models import Certification
from app.core.database import Base
from app.core.idempotency_models import IdempotencyKey
from app.events.models import Event
from app.profiles.models import InvoiceProfile
from app.requests.models import (
    Invoice,
    InvoiceFile,
    InvoiceLine,
    InvoiceRequest,
    InvoiceRequestEvent,
    InvoiceRequestItem,
)
from app.requests.storage import FileBlob
from app.sellers.models import Seller
from app.taxplatform.models import SandboxFault, SandboxInvoice, SandboxSequence
from app.webhooks.models import WebhookDelivery, WebhookDeliveryTotal, WebhookEndpoint
from app.worker.models import Job

__all__ = [
    "Account",
    "ApiKey",
    "AutoInvoicingRun",
    "AutoInvoicingSetting",
    "Base",
    "Bill",
    "Certification",
    "Event",
    "FileBlob",
    "IdempotencyKey",
    "Invoice",
    "InvoiceFile",
    "InvoiceLine",
    "InvoiceProfile",
    "InvoiceRequest",
    "InvoiceRequestEvent",
    "InvoiceRequestItem",
    "Job",
    "MailingAddress",
    "SandboxFault",
    "SandboxInvoice",
    "SandboxSequence",
    "Seller",
    "StoredValueCard",
    "StoredValueCardRefund",
    "WebhookDelivery",
    "WebhookDeliveryTotal",
    "WebhookEndpoint",
]
