"""Amounts in Chinese capitals (人民币大写), as printed on an invoice's 价税合计（大写）.

The rules are those of the People's Bank of China for bills and settlement vouchers
(《正确填写票据和结算凭证的基本规定》), choosing the shorter form where they allow two:

- digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟 inside a group of four, 万 and 亿 between groups, 元角分;
- 整 after 元 when there are no 角 and 分; none after 角 or 分 (叁角, not 叁角整);
- a run of zeros between two non-zero digits is one 零 (1,005.30 → 壹仟零伍元叁角); the zeros at the
  end of a group of four are silent (10,000,000.00 → 壹仟万元整, 107,000 → 壹拾万柒仟);
- 角 zero and 分 not: 零 after 元 is required (1.05 → 壹元零伍分); 元 zero and 角 not: no 零
  (1,680.32 → 壹仟陆佰捌拾元叁角贰分, the second form the rules allow);
- 10–19 of a group are written 壹拾… (壹拾伍元整), never a bare 拾;
- no yuan at all: only 角 and 分 (0.05 → 伍分); nothing at all: 零元整; negative: 负 in front.
"""

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_IN_GROUP = ("", "拾", "佰", "仟")
# The unit after each group of four digits, from the lowest: 元 is added by the caller.
_GROUP_UNITS = ("", "万", "亿")
# 9,999 亿 yuan and 99 fen: twelve integer digits, the most any amount of the service has
# (app/core/money.py). Past it the groups would need 万亿, read differently (壹万贰仟亿).
MAX_FEN = 10 ** (4 * len(_GROUP_UNITS)) * 100 - 1


def _group(value: int) -> str:
    """0 < value < 10,000 in capitals, with interior zeros and no trailing ones (壹仟零伍, 壹拾)."""
    out: list[str] = []
    pending_zero = False
    for position in range(3, -1, -1):
        digit = value // 10**position % 10
        if digit == 0:
            pending_zero = bool(out)  # a zero after a non-zero digit; dropped if nothing follows
            continue
        if pending_zero:
            out.append(DIGITS[0])
            pending_zero = False
        out.append(DIGITS[digit] + _IN_GROUP[position])
    return "".join(out)


def _yuan(value: int) -> str:
    """value > 0 yuan in capitals, without 元."""
    groups: list[int] = []
    while value:
        value, low = divmod(value, 10_000)
        groups.append(low)
    out: list[str] = []
    zero_before = False  # some zero digit lies between what is written and the next non-zero group
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_before = bool(out)
            continue
        if out and (zero_before or group < 1000):
            # Leading zeros of this group (or whole zero groups before it) are read as one 零.
            out.append(DIGITS[0])
        out.append(_group(group) + _GROUP_UNITS[index])
        zero_before = False
    return "".join(out)


def to_chinese_capitals(fen: int) -> str:
    """The amount `fen` (integer fen, any sign) in Chinese capitals, e.g. 100500 → 壹仟零伍元整."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, not {type(fen).__name__}")
    if abs(fen) > MAX_FEN:
        raise ValueError(f"{fen} fen is beyond twelve integer digits of yuan")
    if fen == 0:
        return "零元整"
    sign = "负" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    jiao, fen_digit = divmod(cents, 10)
    out = [sign]
    if yuan:
        out.append(_yuan(yuan) + "元")
    if jiao:
        out.append(DIGITS[jiao] + "角")
    elif fen_digit and yuan:
        out.append(DIGITS[0])
    if fen_digit:
        out.append(DIGITS[fen_digit] + "分")
    if not cents:
        out.append("整")
    return "".join(out)
