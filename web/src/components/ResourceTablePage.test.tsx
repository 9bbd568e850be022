import { describe, expect, it, vi } from "vitest";
import { renderHtml, textOf } from "@/testing/render";
import { ResourceTablePage } from "./ResourceTablePage";

interface Thing {
  id: string;
  name: string;
}

function page(overrides: Partial<Parameters<typeof ResourceTablePage<Thing>>[0]> = {}) {
  return renderHtml(
    <ResourceTablePage<Thing>
      title="Things"
      newLabel="New thing"
      editTitle="Edit thing"
      emptyText="No thing yet."
      deleteConfirm="Delete this thing?"
      items={[
        { id: "a", name: "First thing" },
        { id: "b", name: "Second thing" },
      ]}
      loading={false}
      error={null}
      deletion={{ mutate: vi.fn(), error: null }}
      renderForm={() => <p>the form</p>}
      columns={[{ title: "Name", dataIndex: "name" }]}
      {...overrides}
    />,
  );
}

describe("ResourceTablePage", () => {
  it("lists every item with Edit and Delete, under the title and the New button", () => {
    const html = page();
    const text = textOf(html);
    expect(text).toContain("Things");
    expect(text).toContain("New thing");
    expect(text).toContain("First thing");
    expect(text).toContain("Second thing");
    expect(text.match(/\bEdit\b/g)).toHaveLength(2);
    expect(text.match(/\bDelete\b/g)).toHaveLength(2);
    expect(text).not.toContain("the form"); // the dialog opens on New or Edit
  });

  it("shows the empty text, the notice, and the refusal of a deletion", () => {
    const refused = { status: 409, code: "in_use", detail: "This thing is used by automatic invoicing." };
    const text = textOf(
      page({
        items: [],
        notice: <p>Certify first.</p>,
        deletion: { mutate: vi.fn(), error: new (class extends Error {})(refused.detail) },
      }),
    );
    expect(text).toContain("No thing yet.");
    expect(text).toContain("Certify first.");
    expect(text).toContain("This thing is used by automatic invoicing.");
  });

  it("can keep New disabled", () => {
    expect(page({ newDisabled: true })).toMatch(/<button[^>]*disabled=""[^>]*>(?:(?!<\/button>).)*New thing/);
  });
});
