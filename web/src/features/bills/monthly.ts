// The 12-month chart's figures, from the bills list and the lines of invoiced requests.
import { fromFen, toFen } from "@/lib/money";

export interface MonthFigures {
  period: string;
  billed: string;
  requested: string;
  invoiced: string;
}

interface BillLike {
  id: string;
  period: string;
  cash_amount: string;
  requested_amount: string;
}

interface LineLike {
  kind: string;
  id: string;
  amount: string;
}

/** The twelve months before `now`'s month, oldest first (bills exist for finished months). */
export function lastTwelvePeriods(now: Date): string[] {
  const periods: string[] = [];
  let year = now.getFullYear();
  let month = now.getMonth() + 1;
  for (let i = 0; i < 12; i += 1) {
    month -= 1;
    if (month === 0) {
      month = 12;
      year -= 1;
    }
    periods.unshift(`${year}-${String(month).padStart(2, "0")}`);
  }
  return periods;
}

/**
 * The earliest creation time of a request that can invoice a bill of `periods`: a bill exists once
 * its month has begun, so a request that invoices it is made after that; a month earlier still, so
 * no time zone can move a request out.
 */
export function requestsSince(periods: string[]): string {
  const [year, month] = periods[0]!.split("-").map(Number) as [number, number];
  const before = month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, "0")}`;
  return `${before}-01T00:00:00Z`;
}

/**
 * Per month: cash billed (the bills' cash part), requested (what active requests hold of it) and
 * invoiced (the bill lines of issued or delivered requests, negative settlement lines included).
 */
export function monthlyFigures(periods: string[], bills: BillLike[], invoicedLines: LineLike[]): MonthFigures[] {
  const periodOfBill = new Map(bills.map((bill) => [bill.id, bill.period]));
  const totals = new Map(periods.map((period) => [period, { billed: 0n, requested: 0n, invoiced: 0n }]));
  for (const bill of bills) {
    const month = totals.get(bill.period);
    if (!month) continue;
    month.billed += toFen(bill.cash_amount);
    month.requested += toFen(bill.requested_amount);
  }
  for (const line of invoicedLines) {
    if (line.kind !== "bill") continue;
    const period = periodOfBill.get(line.id);
    const month = period ? totals.get(period) : undefined;
    if (month) month.invoiced += toFen(line.amount);
  }
  return periods.map((period) => {
    const month = totals.get(period)!;
    return { period, billed: fromFen(month.billed), requested: fromFen(month.requested), invoiced: fromFen(month.invoiced) };
  });
}
