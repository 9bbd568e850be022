// Invoice Management: the invoiceable amount beside Request Now, the deficit, what blocks a request and
// how to fix it, the amounts per seller (when there is more than one), and the last 12 months.
import { useQuery } from "@tanstack/react-query";
import { Alert, Button, Card, Col, List, Row, Space, Statistic, Table, Typography } from "antd";
import { ToneTag } from "@/components/ToneTag";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { Money } from "@/components/Money";
import { ProblemAlert } from "@/components/ProblemAlert";
import { certificationQuery, summaryQuery } from "@/lib/api/queries";
import type { Blocker, SellerTotals } from "@/lib/api/types";
import { formatMoney, toFen } from "@/lib/money";
import { accountQuery, monthlyQuery } from "./api/overview";
import { MonthlyChart } from "./MonthlyChart";

/** Where each blocker is fixed (none: the user cannot fix it in this console). */
const FIX: Record<Blocker, string | null> = {
  certification_required: "/certification",
  cash_balance_not_positive: null,
  no_usable_profile: "/invoice-information",
  no_address: "/sending-addresses",
  nothing_invoiceable: null,
  invoice_deficit: null,
};

export function InvoiceManagementPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const summary = useQuery(summaryQuery());
  const account = useQuery(accountQuery());
  const certification = useQuery(certificationQuery());
  const chart = useQuery(monthlyQuery());

  const data = summary.data;
  const deficit = data?.invoice_deficit && toFen(data.invoice_deficit) > 0n ? data.invoice_deficit : null;

  return (
    <Space orientation="vertical" size="large" style={{ width: "100%" }}>
      <Typography.Title level={1} className="page-title" style={{ fontSize: 24 }}>
        {t("nav.overview")}
      </Typography.Title>
      <ProblemAlert error={summary.error ?? account.error} />
      {certification.data && (
        <ToneTag tone={certification.data.status === "certified" ? "success" : "warning"}>
          {certification.data.status === "certified"
            ? t("overview.certified", { name: certification.data.enterprise_name })
            : t("overview.uncertified")}
        </ToneTag>
      )}
      <Card loading={summary.isPending}>
        {data && (
          <Row gutter={[24, 24]} align="middle">
            <Col xs={24} md={10}>
              <Typography.Text type="secondary">{t("money.invoiceable")}</Typography.Text>
              <div className="big-amount" data-testid="invoiceable-amount">
                {formatMoney(data.invoiceable_amount)}
              </div>
              <Button
                type="primary"
                size="large"
                style={{ marginTop: 12 }}
                disabled={!data.can_request}
                onClick={() => void navigate("/request")}
              >
                {t("overview.requestNow")}
              </Button>
            </Col>
            <Col xs={12} md={5}>
              <Statistic title={t("overview.bills")} value={t("overview.countAmount", { count: data.bills.count, amount: formatMoney(data.bills.amount) })} />
            </Col>
            <Col xs={12} md={5}>
              <Statistic
                title={t("overview.cards")}
                value={t("overview.countAmount", { count: data.stored_value_cards.count, amount: formatMoney(data.stored_value_cards.amount) })}
              />
            </Col>
            <Col xs={12} md={4}>
              <Statistic title={t("money.cashBalance")} value={formatMoney(account.data?.cash_balance ?? data.cash_balance)} />
            </Col>
          </Row>
        )}
      </Card>

      {data && data.by_seller.length > 1 && (
        <Card title={t("bySeller.title")} data-testid="by-seller">
          <Table
            size="small"
            rowKey="seller_id"
            pagination={false}
            dataSource={data.by_seller}
            columns={[
              { title: t("bySeller.seller"), dataIndex: "seller_name" },
              {
                title: t("money.invoiceable"),
                dataIndex: "invoiceable_amount",
                align: "right",
                render: (amount: string) => <Money amount={amount} />,
              },
              {
                title: t("money.deficit"),
                dataIndex: "invoice_deficit",
                align: "right",
                render: (amount: SellerTotals["invoice_deficit"]) => <Money amount={amount} />,
              },
            ]}
          />
        </Card>
      )}

      {deficit && (
        <Alert
          type="warning"
          showIcon
          title={t("overview.deficitTitle", { amount: formatMoney(deficit) })}
          description={t("overview.deficitBody")}
        />
      )}

      {data && data.blockers.length > 0 && (
        <Card title={t("overview.blockersTitle")}>
          <List
            dataSource={data.blockers}
            renderItem={(blocker) => {
              const path = FIX[blocker];
              return (
                <List.Item
                  data-blocker={blocker}
                  actions={path ? [<Link key="fix" to={path}>{t("overview.fix")}</Link>] : []}
                >
                  {t(`blockers.${blocker}`)}
                </List.Item>
              );
            }}
          />
        </Card>
      )}
      {data && data.can_request && (
        <Alert type="success" showIcon title={t("overview.ready", { amount: formatMoney(data.invoiceable_amount) })} />
      )}

      <Card title={t("overview.chartTitle")}>
        <Typography.Paragraph type="secondary">{t("overview.chartCaption")}</Typography.Paragraph>
        <ProblemAlert error={chart.error} />
        {chart.data && <MonthlyChart figures={chart.data} />}
        {chart.data && (
          <details>
            <summary>{t("overview.chartTitle")}</summary>
            <table className="chart-table">
              <thead>
                <tr>
                  <th scope="col">{t("wizard.period")}</th>
                  <th scope="col">{t("overview.billed")}</th>
                  <th scope="col">{t("money.invoiceable")}</th>
                  <th scope="col">{t("overview.requested")}</th>
                  <th scope="col">{t("overview.invoiced")}</th>
                </tr>
              </thead>
              <tbody>
                {chart.data.map((month) => (
                  <tr key={month.period}>
                    <th scope="row">{month.period}</th>
                    <td><Money amount={month.billed} /></td>
                    <td><Money amount={month.invoiceable} /></td>
                    <td><Money amount={month.requested} /></td>
                    <td><Money amount={month.issued} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        )}
      </Card>
    </Space>
  );
}
