"""How a document's figures are written, shared by the PDF and the XML: amounts, rates, dates."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from app.core.money import format_money

# Invoice dates are China Standard Time (no daylight saving): the date the tax platform prints.
CHINA_TIME = timezone(timedelta(hours=8), "CST")


def money(fen: int) -> str:
    """Two decimals, no thousands separator: "1000.00", "-56.60" (what the API writes)."""
    return format_money(fen)


def rate_percent(rate: str) -> str:
    """ "0.06" → "6%", "0.015" → "1.5%", "0.00" → "0%" (as the tax platform prints 税率/征收率)."""
    try:
        value = Decimal(rate)
    except InvalidOperation as exc:
        raise ValueError(f"tax rate {rate!r} is not a decimal") from exc
    percent = (value * 100).normalize()
    return f"{percent:f}%"


def china_date(moment: datetime) -> str:
    """The invoice date in China: 2026年12月03日."""
    local = moment.astimezone(CHINA_TIME)
    return f"{local.year:04d}年{local.month:02d}月{local.day:02d}日"


def china_timestamp(moment: datetime) -> str:
    """ISO 8601 with the +08:00 offset, as the e-invoice XML carries its issue time."""
    return moment.astimezone(CHINA_TIME).isoformat(timespec="seconds")
