// Invoice file formats: pdf, ofd (China's digital invoice format) and xml, each with its media type.
import type { FileFormat } from "@/lib/api/types";

export const MEDIA_TYPES: Record<FileFormat, string> = {
  pdf: "application/pdf",
  ofd: "application/ofd",
  xml: "application/xml",
};

/** The format of a file by its name's extension, or null when it is none of pdf, ofd, xml. */
export function formatOf(filename: string): FileFormat | null {
  const dot = filename.lastIndexOf(".");
  const extension = dot < 0 ? "" : filename.slice(dot + 1).toLowerCase();
  return extension === "pdf" || extension === "ofd" || extension === "xml" ? extension : null;
}
