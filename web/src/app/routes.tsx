// The route table: customer pages, the finance desk, sign-in; each role sees only its own pages.
import { Navigate, Route, Routes } from "react-router";
import { useAuth } from "@/features/auth/AuthProvider";
import { SignInPage } from "@/features/auth/SignInPage";
import { AddressesPage } from "@/features/addresses/AddressesPage";
import { AutoInvoicingPage } from "@/features/auto-invoicing/AutoInvoicingPage";
import { InvoiceManagementPage } from "@/features/bills/InvoiceManagementPage";
import { CertificationPage } from "@/features/certification/CertificationPage";
import { FinanceRequestPage } from "@/features/finance/FinanceRequestPage";
import { QueuePage } from "@/features/finance/QueuePage";
import { ProfilesPage } from "@/features/profiles/ProfilesPage";
import { RequestDetailPage } from "@/features/requests/RequestDetailPage";
import { RequestsPage } from "@/features/requests/RequestsPage";
import { RequestWizardPage } from "@/features/requests/RequestWizardPage";
import { NotFound } from "@/components/NotFound";
import type { Role } from "@/lib/session";
import { ConsoleLayout } from "./ConsoleLayout";

function RequireRole({ role }: { role: Role }) {
  const { session } = useAuth();
  if (!session) return <Navigate to="/sign-in" replace />;
  if (session.role !== role) return <Navigate to={session.role === "finance" ? "/finance" : "/"} replace />;
  return <ConsoleLayout role={role} />;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignInPage />} />
      <Route element={<RequireRole role="customer" />}>
        <Route index element={<InvoiceManagementPage />} />
        <Route path="certification" element={<CertificationPage />} />
        <Route path="invoice-information" element={<ProfilesPage />} />
        <Route path="sending-addresses" element={<AddressesPage />} />
        <Route path="request" element={<RequestWizardPage />} />
        <Route path="requests" element={<RequestsPage />} />
        <Route path="requests/:requestId" element={<RequestDetailPage />} />
        <Route path="auto-invoicing" element={<AutoInvoicingPage />} />
      </Route>
      <Route path="finance" element={<RequireRole role="finance" />}>
        <Route index element={<QueuePage />} />
        <Route path="requests/:requestId" element={<FinanceRequestPage />} />
      </Route>
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
