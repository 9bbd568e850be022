// Keyset paging as the API offers it: forward with next_cursor, back along the cursors already seen.
import { Button, Space, Typography } from "antd";
import { useCallback, useState } from "react";
import { useTranslation } from "react-i18next";

export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const page = cursors.length;
  const cursor = cursors[cursors.length - 1];
  const next = useCallback((nextCursor: string) => setCursors((all) => [...all, nextCursor]), []);
  const previous = useCallback(() => setCursors((all) => (all.length > 1 ? all.slice(0, -1) : all)), []);
  const reset = useCallback(() => setCursors([undefined]), []);
  return { page, cursor, next, previous, reset };
}

export function CursorPager({
  pages,
  hasMore,
  nextCursor,
}: {
  pages: ReturnType<typeof useCursorPages>;
  hasMore: boolean;
  nextCursor: string | null | undefined;
}) {
  const { t } = useTranslation();
  return (
    <Space style={{ marginTop: 16 }}>
      <Button disabled={pages.page <= 1} onClick={pages.previous}>
        {t("app.previous")}
      </Button>
      <Typography.Text>{t("app.page", { page: pages.page })}</Typography.Text>
      <Button disabled={!hasMore || !nextCursor} onClick={() => nextCursor && pages.next(nextCursor)}>
        {t("app.next")}
      </Button>
    </Space>
  );
}
