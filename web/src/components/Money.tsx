import { formatMoney, toFen } from "@/lib/money";

/** An amount through the one money formatter; negative amounts are marked. */
export function Money({ amount }: { amount: string }) {
  const negative = toFen(amount) < 0n;
  return <span className={negative ? "money amount-negative" : "money"}>{formatMoney(amount)}</span>;
}
