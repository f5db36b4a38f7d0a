import type { FieldError, Problem } from '@yardmaster/contracts';

/** A refused request: the server's problem+json answer, typed. */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ProblemError';
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}

export function isProblemError(error: unknown): error is ProblemError {
  return error instanceof ProblemError;
}

/** Reads any answer body into a Problem, whatever the server (or a proxy in front) sent. */
export function problemOf(status: number, body: unknown, statusText = ''): Problem {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const errors = Array.isArray(b.errors)
      ? b.errors.flatMap((e: unknown) => {
          if (!e || typeof e !== 'object') return [];
          const { field, message } = e as Record<string, unknown>;
          return typeof message === 'string' ? [{ field: typeof field === 'string' ? field : '', message }] : [];
        })
      : undefined;
    return {
      type: typeof b.type === 'string' ? b.type : 'about:blank',
      title: typeof b.title === 'string' ? b.title : statusText || `HTTP ${status}`,
      status: typeof b.status === 'number' ? b.status : status,
      detail: typeof b.detail === 'string' ? b.detail : typeof b.message === 'string' ? b.message : '',
      ...(typeof b.requestId === 'string' ? { requestId: b.requestId } : {}),
      ...(errors ? { errors } : {}),
    };
  }
  return { type: 'about:blank', title: statusText || `HTTP ${status}`, status, detail: typeof body === 'string' ? body.slice(0, 300) : '' };
}

/**
 * Maps a problem's field errors to a Mantine form's `setErrors` shape. The server names fields
 * by their path in the body (`lines.0.quantity`, `body.name`, `/lines/0/quantity`); forms use
 * dotted paths, so leading `body.` and slashes are normalised. Errors that name no field of the
 * form are returned as `rest`, to show above the form.
 */
export function formErrorsOf(error: unknown, knownFields?: readonly string[]): { fields: Record<string, string>; rest: string[] } {
  if (!isProblemError(error)) return { fields: {}, rest: [error instanceof Error ? error.message : String(error)] };
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const e of error.fieldErrors) {
    const path = normaliseField(e.field);
    const known = path !== '' && (!knownFields || knownFields.some((k) => path === k || path.startsWith(`${k}.`)));
    if (known && !(path in fields)) fields[path] = e.message;
    else if (!known) rest.push(path ? `${path}: ${e.message}` : e.message);
  }
  if (Object.keys(fields).length === 0 && rest.length === 0) rest.push(error.problem.detail || error.problem.title);
  return { fields, rest };
}

export function normaliseField(field: string): string {
  return field
    .replace(/^\/+/, '')
    .replace(/\//g, '.')
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/^(body|querystring|params)\./, '')
    .replace(/^\.+/, '');
}

/** One line for a notification: the server's reason when it gave one. */
export function messageOf(error: unknown): string {
  if (isProblemError(error)) {
    const fields = error.fieldErrors.map((e) => (e.field ? `${normaliseField(e.field)}: ${e.message}` : e.message));
    return [error.problem.detail || error.problem.title, ...fields].filter(Boolean).join(' — ');
  }
  return error instanceof Error ? error.message : String(error);
}
