import { useTranslation } from "react-i18next";
import { formatDateTime } from "@/lib/dates";

/** An API instant in the browser's time zone, through the one date formatter. */
export function DateTime({ value }: { value: string | null | undefined }) {
  const { i18n } = useTranslation();
  return <time dateTime={value ?? undefined}>{formatDateTime(value, i18n.language)}</time>;
}
