import { Tag } from "antd";
import { useTranslation } from "react-i18next";
import type { Schemas } from "@/lib/api/client";

type Status = Schemas["Status"];

const COLOURS: Record<Status, string> = {
  pending: "gold",
  processing: "blue",
  issued: "cyan",
  delivered: "green",
  rejected: "red",
  cancelled: "default",
  reversed: "magenta",
};

export function StatusTag({ status }: { status: Status }) {
  const { t } = useTranslation();
  return <Tag color={COLOURS[status]}>{t(`status.${status}`)}</Tag>;
}
