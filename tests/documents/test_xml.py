"""The invoice XML: well-formed UTF-8 without a DTD, the same data as the PDF, accepted as the
service's own `xml` file format."""

from defusedxml.ElementTree import fromstring

from app.documents import Party, render_invoice_xml, to_chinese_capitals
from app.documents.formatting import money
from app.requests.filetypes import FileFormat, is_format
from tests.documents.samples import BUYER, LINES, NUMBER, SELLER, draft, issued


def test_the_xml_carries_the_whole_invoice() -> None:
    body = render_invoice_xml(issued())
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b"<!DOCTYPE" not in body
    root = fromstring(body)
    assert root.tag == "Invoice"
    assert root.attrib == {"version": "1", "type": "digital_ordinary", "status": "issued"}
    assert root.findtext("Title") == "电子发票（普通发票）"
    assert root.findtext("Number") == NUMBER
    assert root.findtext("IssuedAt") == "2026-12-04T01:30:00+08:00"
    assert root.findtext("Remark") == "账期 2026-11"
    seller = root.find("Seller")
    assert seller is not None
    assert seller.findtext("Name") == SELLER.name
    assert seller.findtext("TaxpayerId") == SELLER.taxpayer_id
    assert seller.findtext("Address") == SELLER.address
    assert seller.findtext("Phone") == SELLER.phone
    assert seller.findtext("BankName") == SELLER.bank_name
    assert seller.findtext("BankAccount") == SELLER.bank_account
    buyer = root.find("Buyer")
    assert buyer is not None
    assert buyer.findtext("Name") == BUYER.name
    assert buyer.findtext("TaxpayerId") == BUYER.taxpayer_id
    assert buyer.find("BankName") is None  # an absent field is an absent element
    lines = root.findall("Lines/Line")
    assert [line.get("position") for line in lines] == ["1", "2"]
    for element, line in zip(lines, LINES, strict=True):
        assert element.findtext("ItemName") == line.item_name
        assert element.findtext("TaxCategoryCode") == line.tax_category_code
        assert element.findtext("TaxRate") == line.tax_rate
        assert element.findtext("Amount") == money(line.amount)
        assert element.findtext("AmountExcludingTax") == money(line.amount_excluding_tax)
        assert element.findtext("TaxAmount") == money(line.tax_amount)
    totals = root.find("Totals")
    assert totals is not None
    assert totals.get("currency") == "CNY"
    assert totals.findtext("Amount") == "2005.30"
    assert totals.findtext("AmountExcludingTax") == "1833.05"
    assert totals.findtext("TaxAmount") == "172.25"
    assert totals.findtext("AmountInCapitals") == to_chinese_capitals(200530) == "贰仟零伍元叁角"


def test_a_draft_has_no_number_or_date() -> None:
    root = fromstring(render_invoice_xml(draft()))
    assert root.get("status") == "draft"
    assert root.find("Number") is None
    assert root.find("IssuedAt") is None


def test_markup_in_names_is_escaped_text() -> None:
    buyer = Party(name='A&B <"公司"> ]]>', taxpayer_id="91110108MA01ABCD1X")
    body = render_invoice_xml(issued(buyer=buyer, remark="<script>&amp;"))
    root = fromstring(body)
    assert root.findtext("Buyer/Name") == buyer.name
    assert root.findtext("Remark") == "<script>&amp;"


def test_the_service_accepts_it_as_an_xml_invoice_file() -> None:
    assert is_format(render_invoice_xml(issued()), FileFormat.xml)


def test_a_red_letter_invoice_names_its_blue_invoice() -> None:
    root = fromstring(render_invoice_xml(issued(blue_number="26332000000000000001")))
    assert root.findtext("BlueNumber") == "26332000000000000001"
