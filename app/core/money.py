"""Money: integer fen inside and in storage, a two-decimal CNY string in JSON, never a float."""

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

# The one limit of every amount: at most 12 integer digits (yuan), the regexes and schemas below say it.
MAX_INTEGER_DIGITS = 12
_MAX_YUAN = 10**MAX_INTEGER_DIGITS - 1
_DIGITS = f"[0-9]{{1,{MAX_INTEGER_DIGITS}}}"  # ASCII only: \d would also take other scripts' digits
_AMOUNT = re.compile(rf"-?{_DIGITS}(?:\.[0-9]{{1,2}})?")
_PATTERN = rf"^-?{_DIGITS}(\.[0-9]{{1,2}})?$"
_NON_NEGATIVE_PATTERN = rf"^{_DIGITS}(\.[0-9]{{1,2}})?$"
_MONEY_HELP = 'a decimal string with at most two decimals, such as "1024.50", or an integer'


def parse_money(value: object) -> int:
    """Parse an API amount into integer fen; reject floats, bools and anything imprecise."""
    if isinstance(value, bool):
        raise ValueError(f"must be {_MONEY_HELP}")
    if isinstance(value, Decimal):
        # A JSON number written with a fraction or exponent (bodies never decode to float): only an
        # integral one is "an integer" (1027.0, 1E+3), as JSON Schema reads it. Magnitude first, so
        # 1E+100000000 is refused without building its integer.
        if not value.is_finite() or value.adjusted() >= MAX_INTEGER_DIGITS:
            raise ValueError(f"must have at most {MAX_INTEGER_DIGITS} integer digits")
        if value != value.to_integral_value():
            raise ValueError(f"must be {_MONEY_HELP}")
        value = int(value)
    if isinstance(value, int):
        if abs(value) > _MAX_YUAN:
            raise ValueError(f"must have at most {MAX_INTEGER_DIGITS} integer digits")
        return value * 100
    if isinstance(value, str):
        if not _AMOUNT.fullmatch(value):
            raise ValueError(f"must be {_MONEY_HELP}")
        return int(Decimal(value) * 100)
    raise ValueError(f"must be {_MONEY_HELP}")


def parse_non_negative_money(value: object) -> int:
    fen = parse_money(value)
    if fen < 0 or (isinstance(value, str) and value.startswith("-")):  # "-0.00" too
        raise ValueError("must not be negative")
    return fen


def parse_positive_money(value: object) -> int:
    fen = parse_non_negative_money(value)
    if fen == 0:
        raise ValueError("must be greater than zero")
    return fen


def format_money(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


_IN_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": _PATTERN, "examples": ["1024.50"]},
        {"type": "integer", "minimum": -_MAX_YUAN, "maximum": _MAX_YUAN},
    ],
    "description": f"CNY amount: {_MONEY_HELP}",
}
_NON_NEGATIVE_IN_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": _NON_NEGATIVE_PATTERN, "examples": ["1024.50"]},
        {"type": "integer", "minimum": 0, "maximum": _MAX_YUAN},
    ],
    "description": f"Non-negative CNY amount: {_MONEY_HELP}",
}
_POSITIVE_IN_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "string",
            "pattern": _NON_NEGATIVE_PATTERN,
            "not": {"pattern": r"^0+(\.0+)?$"},
            "examples": ["1024.50"],
        },
        {"type": "integer", "minimum": 1, "maximum": _MAX_YUAN},
    ],
    "description": f"CNY amount greater than zero: {_MONEY_HELP}",
}
_OUT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^-?[0-9]+\.[0-9]{2}$",
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
# Request fields that must be > 0.
PositiveMoneyIn = Annotated[
    int,
    BeforeValidator(parse_positive_money),
    _serialize,
    WithJsonSchema(_POSITIVE_IN_SCHEMA, mode="validation"),
]
# Response fields: integer fen rendered as "1024.50".
MoneyOut = Annotated[int, _serialize, WithJsonSchema(_OUT_SCHEMA, mode="serialization")]
