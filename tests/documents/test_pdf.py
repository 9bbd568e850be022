"""The PDFs, read back with pypdf: the preview and the issued invoice carry the seller, the buyer,
every line's name, code, rate and amounts, and the totals in figures and in capitals."""

import io
from pathlib import Path

import pypdf
import pytest

from app.documents import (
    PREVIEW_MARK,
    DocumentLine,
    FontNotFound,
    find_cjk_font,
    render_draft_preview,
    render_invoice,
    to_chinese_capitals,
)
from app.documents.fonts import KNOWN_FONT_PATHS
from app.documents.formatting import money
from tests.documents.samples import BUYER, LINES, NUMBER, SELLER, draft, issued


def _pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _tokens(text: str) -> list[str]:
    return text.split()


def _assert_parties_lines_and_totals(text: str) -> None:
    tokens = _tokens(text)
    for party in (SELLER, BUYER):
        assert f"名称：{party.name}" in text
        assert f"纳税人识别号：{party.taxpayer_id}" in text
    assert f"开户行及账号：{SELLER.bank_name} {SELLER.bank_account}" in text
    assert f"{SELLER.phone}" in text
    for line in LINES:
        assert line.item_name in text
        assert line.tax_category_code in tokens
        for amount in (line.amount, line.amount_excluding_tax, line.tax_amount):
            assert money(amount) in tokens, money(amount)
    assert "6%" in tokens and "13%" in tokens
    # The totals row and 价税合计 in figures and in capitals.
    assert "¥1833.05" in tokens and "¥172.25" in tokens and "¥2005.30" in tokens
    assert "（小写）¥2005.30" in tokens
    assert to_chinese_capitals(200530) == "贰仟零伍元叁角"
    assert "贰仟零伍元叁角" in tokens


def test_the_preview_is_marked_and_carries_everything() -> None:
    pages = _pages(render_draft_preview(draft()))
    assert len(pages) == 1
    text = pages[0]
    assert PREVIEW_MARK in text
    assert "电子发票（普通发票）" in text
    assert "发票号码：（未开具）" in text
    _assert_parties_lines_and_totals(text)


def test_an_issued_invoice_carries_its_number_date_and_no_preview_mark() -> None:
    text = "\n".join(_pages(render_invoice(issued(issuer_name="张三"))))
    assert f"发票号码：{NUMBER}" in text
    assert "开票日期：2026年12月04日" in text  # 17:30 UTC is the next day in China
    assert "预览" not in text and "preview" not in text
    assert "备注 账期 2026-11" in text
    assert "开票人：张三" in text
    _assert_parties_lines_and_totals(text)


def test_a_draft_of_several_invoices_is_one_preview_with_a_page_each() -> None:
    first, second = draft(lines=LINES[:1]), draft(lines=LINES[1:])
    pages = _pages(render_draft_preview([first, second]))
    assert len(pages) == 2
    assert "第 1 张，共 2 张" in pages[0] and "第 2 张，共 2 张" in pages[1]
    assert all(PREVIEW_MARK in page for page in pages)
    assert "1000.00" in _tokens(pages[0]) and "1000.00" not in _tokens(pages[1])
    assert "1005.30" in _tokens(pages[1]) and "1005.30" not in _tokens(pages[0])
    assert to_chinese_capitals(100000) in _tokens(pages[0])
    assert to_chinese_capitals(100530) in _tokens(pages[1])
    with pytest.raises(ValueError, match="at least one invoice"):
        render_draft_preview([])


def test_an_invoice_without_its_number_is_not_rendered_as_issued() -> None:
    with pytest.raises(ValueError, match="number and issued_at"):
        render_invoice(draft())


def test_a_red_letter_invoice_shows_negative_amounts_and_its_blue_number() -> None:
    red_lines = tuple(
        DocumentLine(
            line.item_name,
            line.tax_category_code,
            line.tax_rate,
            -line.amount,
            -line.amount_excluding_tax,
            -line.tax_amount,
        )
        for line in LINES
    )
    text = _pages(render_invoice(issued(lines=red_lines, blue_number="26332000000000000001")))[0]
    tokens = _tokens(text)
    assert "对应蓝字发票号码：26332000000000000001" in text
    assert "-943.40" in tokens and "-56.60" in tokens and "-1000.00" in tokens
    assert "¥-2005.30" in tokens
    assert "负贰仟零伍元叁角" in tokens


def test_many_lines_flow_onto_further_pages_and_none_is_lost() -> None:
    lines = tuple(
        DocumentLine(
            f"*信息技术服务*云服务费 第{i}项", "3040201000000000000", "0.06", 10600 + i, 10000 + i, 600
        )
        for i in range(80)
    )
    pages = _pages(render_draft_preview(draft(lines=lines)))
    assert len(pages) > 1
    assert all(PREVIEW_MARK in page for page in pages)
    assert all("项目名称" in page for page in pages)  # the column headings repeat
    tokens = _tokens("\n".join(pages))
    for line in lines:
        assert money(line.amount) in tokens
        assert money(line.amount_excluding_tax) in tokens
    total = sum(line.amount for line in lines)
    assert f"¥{money(total)}" in tokens
    assert to_chinese_capitals(total) in tokens


def test_long_names_wrap_inside_their_cell() -> None:
    name = "*信息技术服务*" + "弹性计算云服务器按量付费实例" * 6
    line = DocumentLine(name, "3040201000000000000", "0.06", 100000, 94340, 5660)
    text = _pages(render_draft_preview(draft(lines=(line,))))[0]
    assert name in "".join(text.split())


def test_the_same_draft_renders_to_the_same_bytes() -> None:
    assert render_draft_preview(draft()) == render_draft_preview(draft())


def test_an_unusable_configured_font_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.ttf"
    with pytest.raises(FontNotFound, match=r"INVOICING_PDF_FONT_PATH=.*nowhere\.ttf does not exist"):
        render_draft_preview(draft(), font_path=missing)
    not_a_font = tmp_path / "font.txt"
    not_a_font.write_text("hello")
    with pytest.raises(FontNotFound, match=r"must be a \.ttf, \.otf, \.ttc or \.otc"):
        find_cjk_font(not_a_font)
    broken = tmp_path / "broken.ttc"
    broken.write_bytes(b"not a font collection")
    with pytest.raises(FontNotFound, match="not a font collection"):
        find_cjk_font(broken)


def test_the_setting_chooses_the_font(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from app.core.settings import Settings
    from app.documents import fonts

    configured = Settings(pdf_font_path=tmp_path / "configured.ttf")
    monkeypatch.setattr(fonts, "get_settings", lambda: configured)
    with pytest.raises(FontNotFound, match=r"INVOICING_PDF_FONT_PATH=.*configured\.ttf"):
        render_draft_preview(draft())
    monkeypatch.setattr(fonts, "get_settings", lambda: Settings())
    assert find_cjk_font().path in KNOWN_FONT_PATHS


NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


@pytest.mark.skipif(not NOTO.is_file(), reason="needs fonts-noto-cjk (.ci/run installs it)")
def test_of_a_collection_the_simplified_chinese_face_is_taken() -> None:
    font = find_cjk_font(NOTO)
    assert font.face == 2  # JP, KR, SC, TC, HK
    assert render_draft_preview(draft(), font_path=NOTO).startswith(b"%PDF-")
