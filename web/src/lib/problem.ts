// RFC 9457 problem documents from the API, turned into what a page shows: a message and field errors.

export interface FieldProblem {
  field: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string | null;
  code?: string;
  errors?: FieldProblem[] | null;
  [extra: string]: unknown;
}

/** An API call that did not succeed; carries the problem document (or a stand-in for a network error). */
export class ApiError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
    this.name = "ApiError";
    this.problem = problem;
  }

  get code(): string | undefined {
    return this.problem.code;
  }

  get status(): number {
    return this.problem.status;
  }
}

export function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && typeof (value as Problem).status === "number";
}

/** A form field path of antd (`["invoices", 0, "amount"]`) from the API's `body.invoices.0.amount`. */
export type FieldPath = (string | number)[];

export function fieldPath(field: string): FieldPath {
  const parts = field.split(".");
  if (parts[0] === "body" || parts[0] === "query" || parts[0] === "path") parts.shift();
  return parts.map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

export interface FieldErrors {
  /** Errors that name a field the form has, ready for `form.setFields`. */
  fields: { name: FieldPath; errors: string[] }[];
  /** Errors that name no field of the form (shown above it). */
  rest: FieldProblem[];
}

/**
 * Split a problem's `errors` into those that belong next to a form field and the rest.
 * `known` says which top-level fields the form shows; several messages for one field are kept together.
 */
export function mapFieldErrors(problem: Problem, known: readonly string[]): FieldErrors {
  const byField = new Map<string, { name: FieldPath; errors: string[] }>();
  const rest: FieldProblem[] = [];
  for (const error of problem.errors ?? []) {
    const name = fieldPath(error.field);
    const head = name[0];
    if (typeof head === "string" && known.includes(head)) {
      const key = name.join(".");
      const entry = byField.get(key) ?? { name, errors: [] };
      entry.errors.push(error.message);
      byField.set(key, entry);
    } else {
      rest.push(error);
    }
  }
  return { fields: [...byField.values()], rest };
}
