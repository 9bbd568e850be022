// The 12-month bar chart (Apache ECharts, only the parts it uses) of GET /v1/invoiceable-summary/monthly.
import { BarChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { formatMoney, toChartNumber } from "@/lib/money";
import type { MonthFigures } from "@/lib/api/types";

/** The series drawn, each with its legend text (the table under the chart has every figure). */
const SERIES = [
  { figure: "billed", label: "overview.billed" },
  { figure: "requested", label: "overview.requested" },
  { figure: "issued", label: "overview.invoiced" },
] as const;

echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export function MonthlyChart({ figures }: { figures: MonthFigures[] }) {
  const { t } = useTranslation();
  const element = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!element.current) return;
    const chart = echarts.init(element.current);
    const series = SERIES.map(({ figure, label }) => ({
      name: t(label),
      type: "bar" as const,
      data: figures.map((month) => toChartNumber(month[figure])),
    }));
    chart.setOption({
      color: ["#1557c0", "#d48806", "#389e0d"],
      tooltip: { trigger: "axis", valueFormatter: (value: unknown) => formatMoney(Number(value).toFixed(2)) },
      legend: { top: 0 },
      grid: { left: 16, right: 16, bottom: 8, top: 40, containLabel: true },
      xAxis: { type: "category", data: figures.map((month) => month.period) },
      yAxis: { type: "value", axisLabel: { formatter: (value: number) => `¥${value.toLocaleString()}` } },
      series,
    });
    const onResize = () => chart.resize();
    window.addEventListener("resize", onResize);
    return () => {
      window.removeEventListener("resize", onResize);
      chart.dispose();
    };
  }, [figures, t]);

  // The chart is a picture for screen readers; the same figures are in the table below it.
  return (
    <div role="img" aria-label={t("overview.chartLabel")}>
      <div ref={element} style={{ width: "100%", height: 320 }} />
    </div>
  );
}
