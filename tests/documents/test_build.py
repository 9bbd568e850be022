"""Documents from the API's JSON shapes: a seller, a profile snapshot and a draft of two invoices."""

import io

import pypdf
import pytest

from app.documents import draft_documents, render_draft_preview

SELLER = {
    "id": "0b7e1e0c-8a4e-4c1e-9a53-2f1d7c3b9a10",
    "name": "杭州示例云计算有限公司",
    "taxpayer_id": "91330100MA27XL0G5K",
    "address": "杭州市西湖区文三路 1 号",
    "phone": "0571-88880000",
    "bank_name": None,
    "bank_account": "",
}
PROFILE = {
    "invoice_type": "digital_special",
    "title": "北京某某科技有限公司",
    "taxpayer_id": "91110108MA01ABCD1X",
    "registered_address": "北京市海淀区中关村大街 1 号",
    "registered_phone": "010-66668888",
    "bank_name": "招商银行北京分行",
    "bank_account": "110900000000001",
}
LINE = {
    "item_name": "*信息技术服务*云服务费",
    "tax_category_code": "3040201000000000000",
    "tax_rate": "0.06",
    "amount": "1000.00",
    "amount_excluding_tax": "943.40",
    "tax_amount": "56.60",
}
DRAFT = {
    "invoices": [
        {"amount": "1000.00", "amount_excluding_tax": "943.40", "tax_amount": "56.60", "lines": [LINE]},
        {
            "amount": "500.00",
            "amount_excluding_tax": "471.70",
            "tax_amount": "28.30",
            "lines": [dict(LINE, amount="500.00", amount_excluding_tax="471.70", tax_amount="28.30")],
        },
    ]
}


def _pages(pdf: bytes) -> list[list[str]]:
    return [page.extract_text().split() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def test_a_draft_gives_one_document_per_invoice() -> None:
    docs = draft_documents(seller=SELLER, profile=PROFILE, draft=DRAFT, invoice_type="digital_special")
    assert [doc.amount for doc in docs] == [100000, 50000]
    first = docs[0]
    assert first.seller.name == SELLER["name"] and first.seller.bank_name is None
    assert first.seller.bank_account is None  # an empty string is no value
    assert first.buyer.name == PROFILE["title"]
    assert first.buyer.address == PROFILE["registered_address"]
    assert first.buyer.phone == PROFILE["registered_phone"]
    assert first.lines[0].tax_amount == 5660 and first.lines[0].amount_excluding_tax == 94340
    assert first.title == "电子发票（增值税专用发票）" and not first.is_issued
    pages = _pages(render_draft_preview(docs))
    assert "1000.00" in pages[0] and "500.00" in pages[1]


def test_totals_that_are_not_the_sums_of_the_lines_are_refused() -> None:
    wrong = {"invoices": [dict(DRAFT["invoices"][0], tax_amount="56.61")]}
    with pytest.raises(ValueError, match="tax_amount is not the sum"):
        draft_documents(seller=SELLER, profile=PROFILE, draft=wrong, invoice_type="digital_special")
