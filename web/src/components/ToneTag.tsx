// Tags in colours with enough contrast (WCAG AA, 4.5:1): Ant Design's preset tag colours fall short.
import { Tag } from "antd";
import type { ReactNode } from "react";

export type Tone = "success" | "warning" | "info" | "processing" | "danger" | "neutral" | "magenta";

const TONES: Record<Tone, { color: string; background: string; borderColor: string }> = {
  success: { color: "#1f6f0b", background: "#f0f9e8", borderColor: "#a8d98a" },
  warning: { color: "#7a4a00", background: "#fff7e0", borderColor: "#f0c36b" },
  info: { color: "#0b5563", background: "#e6fbfd", borderColor: "#87d6e0" },
  processing: { color: "#1450b0", background: "#eaf2ff", borderColor: "#9dbdf0" },
  danger: { color: "#a8071a", background: "#fff1f0", borderColor: "#f5a3a3" },
  neutral: { color: "#434343", background: "#f5f5f5", borderColor: "#d9d9d9" },
  magenta: { color: "#9e1068", background: "#fff0f6", borderColor: "#f1a3cb" },
};

export function ToneTag({ tone, children, testId }: { tone: Tone; children: ReactNode; testId?: string }) {
  return (
    <Tag style={TONES[tone]} data-testid={testId}>
      {children}
    </Tag>
  );
}
