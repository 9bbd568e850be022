// The page of a customer's list resource (invoice information, sending addresses): a table with
// Edit and Delete on every row, a New button, and the form in a dialog. The feature gives the
// columns, the form and the deletion; the page does the rest the same way for each.
import type { UseMutationResult } from "@tanstack/react-query";
import { App, Button, Card, Modal, Popconfirm, Space, Table, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ProblemAlert } from "./ProblemAlert";

export interface ResourceTablePageProps<T extends { id: string }> {
  title: string;
  newLabel: string;
  editTitle: string;
  emptyText: string;
  /** What deleting a row does, asked before it is done. */
  deleteConfirm: string;
  items: T[];
  loading: boolean;
  error: unknown;
  columns: ColumnsType<T>;
  deletion: Pick<UseMutationResult<unknown, unknown, string>, "mutate" | "error">;
  /** The form for a new item (`null`) or an existing one; `done` closes the dialog. */
  renderForm: (item: T | null, done: () => void) => ReactNode;
  /** Shown between the title and the table (e.g. what is missing before one can be added). */
  notice?: ReactNode;
  newDisabled?: boolean;
  modalWidth?: number;
}

export function ResourceTablePage<T extends { id: string }>(props: ResourceTablePageProps<T>) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [editing, setEditing] = useState<T | "new" | null>(null);
  const close = () => setEditing(null);
  const columns: ColumnsType<T> = [
    ...props.columns,
    {
      title: t("app.actions"),
      key: "actions",
      render: (_: unknown, item: T) => (
        <Space>
          <Button size="small" onClick={() => setEditing(item)}>
            {t("app.edit")}
          </Button>
          <Popconfirm
            title={props.deleteConfirm}
            onConfirm={() => props.deletion.mutate(item.id, { onSuccess: () => void message.success(t("app.deleted")) })}
            okText={t("app.delete")}
            cancelText={t("app.cancel")}
          >
            <Button size="small" danger>
              {t("app.delete")}
            </Button>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <Space orientation="vertical" size="large" style={{ width: "100%" }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {props.title}
      </Typography.Title>
      {props.notice}
      <ProblemAlert error={props.error ?? props.deletion.error} />
      <Card
        extra={
          <Button type="primary" onClick={() => setEditing("new")} disabled={props.newDisabled}>
            {props.newLabel}
          </Button>
        }
      >
        <Table<T>
          rowKey="id"
          loading={props.loading}
          dataSource={props.items}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: props.emptyText }}
          columns={columns}
        />
      </Card>
      <Modal
        open={editing !== null}
        title={editing === "new" ? props.newLabel : props.editTitle}
        footer={null}
        onCancel={close}
        destroyOnHidden
        width={props.modalWidth ?? 600}
      >
        {editing !== null && props.renderForm(editing === "new" ? null : editing, close)}
      </Modal>
    </Space>
  );
}
