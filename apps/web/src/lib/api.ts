import { problemOf, ProblemError } from './problem';

export { ProblemError, isProblemError, formErrorsOf, messageOf } from './problem';

type TokenSource = () => string | null | Promise<string | null>;
type UnauthorizedHandler = () => void;

let tokenSource: TokenSource = () => null;
let onUnauthorized: UnauthorizedHandler = () => undefined;

/** The session plugs its access token (kept in memory) and its 401 handler in here. */
export function configureApi(options: { token: TokenSource; onUnauthorized: UnauthorizedHandler }): void {
  tokenSource = options.token;
  onUnauthorized = options.onUnauthorized;
}

export async function authorizationHeader(): Promise<Record<string, string>> {
  const token = await tokenSource();
  return token ? { authorization: `Bearer ${token}` } : {};
}

export type RequestOptions = {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined>;
  /** Sends `If-Match: "<version>"` (optimistic concurrency). */
  version?: number | string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
};

export type ApiResponse<T> = { data: T; etag: string | null; version: number | null; response: Response };

export function urlOf(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

/** `"7"` or `W/"7"` → 7. */
export function versionOfEtag(etag: string | null): number | null {
  if (!etag) return null;
  const m = /^(?:W\/)?"?([^"]*)"?$/.exec(etag.trim());
  const n = m ? Number(m[1]) : NaN;
  return Number.isFinite(n) ? n : null;
}

export function ifMatch(version: number | string): string {
  return `"${String(version).replace(/"/g, '')}"`;
}

/** Low-level request: bearer token, JSON in and out, problem+json → ProblemError. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...(await authorizationHeader()), ...options.headers };
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) body = options.body;
  else if (typeof options.body === 'string') {
    body = options.body;
    headers['content-type'] ??= 'text/plain';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  if (options.version !== undefined) headers['if-match'] = ifMatch(options.version);
  let response: Response;
  try {
    response = await fetch(urlOf(path, options.query), { method: options.method ?? 'GET', headers, body, signal: options.signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ProblemError({
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      detail: 'The server could not be reached. Check your connection and try again.',
    });
  }
  const etag = response.headers.get('etag');
  const type = response.headers.get('content-type') ?? '';
  const parsed: unknown =
    response.status === 204 ? undefined : type.includes('json') ? await response.json().catch(() => undefined) : await response.text();
  if (!response.ok) {
    if (response.status === 401) onUnauthorized();
    throw new ProblemError(problemOf(response.status, parsed, response.statusText));
  }
  return { data: parsed as T, etag, version: versionOfEtag(etag), response };
}

export const api = {
  get: async <T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal) => (await request<T>(path, { query, signal })).data,
  post: async <T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body' | 'method'> = {}) =>
    (await request<T>(path, { ...options, method: 'POST', body })).data,
  put: async <T>(path: string, body: unknown, version?: number | string) => (await request<T>(path, { method: 'PUT', body, version })).data,
  patch: async <T>(path: string, body: unknown, version?: number | string) =>
    (await request<T>(path, { method: 'PATCH', body, version })).data,
  delete: async <T>(path: string, version?: number | string) => (await request<T>(path, { method: 'DELETE', version })).data,
};

/** Downloads a protected file (PDF, CSV) with the bearer token and hands it to the browser. */
export async function download(path: string, fileName: string, query?: RequestOptions['query']): Promise<void> {
  const response = await fetch(urlOf(path, query), { headers: await authorizationHeader() });
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => undefined);
    throw new ProblemError(problemOf(response.status, body, response.statusText));
  }
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
