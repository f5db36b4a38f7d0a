import type { FieldError } from '@yardmaster/contracts';

/**
 * A failure the caller can act on. Rendered as application/problem+json by the HTTP layer.
 * `type` is a stable URI-like identifier (`/problems/<kind>`) clients may switch on.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const problemType = (kind: string): string => `/problems/${kind}`;

export const notFound = (entity: string, id?: string): AppError =>
  new AppError(404, problemType('not-found'), 'Not found', id ? `${entity} ${id} does not exist` : `${entity} does not exist`);

export const conflict = (detail: string, errors?: FieldError[]): AppError =>
  new AppError(409, problemType('conflict'), 'Conflict', detail, errors);

export const validationFailed = (detail: string, errors: FieldError[]): AppError =>
  new AppError(400, problemType('validation'), 'Invalid request', detail, errors);

export const unprocessable = (kind: string, detail: string, errors?: FieldError[]): AppError =>
  new AppError(422, problemType(kind), 'Unprocessable request', detail, errors);

export const unauthorized = (detail: string): AppError => new AppError(401, problemType('unauthorized'), 'Unauthorized', detail);

export const forbidden = (detail: string): AppError => new AppError(403, problemType('forbidden'), 'Forbidden', detail);

export const staleVersion = (entity: string, id: string): AppError =>
  new AppError(
    409,
    problemType('stale-version'),
    'Version conflict',
    `${entity} ${id} was changed by someone else; reload it and try again`,
  );

export const preconditionRequired = (): AppError =>
  new AppError(428, problemType('precondition-required'), 'Precondition required', 'send the version you read in If-Match');
