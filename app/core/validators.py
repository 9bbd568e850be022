"""Field formats shared by request schemas: phone numbers, taxpayer ids, bounded single-line text."""

import re
from dataclasses import dataclass
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumValidationError

from app.core.schemas import FORBIDDEN_CLASS

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


_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")


def _single_line(value: str) -> str:
    if _LINE_BREAKS.search(value):
        raise ValueError("must be a single line")
    return value


def _blank_to_none(value: object) -> object:
    """Optional text: an empty or whitespace-only string means 'not given' (as null does)."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


class _BlankIsNull:
    """Validation: a blank string becomes null. Schema: a blank string is documented as accepted."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(_blank_to_none, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = dict(handler(schema))
        blank = {"type": "string", "pattern": f"^[{_TRIMMED}]*$", "description": "Blank: same as null"}
        branches = json_schema.pop("anyOf", None) or [json_schema]
        return {"anyOf": [*branches, blank]}


class _NotNullInSchema:
    """For a field that may be omitted but not null: validated as `X | None` (so an error names the
    field alone, not a member of a union), documented as `X`; the model refuses null itself."""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = dict(handler(schema))
        branches = [branch for branch in json_schema.pop("anyOf", []) if branch != {"type": "null"}]
        if len(branches) == 1:
            return {**json_schema, **branches[0]}
        return {**json_schema, "anyOf": branches} if branches else json_schema


BlankIsNull = _BlankIsNull()
Omittable = _NotNullInSchema()

# What trimming removes (Unicode White_Space; the other white-space characters are forbidden
# controls), the line breaks a single line refuses, and, as regex classes for documented patterns.
_TRIMMED = r"\t\n\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_BREAKS = r"\t\n\r\u2028\u2029"


# One character that is neither white space nor forbidden, as a regex class.
VISIBLE = f"[^{_TRIMMED}{FORBIDDEN_CLASS}]"


def trimmed_pattern(min_length: int, max_length: int, *, single_line: bool) -> str:
    """A regex for exactly the strings `Text` accepts: any white space around a trimmed value of
    min_length..max_length characters, no forbidden characters, and no line break inside a single line."""
    edge = f"[^{_TRIMMED}{FORBIDDEN_CLASS}]"  # first and last character of the trimmed value
    inner = f"[^{_BREAKS}{FORBIDDEN_CLASS}]" if single_line else f"[^{FORBIDDEN_CLASS}]"
    if min_length >= 2:
        core = f"{edge}{inner}{{{min_length - 2},{max_length - 2}}}{edge}"
    else:
        core = f"{edge}(?:{inner}{{0,{max_length - 2}}}{edge})?"
        if min_length == 0:
            core = f"(?:{core})?"
    return f"^[{_TRIMMED}]*{core}[{_TRIMMED}]*$"


@dataclass(frozen=True, slots=True)
class Text:
    """Free text, trimmed, then min_length..max_length characters (single line unless told), with a
    documented pattern that admits exactly what is accepted: `Annotated[str, Text(2, 100)]`."""

    min_length: int
    max_length: int
    single_line: bool = True

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = core_schema.str_schema(
            strip_whitespace=True, min_length=self.min_length, max_length=self.max_length, strict=True
        )
        if self.single_line:
            return core_schema.no_info_after_validator_function(_single_line, schema)
        return schema

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        pattern = trimmed_pattern(self.min_length, self.max_length, single_line=self.single_line)
        lines = ", one line" if self.single_line else ""
        description = f"{self.min_length}-{self.max_length} characters once trimmed{lines}"
        return {"type": "string", "pattern": pattern, "description": description}


# An email address: this documented pattern (matched in full), then `email-validator` for what no
# pattern says well. The pattern: a dot-atom local part, `@`, then LDH labels (letters, digits,
# hyphens inside; never `--` as the 3rd and 4th characters, which IDNA reserves) under an alphabetic
# top-level label; ASCII only, so internationalized domains are not accepted. It is documented as is,
# not as `format: email`, whose checkers differ in details. email-validator (no DNS lookups) refuses
# one thing more, which no pattern can list: the special-use domains (`.test`, `.local`, `.localhost`,
# `.invalid`, `.onion`, `.arpa`), where no mail is delivered (docs/RELIABILITY.md).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_L, _M = "[A-Za-z0-9]", "[A-Za-z0-9-]"  # a label's first and last character; any other
_LABEL = f"(?:{_L}(?:{_M}?{_L})?|{_L}{_M}{_L}{_M}{{0,59}}{_L}|{_L}{_M}-{_L}(?:{_M}{{0,58}}{_L})?)"
EMAIL_PATTERN = f"^{_ATEXT}+(\\.{_ATEXT}+)*@({_LABEL}\\.)+[A-Za-z]{{2,63}}$"
_EMAIL = re.compile(EMAIL_PATTERN)
EMAIL_HELP = "must be an email address, e.g. invoices@acme.example"


def _email(value: str) -> str:
    # fullmatch: `$` alone would also match before a trailing newline.
    if not _EMAIL.fullmatch(value):
        raise ValueError(EMAIL_HELP)
    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValueError(f"{EMAIL_HELP} ({error})") from None
    return checked.ascii_email or value  # the domain lower-cased; the local part as given


Email = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(_email),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": EMAIL_PATTERN,
            "maxLength": 254,
            "description": "An email address (ASCII; not a special-use domain such as .test or .local)",
            "examples": ["invoices@acme.example"],
        },
        mode="validation",
    ),
]

# Formats are exact, not trimmed: the documented pattern is the whole rule.
Phone = Annotated[
    str,
    StringConstraints(max_length=20),
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
            "pattern": "^[0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y]{18}$",
            "description": f"{USCC_HELP}; upper-cased on input",
            "examples": ["91350100M000100Y43"],
        }
    ),
]


def given(schema: dict[str, Any], *names: str) -> dict[str, Any]:
    """A JSON Schema condition: these optional fields (`X | None` with `BlankIsNull`) of `schema` are
    given, that is present with a value (the first `anyOf` branch of each: not null, not blank)."""
    properties = schema["properties"]
    return {
        "required": list(names),
        "properties": {name: properties[name].get("anyOf", [properties[name]])[0] for name in names},
    }
