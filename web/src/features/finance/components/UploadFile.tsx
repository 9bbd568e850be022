// One invoice's file upload: a pdf, ofd or xml, the format from the file's extension.
import { App, Button } from "antd";
import { useRef } from "react";
import { useTranslation } from "react-i18next";
import type { FileFormat, Invoice } from "@/lib/api/types";
import { formatOf } from "@/lib/fileFormat";
import { ApiError } from "@/lib/problem";
import { useUploadFile } from "@/features/finance/api/moves";

/** Upload a pdf, ofd or xml for one invoice; the format comes from the file's extension. */
export function UploadFile({ requestId, invoice, onUploaded }: { requestId: string; invoice: Invoice; onUploaded: (format: FileFormat) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const upload = useUploadFile(requestId);
  const input = useRef<HTMLInputElement>(null);
  const label = t("finance.uploadFor", { number: invoice.number });

  const send = (file: File) => {
    const format = formatOf(file.name);
    if (!format) {
      void message.error(t("finance.uploadFormatHelp"));
      return;
    }
    upload.mutate(
      { number: invoice.number, format, file },
      {
        onSuccess: () => onUploaded(format),
        onError: (cause: unknown) => void message.error(cause instanceof ApiError ? cause.message : String(cause)),
      },
    );
  };

  return (
    <>
      <input
        ref={input}
        type="file"
        hidden
        aria-label={label}
        accept=".pdf,.ofd,.xml,application/pdf,application/ofd,application/xml"
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = "";
          if (file) send(file);
        }}
      />
      <Button size="small" loading={upload.isPending} onClick={() => input.current?.click()}>
        {label}
      </Button>
    </>
  );
}

