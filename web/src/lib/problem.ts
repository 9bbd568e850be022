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

/**
 * A field the form does not show, named for a person: its label when the form gave one
 * (`labels` by top-level field), else the path without `body.`, 1-based positions, spaces for `_`
 * (`body.invoices.1.number` → "invoices 2 number").
 */
export function fieldLabel(field: string, labels: Readonly<Record<string, string>> = {}): string {
  const path = fieldPath(field);
  if (path.length === 0) return "";
  const head = path[0];
  const named = typeof head === "string" && labels[head] ? [labels[head]] : [String(head).replaceAll("_", " ")];
  for (const part of path.slice(1)) named.push(typeof part === "number" ? String(part + 1) : part.replaceAll("_", " "));
  return named.join(" ");
}

/**
 * The title of a refusal: the problem's detail, except for a validation problem with field errors,
 * whose detail only repeats them by their raw paths (`body.phone: …`): `checkFields` when a form
 * shows them next to its fields (`attached`), else `invalid` (they are listed under it).
 */
export function problemTitle(
  problem: Problem,
  titles: { checkFields: string; invalid: string },
  attached: boolean,
): string | undefined {
  if (problem.code === "validation_error" && (problem.errors ?? []).length > 0) {
    return attached ? titles.checkFields : titles.invalid;
  }
  return problem.detail ?? undefined;
}
