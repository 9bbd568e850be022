// The two-step request: select bills and cards (running total, deficit settlement), then invoice
// information, address and remark → Request Invoice. One Idempotency-Key per body: a double click or a
// retry makes one request.
import { useQuery } from "@tanstack/react-query";
import { Alert, App, Button, Card, Col, Descriptions, Form, Input, Row, Select, Space, Steps, Table, Typography } from "antd";
import { useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { DateTime } from "@/components/DateTime";
import { Money } from "@/components/Money";
import { ProblemAlert } from "@/components/ProblemAlert";
import { useFormProblem } from "@/components/useFormProblem";
import { addressesQuery, profilesQuery, summaryQuery } from "@/lib/api/queries";
import type { Address, Bill, Card as StoredValueCard, Profile } from "@/lib/api/types";
import { IdempotencyKeys } from "@/lib/idempotency";
import { formatMoney } from "@/lib/money";
import { invoiceableBillsQuery, invoiceableCardsQuery, useCreateRequest, type RequestBody } from "./api/requests";
import { selectionTotals } from "./selection";

const FIELDS = ["bill_ids", "stored_value_card_ids", "profile_id", "address_id", "remark"] as const;

interface Details {
  profile_id: string;
  address_id: string;
  remark?: string;
}

function Totals({ amounts, deficit }: { amounts: string[]; deficit: string | undefined }) {
  const { t } = useTranslation();
  const totals = selectionTotals(amounts, deficit);
  const owesDeficit = totals.settles !== "0.00";
  return (
    <Card size="small" aria-live="polite" data-testid="running-total">
      <Descriptions
        column={{ xs: 1, md: owesDeficit ? 4 : 2 }}
        items={[
          { key: "count", label: t("wizard.selected", { count: totals.count }), children: <Money amount={totals.selected} /> },
          ...(owesDeficit
            ? [
                { key: "deficit", label: t("wizard.settlesDeficit"), children: <Money amount={totals.settles} /> },
              ]
            : []),
          {
            key: "request",
            label: t("wizard.requestAmount"),
            children: (
              <strong data-testid="request-amount">
                <Money amount={totals.request} />
              </strong>
            ),
          },
        ]}
      />
      {owesDeficit && totals.count > 0 && !totals.exceedsDeficit && (
        <Alert type="warning" showIcon title={t("wizard.notAboveDeficit", { deficit: formatMoney(deficit ?? "0") })} />
      )}
    </Card>
  );
}

export function RequestWizardPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [step, setStep] = useState(0);
  const [billIds, setBillIds] = useState<string[]>([]);
  const [cardIds, setCardIds] = useState<string[]>([]);
  const [form] = Form.useForm<Details>();
  const problem = useFormProblem(form, FIELDS);
  const keys = useRef(new IdempotencyKeys());

  const summary = useQuery(summaryQuery());
  const bills = useQuery(invoiceableBillsQuery());
  const cards = useQuery(invoiceableCardsQuery());
  const profiles = useQuery(profilesQuery());
  const addresses = useQuery(addressesQuery());

  const amounts = useMemo(() => {
    const bySelected = [
      ...(bills.data ?? []).filter((bill) => billIds.includes(bill.id)).map((bill) => bill.invoiceable_amount),
      ...(cards.data ?? []).filter((card) => cardIds.includes(card.id)).map((card) => card.invoiceable_amount),
    ];
    return bySelected;
  }, [bills.data, cards.data, billIds, cardIds]);

  const create = useCreateRequest();

  const profileList = (profiles.data?.data ?? []) as Profile[];
  const addressList = (addresses.data?.data ?? []) as Address[];
  const defaultProfile = profileList.find((p) => p.is_default && p.usable) ?? profileList.find((p) => p.usable);
  const defaultAddress = addressList.find((a) => a.is_default) ?? addressList[0];
  const nothing = bills.data && cards.data && bills.data.length === 0 && cards.data.length === 0;

  const submit = (details: Details) => {
    if (create.isPending) return;
    const remark = details.remark?.trim();
    const body: RequestBody = {
      bill_ids: billIds,
      stored_value_card_ids: cardIds,
      profile_id: details.profile_id,
      address_id: details.address_id,
      ...(remark ? { remark } : {}),
    };
    problem.clear();
    create.mutate(
      { body, idempotencyKey: keys.current.keyFor(body) },
      {
        onError: problem.show,
        onSuccess: (request) => {
          void message.success(t("wizard.created"));
          void navigate(`/requests/${request.id}`);
        },
      },
    );
  };

  return (
    <Space orientation="vertical" size="large" style={{ width: "100%" }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {t("wizard.title")}
      </Typography.Title>
      <Steps current={step} items={[{ title: t("wizard.stepSelect") }, { title: t("wizard.stepDetails") }]} />
      <ProblemAlert error={summary.error ?? bills.error ?? cards.error} />
      <Totals amounts={amounts} deficit={summary.data?.invoice_deficit} />

      {step === 0 && (
        <>
          <Alert type="info" showIcon title={t("wizard.noteCash")} />
          {nothing && <Alert type="warning" showIcon title={t("wizard.nothing")} />}
          <Card title={t("wizard.billsTitle")}>
            <Table<Bill>
              rowKey="id"
              loading={bills.isPending}
              dataSource={bills.data ?? []}
              pagination={false}
              rowSelection={{
                selectedRowKeys: billIds,
                onChange: (keys) => setBillIds(keys.map(String)),
                getCheckboxProps: (bill) => ({ "aria-label": bill.period }),
              }}
              columns={[
                { title: t("wizard.period"), dataIndex: "period" },
                { title: t("wizard.totalAmount"), dataIndex: "total_amount", align: "right", render: (v: string) => <Money amount={v} /> },
                { title: t("wizard.cashAmount"), dataIndex: "cash_amount", align: "right", render: (v: string) => <Money amount={v} /> },
                { title: t("money.invoiceable"), dataIndex: "invoiceable_amount", align: "right", render: (v: string) => <Money amount={v} /> },
              ]}
            />
          </Card>
          <Card title={t("wizard.cardsTitle")}>
            <Table<StoredValueCard>
              rowKey="id"
              loading={cards.isPending}
              dataSource={cards.data ?? []}
              pagination={false}
              rowSelection={{
                selectedRowKeys: cardIds,
                onChange: (keys) => setCardIds(keys.map(String)),
                getCheckboxProps: (card) => ({ "aria-label": card.card_no }),
              }}
              columns={[
                { title: t("wizard.cardNo"), dataIndex: "card_no" },
                { title: t("wizard.purchasedAt"), dataIndex: "purchased_at", render: (v: string) => <DateTime value={v} /> },
                { title: t("money.invoiceable"), dataIndex: "invoiceable_amount", align: "right", render: (v: string) => <Money amount={v} /> },
              ]}
            />
          </Card>
          <Space>
            <Button
              type="primary"
              disabled={billIds.length + cardIds.length === 0}
              onClick={() => setStep(1)}
            >
              {t("wizard.next")}
            </Button>
            {billIds.length + cardIds.length === 0 && <Typography.Text type="secondary">{t("wizard.selectSomething")}</Typography.Text>}
          </Space>
        </>
      )}

      {step === 1 && (
        <Card>
          <ProblemAlert error={problem.error} rest={problem.rest} />
          <Form
            form={form}
            layout="vertical"
            onFinish={submit}
            initialValues={{ profile_id: defaultProfile?.id, address_id: defaultAddress?.id }}
          >
            <Row gutter={16}>
              <Col xs={24} md={12}>
                <Form.Item
                  name="profile_id"
                  label={t("wizard.profile")}
                  rules={[{ required: true }]}
                  extra={<Link to="/invoice-information">{t("wizard.manageProfiles")}</Link>}
                >
                  <Select
                    options={profileList.map((profile) => ({
                      value: profile.id,
                      disabled: !profile.usable,
                      label: `${t(`invoiceType.${profile.invoice_type}`)} · ${profile.title}${profile.usable ? "" : ` (${t("profiles.unusable")})`}`,
                    }))}
                  />
                </Form.Item>
              </Col>
              <Col xs={24} md={12}>
                <Form.Item
                  name="address_id"
                  label={t("wizard.address")}
                  rules={[{ required: true }]}
                  extra={<Link to="/sending-addresses">{t("wizard.manageAddresses")}</Link>}
                >
                  <Select
                    options={addressList.map((address) => ({
                      value: address.id,
                      label: [address.recipient, address.phone, address.email, address.address].filter(Boolean).join(" · "),
                    }))}
                  />
                </Form.Item>
              </Col>
            </Row>
            <Form.Item name="remark" label={t("wizard.remark")}>
              <Input.TextArea rows={2} maxLength={500} placeholder={t("wizard.remarkPlaceholder")} />
            </Form.Item>
            <Space>
              <Button onClick={() => setStep(0)}>{t("wizard.back")}</Button>
              <Button type="primary" htmlType="submit" loading={create.isPending}>
                {t("wizard.submit")}
              </Button>
            </Space>
          </Form>
        </Card>
      )}
    </Space>
  );
}
