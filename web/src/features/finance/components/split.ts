// The issue form's check: the invoices must add up to the request amount, each a positive amount,
// before anything is sent (the API checks again; this saves a round trip and shows what is left).
import { fromFen, isAmount, toFen } from "@/lib/money";

export interface SplitCheck {
  sum: string;
  remaining: string;
  /** Indexes of amounts that are not positive amounts with at most two decimals. */
  invalid: number[];
  ok: boolean;
}

export function checkSplit(requestAmount: string, amounts: (string | null | undefined)[]): SplitCheck {
  let sum = 0n;
  const invalid: number[] = [];
  amounts.forEach((amount, index) => {
    const text = (amount ?? "").trim();
    if (!isAmount(text) || toFen(text) <= 0n) {
      invalid.push(index);
      return;
    }
    sum += toFen(text);
  });
  const remaining = toFen(requestAmount) - sum;
  return {
    sum: fromFen(sum),
    remaining: fromFen(remaining),
    invalid,
    ok: amounts.length > 0 && invalid.length === 0 && remaining === 0n,
  };
}

/** Split an amount into `parts` invoices that add up exactly (the last takes the odd fen). */
export function evenSplit(requestAmount: string, parts: number): string[] {
  const total = toFen(requestAmount);
  const count = BigInt(Math.max(1, parts));
  const share = total / count;
  const amounts = Array.from({ length: Number(count) }, () => share);
  amounts[amounts.length - 1] = total - share * (count - 1n);
  return amounts.map(fromFen);
}
