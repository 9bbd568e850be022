import { describe, expect, it } from "vitest";
import { ApiError } from "@/lib/problem";
import { renderHtml, textOf } from "@/testing/render";
import { ProblemAlert } from "./ProblemAlert";

const PHONE = new ApiError({
  status: 422,
  code: "validation_error",
  detail: "body.phone: is not a valid phone number",
  errors: [{ field: "body.phone", message: "is not a valid phone number" }],
});

describe("ProblemAlert", () => {
  it("says once to check the fields when a form shows the errors, never the raw path", () => {
    const text = textOf(renderHtml(<ProblemAlert error={PHONE} rest={[]} />));
    expect(text).toContain("Check the fields marked below.");
    expect(text).not.toContain("body.phone");
    expect(text).not.toContain("is not a valid phone number"); // shown next to the field only
  });

  it("lists errors no field took by a human label", () => {
    const text = textOf(renderHtml(<ProblemAlert error={PHONE} labels={{ phone: "Telephone" }} />));
    expect(text).toContain("Some values were not accepted:");
    expect(text).toContain("Telephone: is not a valid phone number");
    expect(text).not.toContain("body.phone");
  });

  it("shows other refusals by their detail", () => {
    const duplicate = new ApiError({
      status: 409,
      code: "duplicate_invoice_number",
      detail: "Invoice numbers A1, A2 already exist.",
      errors: [
        { field: "body.invoices.0.number", message: "A1 already exists" },
        { field: "body.invoices.1.number", message: "A2 already exists" },
      ],
    });
    const text = textOf(renderHtml(<ProblemAlert error={duplicate} rest={[]} />));
    expect(text).toContain("Invoice numbers A1, A2 already exist.");
    expect(text).not.toContain("body.invoices");
  });

  it("says the service could not be reached for a network error, and nothing without an error", () => {
    expect(textOf(renderHtml(<ProblemAlert error={new ApiError({ status: 0, code: "network_error" })} />))).toContain(
      "could not be reached",
    );
    expect(textOf(renderHtml(<ProblemAlert error={null} />))).toBe("");
    expect(renderHtml(<ProblemAlert error={null} />)).not.toContain("role=\"alert\"");
  });
});
