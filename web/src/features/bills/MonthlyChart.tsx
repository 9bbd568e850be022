// The 12-month bar chart (Apache ECharts, only the parts it uses).
import { BarChart } from "echarts/charts";
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { formatMoney, toChartNumber } from "@/lib/money";
import type { MonthFigures } from "./monthly";

echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, AriaComponent, CanvasRenderer]);

export function MonthlyChart({ figures }: { figures: MonthFigures[] }) {
  const { t } = useTranslation();
  const element = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!element.current) return;
    const chart = echarts.init(element.current);
    const series = (["billed", "requested", "invoiced"] as const).map((name) => ({
      name: t(`overview.${name}`),
      type: "bar" as const,
      data: figures.map((month) => toChartNumber(month[name])),
    }));
    chart.setOption({
      aria: { enabled: true },
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

  return <div ref={element} role="img" aria-label={t("overview.chartLabel")} style={{ width: "100%", height: 320 }} />;
}
