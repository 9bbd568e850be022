"""Email templates: a subject, a plain-text and an HTML body, each in Chinese then English.

A template is a function of a JSON context (captured when the mail is enqueued), registered by
name; `enqueue_mail(session, "<name>", to, context)` refuses names that are not registered. Add
one with:

    @template("auto_invoicing_skipped")
    def _skipped(ctx: Mapping[str, Any]) -> Rendered:
        return bilingual(
            subject=("自动开票未执行", "Automatic invoicing was skipped"),
            zh=Section(greeting=..., paragraphs=[...], facts=[("月份", ctx["month"])]),
            en=Section(greeting=..., paragraphs=[...], facts=[("Month", ctx["month"])]),
        )

Values are escaped for HTML here; templates pass plain strings.
"""

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Section:
    """One language's body: a greeting, paragraphs, then a table of facts (label, value)."""

    greeting: str
    paragraphs: Sequence[str]
    facts: Sequence[tuple[str, str]] = field(default_factory=tuple)
    closing: str = ""


Template = Callable[[Mapping[str, Any]], Rendered]
TEMPLATES: dict[str, Template] = {}


def template(name: str) -> Callable[[Template], Template]:
    def register(function: Template) -> Template:
        if name in TEMPLATES:
            raise ValueError(f"mail template {name} is registered twice")
        TEMPLATES[name] = function
        return function

    return register


def render(name: str, context: Mapping[str, Any]) -> Rendered:
    return TEMPLATES[name](context)


def _text(section: Section) -> str:
    lines = [section.greeting, ""]
    for paragraph in section.paragraphs:
        lines += [paragraph, ""]
    for label, value in section.facts:
        lines.append(f"  {label}: {value}")
    if section.facts:
        lines.append("")
    if section.closing:
        lines += [section.closing, ""]
    return "\n".join(lines)


def _html(section: Section, lang: str) -> str:
    parts = [f'<div lang="{lang}">', f"<p>{html.escape(section.greeting)}</p>"]
    parts += [f"<p>{html.escape(paragraph)}</p>" for paragraph in section.paragraphs]
    if section.facts:
        rows = "".join(
            f'<tr><th align="left" style="padding:2px 12px 2px 0">{html.escape(label)}</th>'
            f"<td>{html.escape(value)}</td></tr>"
            for label, value in section.facts
        )
        parts.append(f"<table>{rows}</table>")
    if section.closing:
        parts.append(f"<p>{html.escape(section.closing)}</p>")
    parts.append("</div>")
    return "".join(parts)


def bilingual(*, subject: tuple[str, str], zh: Section, en: Section) -> Rendered:
    subject_line = f"{subject[0]} | {subject[1]}"
    text = f"{_text(zh)}\n----------------------------------------\n\n{_text(en)}"
    body = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(subject_line)}</title></head>"
        '<body style="font-family:sans-serif;line-height:1.5">'
        f"{_html(zh, 'zh-CN')}<hr>{_html(en, 'en')}</body></html>"
    )
    return Rendered(subject=subject_line, text=text, html=body)


# --- the service's messages ------------------------------------------------------------------

_TYPES_ZH = {
    "electronic_ordinary": "电子普通发票",
    "vat_ordinary": "增值税普通发票",
    "vat_special": "增值税专用发票",
    "digital_special": "电子发票（增值税专用发票）",
    "digital_ordinary": "电子发票（普通发票）",
}
_TYPES_EN = {
    "electronic_ordinary": "electronic ordinary invoice",
    "vat_ordinary": "VAT ordinary invoice (paper)",
    "vat_special": "VAT special invoice (paper)",
    "digital_special": "digital VAT special invoice",
    "digital_ordinary": "digital ordinary invoice",
}


def _short(request_id: str) -> str:
    return request_id.split("-")[0]


def _numbers(ctx: Mapping[str, Any]) -> str:
    return ", ".join(str(invoice["number"]) for invoice in ctx.get("invoices", []))


@template("invoice_delivered")
def _invoice_delivered(ctx: Mapping[str, Any]) -> Rendered:
    ref = _short(ctx["request_id"])
    kind = str(ctx["invoice_type"])
    return bilingual(
        subject=(f"您的发票已开具（申请 {ref}）", f"Your invoices are ready (request {ref})"),
        zh=Section(
            greeting=f"{ctx['recipient']}，您好：",
            paragraphs=[
                f"您申请的{_TYPES_ZH.get(kind, kind)}已开具，"
                "发票文件见附件（PDF，另附 OFD/XML 版式文件如有）。",
                "您也可以在费用中心的“发票管理”中随时下载。",
            ],
            facts=[
                ("发票抬头", str(ctx.get("title", ""))),
                ("发票号码", _numbers(ctx)),
                ("金额（元）", str(ctx["amount"])),
                ("申请编号", str(ctx["request_id"])),
            ],
            closing="此邮件由系统自动发送，请勿直接回复。",
        ),
        en=Section(
            greeting=f"Dear {ctx['recipient']},",
            paragraphs=[
                f"Your {_TYPES_EN.get(kind, kind)} has been issued. The invoice files are attached "
                "(PDF, and OFD/XML where available).",
                "You can also download them at any time under Invoice Management in the billing center.",
            ],
            facts=[
                ("Invoice title", str(ctx.get("title", ""))),
                ("Invoice numbers", _numbers(ctx)),
                ("Amount (CNY)", str(ctx["amount"])),
                ("Request", str(ctx["request_id"])),
            ],
            closing="This message was sent automatically; please do not reply.",
        ),
    )


@template("paper_shipped")
def _paper_shipped(ctx: Mapping[str, Any]) -> Rendered:
    ref = _short(ctx["request_id"])
    carrier = str(ctx.get("carrier") or "-")
    tracking = str(ctx.get("tracking_number") or "-")
    return bilingual(
        subject=(
            f"您的纸质发票已寄出（申请 {ref}）",
            f"Your paper invoices are on their way (request {ref})",
        ),
        zh=Section(
            greeting=f"{ctx['recipient']}，您好：",
            paragraphs=["您申请的纸质发票已寄出，可凭快递单号查询物流。"],
            facts=[
                ("快递公司", carrier),
                ("快递单号", tracking),
                ("收件地址", str(ctx.get("address") or "")),
                ("发票号码", _numbers(ctx)),
                ("金额（元）", str(ctx["amount"])),
                ("申请编号", str(ctx["request_id"])),
            ],
            closing="此邮件由系统自动发送，请勿直接回复。",
        ),
        en=Section(
            greeting=f"Dear {ctx['recipient']},",
            paragraphs=["Your paper invoices have been shipped; track them with the number below."],
            facts=[
                ("Carrier", carrier),
                ("Tracking number", tracking),
                ("Shipping address", str(ctx.get("address") or "")),
                ("Invoice numbers", _numbers(ctx)),
                ("Amount (CNY)", str(ctx["amount"])),
                ("Request", str(ctx["request_id"])),
            ],
            closing="This message was sent automatically; please do not reply.",
        ),
    )


@template("request_rejected")
def _request_rejected(ctx: Mapping[str, Any]) -> Rendered:
    ref = _short(ctx["request_id"])
    return bilingual(
        subject=(f"您的开票申请未通过（申请 {ref}）", f"Your invoice request was rejected (request {ref})"),
        zh=Section(
            greeting=f"{ctx['recipient']}，您好：",
            paragraphs=[
                "很抱歉，您的开票申请未通过审核。申请中的账单与储值卡金额已退回，修改后可重新申请。",
            ],
            facts=[
                ("原因", str(ctx["reason"])),
                ("金额（元）", str(ctx["amount"])),
                ("申请编号", str(ctx["request_id"])),
            ],
            closing="此邮件由系统自动发送，请勿直接回复。",
        ),
        en=Section(
            greeting=f"Dear {ctx['recipient']},",
            paragraphs=[
                "We are sorry: your invoice request was rejected. The amounts of its bills and cards are "
                "available again; you can correct the request and submit it anew.",
            ],
            facts=[
                ("Reason", str(ctx["reason"])),
                ("Amount (CNY)", str(ctx["amount"])),
                ("Request", str(ctx["request_id"])),
            ],
            closing="This message was sent automatically; please do not reply.",
        ),
    )


@template("red_letter_confirmation")
def _red_letter_confirmation(ctx: Mapping[str, Any]) -> Rendered:
    ref = _short(ctx["request_id"])
    deadline = str(ctx["expires_at"])
    return bilingual(
        subject=(
            f"请确认红字发票（申请 {ref}）",
            f"Please confirm the red-letter reversal (request {ref})",
        ),
        zh=Section(
            greeting=f"{ctx['recipient']}，您好：",
            paragraphs=[
                "我们需要冲红（作废并开具红字发票）以下已开具的发票。由于发票可能已用于抵扣或入账，"
                "冲红需经您确认。",
                f"请在 {deadline}（UTC）前，在费用中心的“发票管理”中确认或拒绝；逾期未答复，"
                "冲红将自动撤回，原发票继续有效。",
            ],
            facts=[
                ("发票号码", _numbers(ctx)),
                ("金额（元）", str(ctx["amount"])),
                ("原因", str(ctx["reason"])),
                ("确认截止（UTC）", deadline),
                ("申请编号", str(ctx["request_id"])),
            ],
            closing="此邮件由系统自动发送，请勿直接回复。",
        ),
        en=Section(
            greeting=f"Dear {ctx['recipient']},",
            paragraphs=[
                "We need to reverse the invoices below with red-letter invoices. As you may already have "
                "used them for input-tax deduction or booked them, the reversal needs your confirmation.",
                f"Please confirm or decline under Invoice Management in the billing center by {deadline} "
                "(UTC). Without an answer by then, the reversal is withdrawn and the invoices stand.",
            ],
            facts=[
                ("Invoice numbers", _numbers(ctx)),
                ("Amount (CNY)", str(ctx["amount"])),
                ("Reason", str(ctx["reason"])),
                ("Deadline (UTC)", deadline),
                ("Request", str(ctx["request_id"])),
            ],
            closing="This message was sent automatically; please do not reply.",
        ),
    )


def _red_numbers(ctx: Mapping[str, Any]) -> str:
    return ", ".join(f"{red['number']} ({red['blue_number']})" for red in ctx.get("red_invoices", []))


@template("reversal_completed")
def _reversal_completed(ctx: Mapping[str, Any]) -> Rendered:
    ref = _short(ctx["request_id"])
    return bilingual(
        subject=(f"您的发票已冲红（申请 {ref}）", f"Your invoices were reversed (request {ref})"),
        zh=Section(
            greeting=f"{ctx['recipient']}，您好：",
            paragraphs=[
                "以下发票已开具红字发票冲销，原发票不再有效。"
                + ("替换的开票申请将随后开具。" if ctx.get("replaced_by_request_id") else ""),
            ],
            facts=[
                ("红字发票号码（对应蓝字发票）", _red_numbers(ctx)),
                ("冲销金额（元）", f"-{ctx['amount']}"),
                ("申请编号", str(ctx["request_id"])),
            ],
            closing="此邮件由系统自动发送，请勿直接回复。",
        ),
        en=Section(
            greeting=f"Dear {ctx['recipient']},",
            paragraphs=[
                "Red-letter invoices now reverse the invoices below, which no longer stand."
                + (
                    " The replacing request will be issued next." if ctx.get("replaced_by_request_id") else ""
                ),
            ],
            facts=[
                ("Red-letter numbers (blue invoice)", _red_numbers(ctx)),
                ("Amount reversed (CNY)", f"-{ctx['amount']}"),
                ("Request", str(ctx["request_id"])),
            ],
            closing="This message was sent automatically; please do not reply.",
        ),
    )
