// Money in the console: the API's two-decimal strings, summed as integer fen (BigInt), shown as ¥1,024.50.

const MONEY = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

/** Integer fen of a money string ("1024.50" → 102450n); throws on anything else. */
export function toFen(amount: string): bigint {
  const match = MONEY.exec(amount.trim());
  if (!match) throw new Error(`not an amount: ${amount}`);
  const [, sign = "", yuan = "0", fraction = ""] = match;
  const fen = BigInt(yuan) * 100n + BigInt(fraction.padEnd(2, "0"));
  return sign === "-" ? -fen : fen;
}

/** Whether a string is an amount the API accepts as input (up to two decimals, not negative). */
export function isAmount(amount: string): boolean {
  const match = MONEY.exec(amount.trim());
  return match !== null && match[1] === "" && (match[2]?.length ?? 0) <= 12;
}

/** The API's form of an amount of fen: a string with exactly two decimals. */
export function fromFen(fen: bigint): string {
  const negative = fen < 0n;
  const absolute = negative ? -fen : fen;
  const yuan = absolute / 100n;
  const cents = (absolute % 100n).toString().padStart(2, "0");
  return `${negative ? "-" : ""}${yuan.toString()}.${cents}`;
}

export function sumMoney(amounts: Iterable<string>): string {
  let total = 0n;
  for (const amount of amounts) total += toFen(amount);
  return fromFen(total);
}

/** The one money formatter: "1024.5" → "¥1,024.50", "-300.00" → "-¥300.00". */
export function formatMoney(amount: string | bigint): string {
  const fen = typeof amount === "bigint" ? amount : toFen(amount);
  const negative = fen < 0n;
  const absolute = negative ? -fen : fen;
  const yuan = (absolute / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = (absolute % 100n).toString().padStart(2, "0");
  return `${negative ? "-" : ""}¥${yuan}.${cents}`;
}

/** Yuan as a number, for charts only (never for sums). */
export function toChartNumber(amount: string): number {
  return Number(toFen(amount)) / 100;
}

/** A tax rate as the API sends it ("0.06", two decimals) as a percentage: "6%". */
export function formatRate(rate: string): string {
  return `${toFen(rate).toString()}%`;
}
