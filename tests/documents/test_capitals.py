"""Amounts in Chinese capitals: the PBoC rules' own examples, the edge cases of zeros, and a
round trip through an independent reader for every amount hypothesis draws."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.documents.capitals import MAX_FEN, to_chinese_capitals

CASES = [
    # (fen, capitals)
    (0, "零元整"),
    (1, "壹分"),
    (5, "伍分"),
    (10, "壹角"),
    (50, "伍角"),
    (35, "叁角伍分"),
    (100, "壹元整"),
    (105, "壹元零伍分"),
    (110, "壹元壹角"),
    (199, "壹元玖角玖分"),
    (1000, "壹拾元整"),
    (1500, "壹拾伍元整"),
    (1005, "壹拾元零伍分"),
    (2000, "贰拾元整"),
    (10000, "壹佰元整"),
    (10100, "壹佰零壹元整"),
    (11000, "壹佰壹拾元整"),
    (11100, "壹佰壹拾壹元整"),
    (100000, "壹仟元整"),
    (100530, "壹仟零伍元叁角"),
    (100010, "壹仟元壹角"),
    (100001, "壹仟元零壹分"),
    # The examples of 《正确填写票据和结算凭证的基本规定》 (the shorter form where two are allowed):
    (100456, "壹仟零肆元伍角陆分"),
    (168032, "壹仟陆佰捌拾元叁角贰分"),
    (140950, "壹仟肆佰零玖元伍角"),
    (140902, "壹仟肆佰零玖元零贰分"),
    (600714, "陆仟零柒元壹角肆分"),
    (32504, "叁佰贰拾伍元零肆分"),
    (10700053, "壹拾万柒仟元伍角叁分"),
    # The worked example of SPEC §7 and its tax.
    (94340, "玖佰肆拾叁元肆角"),
    (5660, "伍拾陆元陆角"),
    # Zeros across the groups of four: the ones ending a group are silent, others are one 零.
    (1000000, "壹万元整"),
    (1001000, "壹万零壹拾元整"),
    (1000100, "壹万零壹元整"),
    (1010000, "壹万零壹佰元整"),
    (1100000, "壹万壹仟元整"),
    (10000000, "壹拾万元整"),
    (10001000, "壹拾万零壹拾元整"),
    (100000000, "壹佰万元整"),
    (100100000, "壹佰万壹仟元整"),
    (100010000, "壹佰万零壹佰元整"),
    (1000000000, "壹仟万元整"),
    (2000000500, "贰仟万零伍元整"),
    (10000000000, "壹亿元整"),
    (10001000000, "壹亿零壹万元整"),
    (10000000100, "壹亿零壹元整"),
    (10100000000, "壹亿零壹佰万元整"),
    (11000000000, "壹亿壹仟万元整"),
    (100000000100, "壹拾亿零壹元整"),
    (10101010101, "壹亿零壹佰零壹万零壹佰零壹元零壹分"),
    (12345678901234, "壹仟贰佰叁拾肆亿伍仟陆佰柒拾捌万玖仟零壹拾贰元叁角肆分"),
    (12000000000000, "壹仟贰佰亿元整"),
    (MAX_FEN, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    # Red-letter amounts.
    (-10000, "负壹佰元整"),
    (-5, "负伍分"),
    (-100530, "负壹仟零伍元叁角"),
]


@pytest.mark.parametrize(("fen", "capitals"), CASES, ids=[str(fen) for fen, _ in CASES])
def test_known_amounts(fen: int, capitals: str) -> None:
    assert to_chinese_capitals(fen) == capitals


def test_amounts_past_twelve_integer_digits_are_refused() -> None:
    with pytest.raises(ValueError, match="twelve integer digits"):
        to_chinese_capitals(MAX_FEN + 1)
    with pytest.raises(ValueError, match="twelve integer digits"):
        to_chinese_capitals(-MAX_FEN - 1)


@pytest.mark.parametrize("value", [1.5, "100", True, None])
def test_only_integer_fen_is_accepted(value: object) -> None:
    with pytest.raises(TypeError):
        to_chinese_capitals(value)  # type: ignore[arg-type]


_DIGIT = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_UNIT = {"拾": 10, "佰": 100, "仟": 1000}


def _read_yuan(text: str) -> int:
    """An independent reader of the integer part (without 元): digits, 拾佰仟 inside, 万 and 亿."""
    total = below_yi = section = digit = 0
    for char in text:
        if char in _DIGIT:
            digit = _DIGIT[char]
        elif char in _UNIT:
            assert digit, f"bare {char} in {text}"  # 壹拾, never 拾
            section += digit * _UNIT[char]
            digit = 0
        elif char == "万":
            below_yi += (section + digit) * 10_000
            section = digit = 0
        elif char == "亿":
            total += (below_yi + section + digit) * 100_000_000
            below_yi = section = digit = 0
        else:
            raise AssertionError(f"unexpected {char} in {text}")
    return total + below_yi + section + digit


def _read(capitals: str) -> int:
    sign = 1
    if capitals.startswith("负"):
        sign, capitals = -1, capitals[1:]
    if capitals == "零元整":
        return 0
    whole = capitals.endswith("整")
    capitals = capitals.removesuffix("整")
    yuan_text, _, cents_text = capitals.rpartition("元")
    fen = _read_yuan(yuan_text) * 100 if yuan_text else 0
    if whole:
        assert not cents_text, "整 only after 元"
    if cents_text.startswith("零"):
        assert yuan_text, "零 before 分 only after 元"
        cents_text = cents_text[1:]
        assert not cents_text.count("角")
    if "角" in cents_text:
        jiao, _, cents_text = cents_text.partition("角")
        fen += _DIGIT[jiao] * 10
    if "分" in cents_text:
        fen += _DIGIT[cents_text.removesuffix("分")]
    return sign * fen


@given(st.integers(min_value=-MAX_FEN, max_value=MAX_FEN))
def test_every_amount_reads_back_and_follows_the_zero_rules(fen: int) -> None:
    capitals = to_chinese_capitals(fen)
    assert _read(capitals) == fen
    assert "零零" not in capitals
    for unit in "元万亿角分整":
        assert f"零{unit}" not in capitals or capitals == "零元整", capitals
    assert not capitals.removeprefix("负").startswith("零") or fen == 0
    assert capitals.endswith("整") == (fen % 100 == 0)


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_whole_yuan_end_with_zheng(yuan: int) -> None:
    capitals = to_chinese_capitals(yuan * 100)
    assert capitals.endswith("元整")
    assert _read(capitals) == yuan * 100
