import { formatDateTime } from "@/lib/dates";

/** An API instant in the browser's time zone, through the one date formatter (2026-12-03 16:30). */
export function DateTime({ value }: { value: string | null | undefined }) {
  return <time dateTime={value ?? undefined}>{formatDateTime(value)}</time>;
}
