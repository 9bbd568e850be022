// Show an API refusal on a form: field errors next to their fields, the rest above the form.
import type { FormInstance } from "antd";
import { useCallback, useState } from "react";
import { ApiError, mapFieldErrors, type FieldProblem } from "@/lib/problem";

export function useFormProblem(form: FormInstance, fields: readonly string[]) {
  const [error, setError] = useState<unknown>(null);
  const [rest, setRest] = useState<FieldProblem[]>([]);

  const show = useCallback(
    (cause: unknown) => {
      setError(cause);
      if (cause instanceof ApiError) {
        const mapped = mapFieldErrors(cause.problem, fields);
        form.setFields(mapped.fields);
        setRest(mapped.rest);
      } else {
        setRest([]);
      }
    },
    [form, fields],
  );
  const clear = useCallback(() => {
    setError(null);
    setRest([]);
  }, []);
  return { error, rest, show, clear };
}
