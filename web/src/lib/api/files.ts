// Invoice files through the generated client: downloads carry the key in a header (never in a link),
// uploads send the file itself with its format's Content-Type.
import type { FileFormat } from "./types";
import { api, call } from "./client";
import { saveBlob } from "@/lib/download";
import { MEDIA_TYPES } from "@/lib/fileFormat";

function path(requestId: string, number: string, format: FileFormat) {
  return { params: { path: { request_id: requestId, number, file_format: format } } };
}

export async function downloadInvoiceFile(requestId: string, number: string, format: FileFormat): Promise<void> {
  const blob = await call(
    api.GET("/v1/invoice-requests/{request_id}/invoices/{number}/files/{file_format}", {
      ...path(requestId, number, format),
      parseAs: "blob",
    }),
  );
  saveBlob(blob, `${number}.${format}`);
}

export function uploadInvoiceFile(requestId: string, number: string, format: FileFormat, file: Blob) {
  return call(
    api.PUT("/v1/invoice-requests/{request_id}/invoices/{number}/files/{file_format}", {
      ...path(requestId, number, format),
      // The body is the file's bytes, not JSON: the schema types it as a string, the serializer passes it on.
      body: "",
      bodySerializer: () => file,
      headers: { "Content-Type": MEDIA_TYPES[format] },
    }),
  );
}

/** The request's draft as a PDF preview (GET …/draft.pdf), saved as a file: the key stays in a header. */
export async function downloadDraftPdf(requestId: string): Promise<void> {
  const blob = await call(
    api.GET("/v1/invoice-requests/{request_id}/draft.pdf", {
      params: { path: { request_id: requestId } },
      parseAs: "blob",
    }),
  );
  saveBlob(blob, `draft-${requestId}.pdf`);
}
