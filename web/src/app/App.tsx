// Providers (language, Ant Design locale and theme, auth) and the routes.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { App as AntApp, ConfigProvider } from "antd";
import enUS from "antd/locale/en_US";
import zhCNLocale from "antd/locale/zh_CN";
import dayjs from "dayjs";
import "dayjs/locale/zh-cn";
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { BrowserRouter } from "react-router";
import { AuthProvider } from "@/features/auth/AuthProvider";
import { AppRoutes } from "./routes";
import "./app.css";

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false, staleTime: 5_000 } },
});

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

export function App() {
  const { i18n } = useTranslation();
  const chinese = i18n.language === "zh-CN";
  useEffect(() => {
    dayjs.locale(chinese ? "zh-cn" : "en");
  }, [chinese]);
  return (
    <ConfigProvider
      locale={chinese ? zhCNLocale : enUS}
      button={{ autoInsertSpace: false }}
      theme={{
        // Colours chosen for WCAG AA contrast (axe-core checks every page in the browser tests).
        token: {
          colorPrimary: "#1557c0",
          colorLink: "#1557c0",
          colorError: "#b42318",
          colorTextTertiary: "rgba(0,0,0,0.6)",
          colorTextQuaternary: "rgba(0,0,0,0.55)",
          motion: !reducedMotion,
        },
      }}
    >
      <AntApp>
        <QueryClientProvider client={queryClient}>
        <AuthProvider>
          <BrowserRouter basename="/console">
            <AppRoutes />
          </BrowserRouter>
        </AuthProvider>
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  );
}
