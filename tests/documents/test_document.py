"""The document model: totals are the sums of the lines, and a line's figures must add up."""

from datetime import datetime

import pytest

from app.documents import DocumentLine
from tests.documents.samples import LINES, draft, issued


def test_totals_are_the_sums_of_the_lines() -> None:
    doc = draft()
    assert doc.amount == 200530
    assert doc.amount_excluding_tax == 94340 + 88965
    assert doc.tax_amount == 5660 + 11565
    assert doc.amount == doc.amount_excluding_tax + doc.tax_amount


def test_a_draft_has_no_number_and_an_issued_invoice_has_one() -> None:
    assert not draft().is_issued
    assert issued().is_issued
    assert draft(invoice_type="digital_special").title == "电子发票（增值税专用发票）"
    assert draft(invoice_type="vat_special").title == "增值税专用发票"


def test_lines_are_kept_as_a_tuple() -> None:
    doc = draft(lines=list(LINES))
    assert doc.lines == LINES
    assert hash(doc) == hash(draft())


def test_a_line_whose_figures_do_not_add_up_is_refused() -> None:
    with pytest.raises(ValueError, match="amount_excluding_tax"):
        DocumentLine("*信息技术服务*云服务费", "3040201000000000000", "0.06", 100000, 94340, 5600)


def test_a_naive_issue_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        issued(issued_at=datetime(2026, 12, 3, 12, 0))


def test_a_document_survives_json_and_its_fingerprint_names_its_content() -> None:
    import json

    from app.documents import document_from_dict, document_to_dict, fingerprint

    for doc in (draft(), issued(issuer_name="张三", blue_number="26332000000000000001")):
        data = json.loads(json.dumps(document_to_dict(doc)))
        assert document_from_dict(data) == doc
        assert fingerprint(document_from_dict(data)) == fingerprint(doc)
    assert fingerprint(draft()) != fingerprint(draft(remark="x"))
    assert fingerprint(draft()) != fingerprint(draft(lines=LINES[:1]))
