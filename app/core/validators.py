"""Field formats shared by request schemas: phone numbers, taxpayer ids, bounded single-line text."""

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumValidationError

# ASCII digits only ([0-9], not \d, which also matches full-width and other Unicode digits).
# A mainland mobile number: 11 digits starting with 1.
_MOBILE = re.compile(r"1[0-9]{10}")
# A fixed line: area code (0 + 2 or 3 digits, e.g. 010, 0571), an optional hyphen, then a
# 7- or 8-digit local number. No spaces, no extension.
_FIXED_LINE = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}")
PHONE_PATTERN = r"^(1[0-9]{10}|0[0-9]{2,3}-?[0-9]{7,8})$"
PHONE_HELP = (
    "a mainland mobile number (11 digits starting with 1, e.g. 13812345678) or a fixed line "
    "with its area code, hyphen optional (e.g. 010-12345678, 057188888888)"
)

_USCC_CHARACTERS = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{18}")
USCC_HELP = (
    "an 18-character Unified Social Credit Code (GB 32100-2015): digits and letters "
    "other than I, O, S, V and Z, with a valid check character"
)


def is_phone(value: str) -> bool:
    return bool(_MOBILE.fullmatch(value) or _FIXED_LINE.fullmatch(value))


def validate_phone(value: str) -> str:
    if not is_phone(value):
        raise ValueError(f"must be {PHONE_HELP}")
    return value


def normalize_taxpayer_id(value: str) -> str:
    """Upper-case, then check the characters and the check digit; raise ValueError if invalid."""
    value = value.upper()
    if not _USCC_CHARACTERS.fullmatch(value):
        raise ValueError(f"must be {USCC_HELP}")
    try:
        uscc.validate(value)
    except StdnumValidationError:
        raise ValueError(f"must be {USCC_HELP}") from None
    return value


def _single_line(value: str) -> str:
    if "\n" in value or "\r" in value or "\t" in value:
        raise ValueError("must be a single line")
    return value


def _blank_to_none(value: object) -> object:
    """Optional text: an empty or whitespace-only string means 'not given' (as null does)."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


SingleLine = AfterValidator(_single_line)
BlankIsNull = BeforeValidator(_blank_to_none)

Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=20),
    AfterValidator(validate_phone),
    WithJsonSchema({"type": "string", "pattern": PHONE_PATTERN, "examples": ["13812345678", "010-12345678"]}),
]
TaxpayerId = Annotated[
    str,
    StringConstraints(max_length=18),
    AfterValidator(normalize_taxpayer_id),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 18,
            "maxLength": 18,
            "description": f"{USCC_HELP}; upper-cased on input",
            "examples": ["91350100M000100Y43"],
        }
    ),
]
