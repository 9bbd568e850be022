"""Sample documents for the renderer tests: a seller, a buyer and lines at two rates."""

from datetime import UTC, datetime

from app.documents import DocumentLine, InvoiceDocument, Party

SELLER = Party(
    name="杭州示例云计算有限公司",
    taxpayer_id="91330100MA27XL0G5K",
    address="杭州市西湖区文三路 1 号",
    phone="0571-88880000",
    bank_name="招商银行杭州分行",
    bank_account="571900000000001",
)
BUYER = Party(name="北京某某科技有限公司", taxpayer_id="91110108MA01ABCD1X")
# 1,000.00 at 6 % (SPEC §7's worked example) and 1,005.30 at 13 %.
LINES = (
    DocumentLine("*信息技术服务*云服务费", "3040201000000000000", "0.06", 100000, 94340, 5660),
    DocumentLine("*信息技术服务*对象存储", "3040203000000000000", "0.13", 100530, 88965, 11565),
)
ISSUED_AT = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)  # 2026-12-04 01:30 in China
NUMBER = "26332000000012345678"


def draft(**changes: object) -> InvoiceDocument:
    fields: dict[str, object] = {
        "seller": SELLER,
        "buyer": BUYER,
        "lines": LINES,
        "invoice_type": "digital_ordinary",
    }
    fields.update(changes)
    return InvoiceDocument(**fields)  # type: ignore[arg-type]


def issued(**changes: object) -> InvoiceDocument:
    fields: dict[str, object] = {"number": NUMBER, "issued_at": ISSUED_AT, "remark": "账期 2026-11"}
    fields.update(changes)
    return draft(**fields)
