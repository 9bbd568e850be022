// The frame of every signed-in page: navigation for the role, language switch, sign-out.
import { Button, Drawer, Grid, Layout, Menu, Segmented, Space } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, Outlet, useLocation, useNavigate } from "react-router";
import { useAuth } from "@/features/auth/AuthProvider";
import { rememberLanguage, type Language } from "@/lib/i18n";
import type { Role } from "@/lib/session";
import { useFocusableScrollRegions } from "./scrollRegions";

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

/** Three bars: the narrow screen's menu button (no icon font: the console ships no other icons). */
function MenuIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true" focusable="false">
      <path d="M2 4h14M2 9h14M2 14h14" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
    </svg>
  );
}

export function ConsoleLayout({ role }: { role: Role }) {
  const { t } = useTranslation();
  const { signOut } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  // Below Ant Design's `lg` (992 px) the menu is a drawer over the page, opened from the header; on
  // a wide screen it is a fixed side bar. Before the first measurement `lg` is undefined: wide.
  const screens = Grid.useBreakpoint();
  useFocusableScrollRegions();
  const narrow = screens.lg === false;
  // The drawer is open for the page it was opened on: navigating (a link, back, a redirect) closes it.
  const [openOn, setOpenOn] = useState<string | null>(null);
  const menuOpen = narrow && openOn === location.pathname;
  const setMenuOpen = (open: boolean) => setOpenOn(open ? location.pathname : null);
  const menu = role === "finance" ? FINANCE_MENU : CUSTOMER_MENU;
  const selected =
    [...menu]
      .sort((a, b) => b.path.length - a.path.length)
      .find((item) => location.pathname === item.path || location.pathname.startsWith(`${item.path}/`))?.path ??
    (role === "finance" ? "/finance" : "/");
  const brand = role === "finance" ? t("app.financeHome") : t("app.title");
  const navigation = (
    <nav aria-label={t("app.title")}>
      <Menu
        theme="dark"
        mode="inline"
        selectedKeys={[selected]}
        items={menu.map((item) => ({
          key: item.path,
          label: (
            <Link to={item.path} onClick={() => setMenuOpen(false)}>
              {t(item.label)}
            </Link>
          ),
        }))}
      />
    </nav>
  );

  return (
    <Layout style={{ minHeight: "100vh" }}>
      {narrow ? (
        <Drawer
          open={menuOpen}
          onClose={() => setMenuOpen(false)}
          placement="left"
          size={260}
          title={brand}
          className="console-drawer"
          styles={{ body: { padding: 0, background: "#001529" } }}
        >
          {navigation}
        </Drawer>
      ) : (
        <Layout.Sider width={220}>
          <div className="brand">{brand}</div>
          {navigation}
        </Layout.Sider>
      )}
      <Layout style={{ minWidth: 0 }}>
        <Layout.Header className={narrow ? "console-header console-header-narrow" : "console-header"}>
          {narrow && (
            <Button
              className="menu-button"
              icon={<MenuIcon />}
              aria-label={t("shell.openMenu")}
              aria-expanded={menuOpen}
              onClick={() => setMenuOpen(true)}
            />
          )}
          {narrow && <span className="header-brand">{brand}</span>}
          <Space className="header-actions" size={narrow ? 8 : "small"}>
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
        <Layout.Content className={narrow ? "console-content console-content-narrow" : "console-content"}>
          <main>
            <Outlet />
          </main>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
