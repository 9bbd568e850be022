import { formatMoney, toFen } from "@/lib/money";

/** An amount through the one money formatter; negative amounts are marked. */
export function Money({ amount }: { amount: string }) {
  const negative = toFen(amount) < 0n;
  return <span className={negative ? "amount-negative" : undefined}>{formatMoney(amount)}</span>;
}
