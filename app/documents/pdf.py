"""Invoice PDFs (fpdf2, a CJK font): the draft preview of a request and the sandbox's issued invoice."""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from app.documents.capitals import to_chinese_capitals
from app.documents.document import DocumentLine, InvoiceDocument, Party
from app.documents.fonts import find_cjk_font
from app.documents.formatting import china_date, money, rate_percent

PREVIEW_MARK = "预览 — 非发票 / preview — not an invoice"
_FONT = "cjk"
_RED = (200, 30, 30)
_INK = (30, 30, 30)
_RULE = (160, 110, 60)  # the brown rules of a Chinese VAT invoice
# Columns of the lines table: name, code, rate, excluding tax, tax, tax-inclusive; in fractions.
_COLUMNS = ("项目名称", "税收分类编码", "税率/征收率", "金额", "税额", "价税合计")
_WIDTHS = (34, 20, 10, 12, 12, 12)
_ALIGN = ("LEFT", "CENTER", "CENTER", "RIGHT", "RIGHT", "RIGHT")
# A fixed creation date for a draft, so that the same draft always renders to the same bytes.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def render_draft_preview(
    doc: InvoiceDocument | Sequence[InvoiceDocument], *, font_path: Path | None = None
) -> bytes:
    """A PDF of a draft — one invoice, or all the invoices a request's draft will produce, each from a
    new page and numbered 第 i 张，共 n 张 — marked on every page as a preview that is not an invoice.
    Number and date may be unset."""
    docs = (doc,) if isinstance(doc, InvoiceDocument) else tuple(doc)
    if not docs:
        raise ValueError("a draft preview needs at least one invoice")
    return _render(docs, preview=True, font_path=font_path)


def render_invoice(doc: InvoiceDocument, *, font_path: Path | None = None) -> bytes:
    """A PDF of an issued invoice: number, date, seller, buyer, each line's name, code, rate, amount
    excluding tax and tax, and the totals in figures and in capitals. `doc.number` and
    `doc.issued_at` must be set (ValueError otherwise)."""
    if doc.number is None or doc.issued_at is None:
        raise ValueError("an issued invoice needs its number and issued_at; use render_draft_preview")
    return _render((doc,), preview=False, font_path=font_path)


class _InvoicePdf(FPDF):
    def __init__(self, preview: bool) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.preview = preview

    def header(self) -> None:
        if self.preview:
            self.set_font(_FONT, size=11)
            self.set_text_color(*_RED)
            self.cell(0, 6, PREVIEW_MARK, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(*_INK)
            self._watermark()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FONT, size=8)
        self.set_text_color(120, 120, 120)
        self.cell(0, 5, f"{self.page_no()}/{{nb}}", align="C")
        self.set_text_color(*_INK)

    def _watermark(self) -> None:
        x, y = self.w / 2, self.h / 2
        self.set_font(_FONT, size=60)
        self.set_text_color(235, 200, 200)
        with self.rotation(25, x, y):
            self.text(x - 95, y + 10, "预览  非发票")
        self.set_text_color(*_INK)
        self.set_xy(self.l_margin, self.t_margin + 6)


def _render(docs: tuple[InvoiceDocument, ...], *, preview: bool, font_path: Path | None) -> bytes:
    font = find_cjk_font(font_path)
    first = docs[0]
    pdf = _InvoicePdf(preview)
    pdf.add_font(_FONT, fname=str(font.path), collection_font_number=font.face)
    pdf.set_margins(12, 10, 12)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_title(f"{first.title} {first.number}" if first.number else f"{first.title}（预览）")
    pdf.set_author(first.seller.name)
    pdf.set_creator("invoicing")
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(first.issued_at or _EPOCH)
    pdf.set_draw_color(*_RULE)
    for index, doc in enumerate(docs, start=1):
        pdf.add_page()
        _title(pdf, doc, preview, (index, len(docs)) if len(docs) > 1 else None)
        _parties(pdf, doc.buyer, doc.seller)
        _lines(pdf, doc.lines, doc)
        _totals(pdf, doc)
        _remark(pdf, doc)
    return bytes(pdf.output())


def _title(pdf: FPDF, doc: InvoiceDocument, preview: bool, place: tuple[int, int] | None) -> None:
    pdf.set_font(_FONT, size=18)
    pdf.set_text_color(*_RULE)
    pdf.cell(0, 10, doc.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    if place is not None:
        pdf.set_font(_FONT, size=10)
        pdf.cell(0, 5, f"第 {place[0]} 张，共 {place[1]} 张", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, size=10)
    number = doc.number or ("（未开具）" if preview else "")
    date = china_date(doc.issued_at) if doc.issued_at else ("（未开具）" if preview else "")
    width = pdf.epw / 2
    pdf.cell(width, 6, f"发票号码：{number}", new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.cell(width, 6, f"开票日期：{date}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.blue_number:
        pdf.cell(0, 6, f"红字发票 对应蓝字发票号码：{doc.blue_number}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _party_rows(party: Party) -> list[str]:
    rows = [f"名称：{party.name}", f"统一社会信用代码/纳税人识别号：{party.taxpayer_id or ''}"]
    address = " ".join(part for part in (party.address, party.phone) if part)
    bank = " ".join(part for part in (party.bank_name, party.bank_account) if part)
    rows.append(f"地址、电话：{address}")
    rows.append(f"开户行及账号：{bank}")
    return rows


def _parties(pdf: FPDF, buyer: Party, seller: Party) -> None:
    pdf.set_font(_FONT, size=9)
    with pdf.table(
        col_widths=(4, 46, 4, 46),
        first_row_as_headings=False,
        text_align=("CENTER", "LEFT", "CENTER", "LEFT"),
        line_height=5,
        padding=1.5,
    ) as table:
        row = table.row()
        row.cell("购\n买\n方", rowspan=1)
        row.cell("\n".join(_party_rows(buyer)))
        row.cell("销\n售\n方")
        row.cell("\n".join(_party_rows(seller)))


def _lines(pdf: FPDF, lines: Iterable[DocumentLine], doc: InvoiceDocument) -> None:
    pdf.set_font(_FONT, size=9)
    heading = FontFace(emphasis="NONE", color=_RULE, fill_color=(250, 244, 236))
    with pdf.table(
        col_widths=_WIDTHS,
        text_align=_ALIGN,
        headings_style=heading,
        borders_layout=TableBordersLayout.ALL,
        line_height=5,
        padding=1.5,
        repeat_headings=1,
    ) as table:
        row = table.row()
        for name in _COLUMNS:
            row.cell(name)
        for line in lines:
            row = table.row()
            row.cell(line.item_name)
            row.cell(line.tax_category_code)
            row.cell(rate_percent(line.tax_rate))
            row.cell(money(line.amount_excluding_tax))
            row.cell(money(line.tax_amount))
            row.cell(money(line.amount))
        row = table.row()
        row.cell("合计", colspan=3, align="CENTER")
        row.cell(f"¥{money(doc.amount_excluding_tax)}")
        row.cell(f"¥{money(doc.tax_amount)}")
        row.cell(f"¥{money(doc.amount)}")


def _totals(pdf: FPDF, doc: InvoiceDocument) -> None:
    pdf.set_font(_FONT, size=10)
    with pdf.table(
        col_widths=(16, 54, 30),
        first_row_as_headings=False,
        text_align=("CENTER", "LEFT", "LEFT"),
        line_height=6,
        padding=1.5,
    ) as table:
        row = table.row()
        row.cell("价税合计（大写）")
        row.cell(f"ⓧ {to_chinese_capitals(doc.amount)}")
        row.cell(f"（小写）¥{money(doc.amount)}")


def _remark(pdf: FPDF, doc: InvoiceDocument) -> None:
    pdf.set_font(_FONT, size=9)
    remark = doc.remark or ""
    with pdf.table(
        col_widths=(16, 84),
        first_row_as_headings=False,
        text_align=("CENTER", "LEFT"),
        line_height=5,
        padding=1.5,
    ) as table:
        row = table.row()
        row.cell("备注")
        row.cell(remark)
    if doc.issuer_name:
        pdf.ln(2)
        pdf.cell(0, 5, f"开票人：{doc.issuer_name}")
