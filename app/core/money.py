"""Money: integer fen inside and in storage, a two-decimal CNY string in JSON, never a float."""

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

MAX_INTEGER_DIGITS = 12
MAX_FEN = 10**MAX_INTEGER_DIGITS * 100 - 1
_AMOUNT = re.compile(r"-?\d{1,12}(?:\.\d{1,2})?")
_PATTERN = r"^-?\d{1,12}(\.\d{1,2})?$"
_MONEY_HELP = 'a decimal string with at most two decimals, such as "1024.50", or an integer'


def parse_money(value: object) -> int:
    """Parse an API amount into integer fen; reject floats, bools and anything imprecise."""
    if isinstance(value, bool):
        raise ValueError(f"must be {_MONEY_HELP}")
    if isinstance(value, int):
        if abs(value) >= 10**MAX_INTEGER_DIGITS:
            raise ValueError(f"must have at most {MAX_INTEGER_DIGITS} integer digits")
        return value * 100
    if isinstance(value, str):
        if not _AMOUNT.fullmatch(value):
            raise ValueError(f"must be {_MONEY_HELP}")
        return int(Decimal(value) * 100)
    raise ValueError(f"must be {_MONEY_HELP}")


def parse_non_negative_money(value: object) -> int:
    fen = parse_money(value)
    if fen < 0:
        raise ValueError("must not be negative")
    return fen


def format_money(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


def to_decimal(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


_IN_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": _PATTERN, "examples": ["1024.50"]},
        {"type": "integer", "minimum": -(10**MAX_INTEGER_DIGITS - 1), "maximum": 10**MAX_INTEGER_DIGITS - 1},
    ],
    "description": f"CNY amount: {_MONEY_HELP}",
}
_NON_NEGATIVE_IN_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": r"^\d{1,12}(\.\d{1,2})?$", "examples": ["1024.50"]},
        {"type": "integer", "minimum": 0, "maximum": 10**MAX_INTEGER_DIGITS - 1},
    ],
    "description": f"Non-negative CNY amount: {_MONEY_HELP}",
}
_OUT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^-?\d+\.\d{2}$",
    "examples": ["1024.50"],
    "description": "CNY amount with exactly two decimals",
}

_serialize = PlainSerializer(format_money, return_type=str)

# Request fields: any sign (e.g. a cash balance in arrears).
MoneyIn = Annotated[
    int, BeforeValidator(parse_money), _serialize, WithJsonSchema(_IN_SCHEMA, mode="validation")
]
# Request fields that must be >= 0.
NonNegativeMoneyIn = Annotated[
    int,
    BeforeValidator(parse_non_negative_money),
    _serialize,
    WithJsonSchema(_NON_NEGATIVE_IN_SCHEMA, mode="validation"),
]
# Response fields: integer fen rendered as "1024.50".
MoneyOut = Annotated[int, _serialize, WithJsonSchema(_OUT_SCHEMA, mode="serialization")]
