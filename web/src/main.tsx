// Entry point: mount the console.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@/lib/i18n";
import { App } from "@/app/App";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
