import { Button, Result } from "antd";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";

export function NotFound() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  return (
    <main>
      <Result
        status="404"
        title="404"
        subTitle={t("app.notFound")}
        extra={
          <Button type="primary" onClick={() => void navigate("/")}>
            {t("app.goHome")}
          </Button>
        }
      />
    </main>
  );
}
