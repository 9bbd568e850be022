import { useTranslation } from "react-i18next";
import type { Status } from "@/lib/api/types";
import { ToneTag, type Tone } from "./ToneTag";

const TONE: Record<Status, Tone> = {
  pending: "warning",
  processing: "processing",
  issued: "info",
  delivered: "success",
  rejected: "danger",
  cancelled: "neutral",
  issuing: "processing",
  reversing: "warning",
  reversed: "magenta",
};

export function StatusTag({ status }: { status: Status }) {
  const { t } = useTranslation();
  return <ToneTag tone={TONE[status]}>{t(`status.${status}`)}</ToneTag>;
}
