"""The email a customer gets when the month's automatic request was refused: why, and how to fix it."""
# ruff: noqa: RUF001  (Chinese text uses full-width punctuation)

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.addresses.models import MailingAddress
from app.autoinvoicing.models import AutoInvoicingSetting
from app.mail.service import enqueue_mail
from app.mail.templates import Rendered, Section, bilingual, template

logger = logging.getLogger("invoicing.autoinvoicing")


@dataclass(frozen=True, slots=True)
class Reason:
    zh: str
    zh_fix: str
    en: str
    en_fix: str


REASONS: dict[str, Reason] = {
    "certification_required": Reason(
        "企业尚未完成认证。",
        "请在「发票管理 › 企业认证」中完成企业认证。",
        "The enterprise is not certified.",
        "Certify the enterprise under Invoice Management › Certification.",
    ),
    "cash_balance_not_positive": Reason(
        "账户现金余额不大于零（欠费中）。",
        "请充值，使现金余额大于零。",
        "The account's cash balance is zero or negative (in arrears).",
        "Top up the account so that its cash balance is above zero.",
    ),
    "not_found": Reason(
        "自动开票所选的发票信息或寄送地址已被删除。",
        "请在「发票管理 › 自动开票」中重新选择发票信息和寄送地址。",
        "The invoice profile or mailing address chosen for automatic invoicing was deleted.",
        "Choose a profile and an address again under Invoice Management › Automatic invoicing.",
    ),
    "profile_not_usable": Reason(
        "所选发票信息的抬头与企业认证不一致，或缺少该发票类型必需的信息。",
        "请修改该发票信息，或在「自动开票」中选择另一条可用的发票信息。",
        "The chosen invoice profile no longer matches the certification, "
        "or lacks fields its invoice type needs.",
        "Correct the profile, or choose another usable one under Automatic invoicing.",
    ),
    "address_incomplete": Reason(
        "所选寄送地址无法接收该类型的发票：电子发票需要邮箱，纸质发票需要邮寄地址。",
        "请为该地址补充邮箱或邮寄地址，或在「自动开票」中选择另一个地址。",
        "The chosen address cannot receive this invoice type: electronic invoices need an email, "
        "paper ones a postal address.",
        "Add the missing email or postal address, or choose another address under Automatic invoicing.",
    ),
    "invoice_deficit": Reason(
        "可开票金额未超过欠票金额（此前已开票的金额在退款或调账后多开了发票）。",
        "无需操作：欠票会在以后的开票中抵扣，下月将再次自动申请。",
        "What can be invoiced does not exceed the invoice deficit (an amount invoiced earlier was later "
        "refunded or corrected).",
        "Nothing to do: the deficit is settled by later invoicing; next month's run tries again.",
    ),
    "item_not_invoiceable": Reason(
        "所选账单或储值卡在申请时已被其他开票申请占用。",
        "如仍有可开票金额，可手动点击「立即申请」，或等待下月自动申请。",
        "The bills or cards were taken by another invoice request at the same moment.",
        "Request Now by hand if anything is still invoiceable, or wait for next month's run.",
    ),
    "validation_error": Reason(
        "可开票的账单和储值卡超过一次申请的上限（500 项）。",
        "请手动分批申请开票。",
        "More bills and stored-value cards are invoiceable than one request may hold (500).",
        "Request the invoices by hand, in several requests.",
    ),
    "invoice_limit_exceeded": Reason(
        "某一开票方的申请所需发票张数超过一次开具的上限（单张发票限额）。",
        "请手动分批申请开票。",
        "One seller's request would need more invoices than one issue takes (its per-invoice limit).",
        "Request the invoices by hand, in several requests.",
    ),
}
_UNKNOWN = Reason(
    "开票申请被拒绝。",
    "请在「发票管理」中查看可开票金额旁的提示。",
    "The invoice request was refused.",
    "See what blocks it beside Request Now in Invoice Management.",
)


TEMPLATE = "auto_invoicing_skipped"


@template(TEMPLATE)
def _skipped(ctx: Mapping[str, Any]) -> Rendered:
    """Rendered by the worker from the context captured when the month was skipped."""
    month, code = str(ctx["month"]), str(ctx["code"])
    reason = REASONS.get(code, _UNKNOWN)
    return bilingual(
        subject=(f"{month} 自动开票未提交", f"Automatic invoicing for {month} was skipped"),
        zh=Section(
            greeting=f"{ctx['recipient']}，您好：",
            paragraphs=[
                f"{month} 的自动开票申请未能提交，本月没有申请任何发票。",
                f"原因：{reason.zh}",
                f"处理方法：{reason.zh_fix}",
                "您也可以随时在费用中心的“发票管理”中点击“立即申请”手动开票；下月将再次自动申请。",
            ],
            facts=[("月份", month), ("原因代码", code)],
        ),
        en=Section(
            greeting=f"Dear {ctx['recipient']},",
            paragraphs=[
                f"The automatic invoice request for {month} could not be made: "
                "nothing was requested this month.",
                f"Why: {reason.en}",
                f"How to fix it: {reason.en_fix}",
                "You can request invoices by hand at any time with Request Now in Invoice Management; "
                "next month's run tries again.",
            ],
            facts=[("Month", month), ("Code", code)],
        ),
    )


_LIVE_EMAILS = (
    select(MailingAddress.id, MailingAddress.email, MailingAddress.recipient)
    .where(MailingAddress.deleted_at.is_(None), MailingAddress.email.is_not(None))
    .order_by(MailingAddress.is_default.desc(), MailingAddress.created_at.desc(), MailingAddress.id)
)


async def recipient(session: AsyncSession, setting: AutoInvoicingSetting) -> tuple[str, str] | None:
    """(email, name) of the chosen address; else of the account's default (or newest) address with
    an email; None when the account has no email at all."""
    rows = (await session.execute(_LIVE_EMAILS.where(MailingAddress.account_id == setting.account_id))).all()
    chosen = next((row for row in rows if row.id == setting.address_id), rows[0] if rows else None)
    return (chosen.email, chosen.recipient) if chosen is not None else None


async def skipped(session: AsyncSession, setting: AutoInvoicingSetting, month: str, code: str) -> None:
    """Queue the email in the caller's transaction: the worker sends it once the skip is committed."""
    found = await recipient(session, setting)
    if found is None:
        logger.warning(
            "auto-invoicing skip not emailed: the account has no address with an email",
            extra={"account_id": str(setting.account_id), "code": code},
        )
        return
    email, name = found
    await enqueue_mail(session, TEMPLATE, [email], {"month": month, "code": code, "recipient": name})
