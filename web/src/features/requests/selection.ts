// The running total of the request wizard: what the selected items add up to, and what the request will
// be after the invoice deficit is settled (the API decides; this previews what it will answer).
import { fromFen, toFen } from "@/lib/money";

export interface SelectionTotals {
  count: number;
  selected: string;
  settles: string;
  request: string;
  /** False when the selection does not exceed the deficit: the API would refuse with invoice_deficit. */
  exceedsDeficit: boolean;
}

export function selectionTotals(amounts: string[], deficit: string | null | undefined): SelectionTotals {
  const selected = amounts.reduce((sum, amount) => sum + toFen(amount), 0n);
  const owed = deficit ? toFen(deficit) : 0n;
  const settles = owed > 0n ? owed : 0n;
  return {
    count: amounts.length,
    selected: fromFen(selected),
    settles: fromFen(-settles),
    request: fromFen(selected - settles),
    exceedsDeficit: amounts.length > 0 && selected > settles,
  };
}
