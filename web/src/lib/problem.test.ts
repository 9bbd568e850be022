import { describe, expect, it } from "vitest";
import { ApiError, fieldLabel, fieldPath, mapFieldErrors, problemTitle } from "./problem";

describe("problem documents", () => {
  it("turns the API's field names into form paths", () => {
    expect(fieldPath("body.bank_account")).toEqual(["bank_account"]);
    expect(fieldPath("body.invoices.1.amount")).toEqual(["invoices", 1, "amount"]);
    expect(fieldPath("query.limit")).toEqual(["limit"]);
  });

  it("puts each error next to the field it names and keeps the rest", () => {
    const mapped = mapFieldErrors(
      {
        status: 422,
        code: "validation_error",
        detail: "The request is not valid",
        errors: [
          { field: "body.taxpayer_id", message: "not a valid Unified Social Credit Code" },
          { field: "body.taxpayer_id", message: "must be 18 characters" },
          { field: "body.invoices.0.amount", message: "must be positive" },
          { field: "body", message: "at least one of email and address" },
        ],
      },
      ["taxpayer_id", "invoices"],
    );
    expect(mapped.fields).toEqual([
      { name: ["taxpayer_id"], errors: ["not a valid Unified Social Credit Code", "must be 18 characters"] },
      { name: ["invoices", 0, "amount"], errors: ["must be positive"] },
    ]);
    expect(mapped.rest).toEqual([{ field: "body", message: "at least one of email and address" }]);
  });

  it("a problem without errors maps to nothing", () => {
    expect(mapFieldErrors({ status: 409, code: "header_mismatch" }, ["title"])).toEqual({ fields: [], rest: [] });
  });

  it("an ApiError reads as the problem's detail", () => {
    const error = new ApiError({ status: 409, code: "invalid_transition", detail: "Only pending requests" });
    expect(error.message).toBe("Only pending requests");
    expect(error.code).toBe("invalid_transition");
    expect(new ApiError({ status: 502 }).message).toBe("HTTP 502");
  });
});

describe("field labels and titles", () => {
  it("names a field by the form's label, else by its path for a person", () => {
    expect(fieldLabel("body.phone", { phone: "Telephone" })).toBe("Telephone");
    expect(fieldLabel("body.invoices.1.number", { invoices: "Invoices" })).toBe("Invoices 2 number");
    expect(fieldLabel("body.postal_code")).toBe("postal code");
    expect(fieldLabel("body")).toBe("");
  });

  it("replaces a validation problem's raw-path detail, keeps every other detail", () => {
    const titles = { checkFields: "check", invalid: "invalid" };
    const invalid = { status: 422, code: "validation_error", detail: "body.phone: bad", errors: [{ field: "body.phone", message: "bad" }] };
    expect(problemTitle(invalid, titles, true)).toBe("check");
    expect(problemTitle(invalid, titles, false)).toBe("invalid");
    expect(problemTitle({ status: 409, code: "duplicate_invoice_number", detail: "Invoice number A1 already exists." }, titles, true)).toBe(
      "Invoice number A1 already exists.",
    );
  });
});
