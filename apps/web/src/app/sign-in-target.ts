import { ClientConfigSchema, SignInOptionsSchema, type ClientConfig, type SignInOptions } from '@yardmaster/contracts';
import { isProblemError, request } from '../lib/api';

/**
 * Which identity provider signs a person in: the platform's (embedded or OIDC_ISSUER), or their
 * organisation's own. Nothing here is a secret: the organisation last signed in to is kept (its
 * slug) so a reload or a deep link can ask the same provider silently; tokens stay in memory.
 */
export type SignInTarget = SignInOptions;

/** localStorage: the slug of the organisation last signed in to (absent: the platform's provider). */
const ORG_KEY = 'ym.org';
/** sessionStorage: the provider of the sign-in under way (the callback exchanges the code there). */
const TARGET_KEY = 'ym.signin.target';
/** sessionStorage: when the last silent sign-in (`prompt=none`) left, so a refusal does not loop. */
const SILENT_KEY = 'ym.signin.silentAt';
const SILENT_RETRY_MS = 30_000;

export function rememberedOrganisation(): string | null {
  return localStorage.getItem(ORG_KEY);
}

export function rememberOrganisation(target: SignInTarget): void {
  if (target.organisation) localStorage.setItem(ORG_KEY, target.organisation.slug);
  else localStorage.removeItem(ORG_KEY);
}

export function forgetOrganisation(): void {
  localStorage.removeItem(ORG_KEY);
}

export function saveTargetInFlight(target: SignInTarget): void {
  sessionStorage.setItem(TARGET_KEY, JSON.stringify(target));
}

export function targetInFlight(): SignInTarget | null {
  const saved = sessionStorage.getItem(TARGET_KEY);
  if (!saved) return null;
  const parsed = SignInOptionsSchema.safeParse(JSON.parse(saved));
  return parsed.success ? parsed.data : null;
}

export function markSilentAttempt(): void {
  sessionStorage.setItem(SILENT_KEY, String(Date.now()));
}

export function clearSilentAttempt(): void {
  sessionStorage.removeItem(SILENT_KEY);
}

/** Whether a silent sign-in left moments ago (its answer was "sign in first", or it never came back). */
export function silentAttemptedRecently(): boolean {
  const at = Number(sessionStorage.getItem(SILENT_KEY) ?? 0);
  return Date.now() - at < SILENT_RETRY_MS;
}

export async function platformTarget(): Promise<SignInTarget> {
  const { data } = await request<ClientConfig>('/api/v1/client-config');
  const config = ClientConfigSchema.parse(data);
  return { organisation: null, provider: 'platform', issuer: config.issuer, clientId: config.clientId, scopes: config.scopes };
}

/** The provider of an organisation (by slug) or of a work e-mail address (by its declared domain). */
export async function targetFor(query: { org: string } | { email: string }): Promise<SignInTarget> {
  const { data } = await request<SignInOptions>('/api/v1/sign-in', { query });
  return SignInOptionsSchema.parse(data);
}

/** The provider to ask at start: the organisation named in the link or remembered, else the platform's. */
export async function startTarget(org: string | null): Promise<SignInTarget> {
  if (!org) return platformTarget();
  try {
    return await targetFor({ org });
  } catch (error) {
    // An organisation that no longer exists (or a mistyped link): sign in with the platform's provider.
    if (isProblemError(error) && (error.status === 404 || error.status === 400)) {
      forgetOrganisation();
      return platformTarget();
    }
    throw error;
  }
}

/** Answers of a silent sign-in that mean "the person must sign in interactively". */
const INTERACTIVE_ANSWERS = new Set(['login_required', 'interaction_required', 'consent_required', 'account_selection_required']);

export function needsInteractiveSignIn(error: unknown): boolean {
  return typeof error === 'object' && error !== null && INTERACTIVE_ANSWERS.has(String((error as { error?: unknown }).error));
}

/** A path inside the app to return to, without the `org` parameter that chose the provider. */
export function returnPathOf(location: Pick<Location, 'pathname' | 'search'>): string {
  const params = new URLSearchParams(location.search);
  params.delete('org');
  const query = params.toString();
  return `${location.pathname}${query ? `?${query}` : ''}`;
}

export function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : '/';
}
