// The frame of every signed-in page: navigation for the role, language switch, sign-out.
import { Button, Layout, Menu, Segmented, Space } from "antd";
import { useTranslation } from "react-i18next";
import { Link, Outlet, useLocation, useNavigate } from "react-router";
import { useAuth } from "@/features/auth/AuthProvider";
import { rememberLanguage, type Language } from "@/lib/i18n";
import type { Role } from "@/lib/session";

const CUSTOMER_MENU = [
  { path: "/", label: "nav.overview" },
  { path: "/requests", label: "nav.requests" },
  { path: "/invoice-information", label: "nav.profiles" },
  { path: "/sending-addresses", label: "nav.addresses" },
  { path: "/certification", label: "nav.certification" },
  { path: "/auto-invoicing", label: "nav.autoInvoicing" },
] as const;

const FINANCE_MENU = [{ path: "/finance", label: "nav.queue" }] as const;

export function LanguageSwitch() {
  const { i18n, t } = useTranslation();
  return (
    <Segmented<Language>
      aria-label={t("app.language")}
      size="small"
      value={i18n.language === "zh-CN" ? "zh-CN" : "en"}
      options={[
        { label: "中文", value: "zh-CN" },
        { label: "English", value: "en" },
      ]}
      onChange={(language) => {
        rememberLanguage(language);
        void i18n.changeLanguage(language);
      }}
    />
  );
}

export function ConsoleLayout({ role }: { role: Role }) {
  const { t } = useTranslation();
  const { signOut } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const menu = role === "finance" ? FINANCE_MENU : CUSTOMER_MENU;
  const selected =
    [...menu]
      .sort((a, b) => b.path.length - a.path.length)
      .find((item) => location.pathname === item.path || location.pathname.startsWith(`${item.path}/`))?.path ??
    (role === "finance" ? "/finance" : "/");

  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={0} width={220}>
        <div className="brand">{role === "finance" ? t("app.financeHome") : t("app.title")}</div>
        <nav aria-label={t("app.title")}>
          <Menu
            theme="dark"
            mode="inline"
            selectedKeys={[selected]}
            items={menu.map((item) => ({ key: item.path, label: <Link to={item.path}>{t(item.label)}</Link> }))}
          />
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: "#fff", display: "flex", justifyContent: "flex-end", paddingInline: 24 }}>
          <Space>
            <LanguageSwitch />
            <Button
              onClick={() => {
                signOut();
                void navigate("/sign-in", { replace: true });
              }}
            >
              {t("app.signOut")}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>
          <main>
            <Outlet />
          </main>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
