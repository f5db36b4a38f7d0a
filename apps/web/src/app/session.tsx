import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { InMemoryWebStorage, UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import { DEFAULT_LOCALE, MeSchema, type Locale, type Me, type Role } from '@yardmaster/contracts';
import { configureApi, isProblemError, request } from '../lib/api';
import { setDisplayLocale } from '../lib/time';
import { clearDriverStore } from '../features/driver/offline-store';
import { t } from '../i18n';
import {
  clearSilentAttempt,
  markSilentAttempt,
  needsInteractiveSignIn,
  platformTarget,
  rememberedOrganisation,
  rememberOrganisation,
  returnPathOf,
  safeReturnTo,
  saveTargetInFlight,
  silentAttemptedRecently,
  startTarget,
  targetInFlight,
  type SignInTarget,
} from './sign-in-target';

export const CALLBACK_PATH = '/auth/callback';
/** The organisation sign-in page: asks which organisation (or work e-mail) and sends the person to its provider. */
export const SIGN_IN_PATH = '/sign-in';
export const SIGNED_OUT_FLAG = 'ym.signedOut';

/** Read once per page load: right after signing out, do not send the browser straight back to sign-in. */
export const justSignedOut = sessionStorage.getItem(SIGNED_OUT_FLAG) === '1';
sessionStorage.removeItem(SIGNED_OUT_FLAG);

type SessionState =
  | { status: 'loading' }
  /** `target`: the provider to sign in with (null: not known yet); `autoContinue`: a `?org=` link asked for it. */
  | { status: 'signed-out'; target: SignInTarget | null; autoContinue: boolean }
  | { status: 'no-access'; detail: string; user: User }
  | { status: 'error'; detail: string }
  | { status: 'ready'; user: User; me: Me };

export type Session = {
  state: SessionState;
  /** Sends the browser to the provider's sign-in (the target's, else the one already chosen, else the platform's). */
  signIn: (returnTo?: string, target?: SignInTarget, loginHint?: string) => Promise<void>;
  signOut: () => Promise<void>;
  /** The authorization code callback: signs in, or (a silent sign-in refused) falls back to the sign-in page. */
  completeSignIn: () => Promise<{ returnTo: string }>;
  /** Reads /me again (after the tenant's locale changed, so every date is rewritten at once). */
  refreshMe: () => Promise<void>;
};

type SignInState = { returnTo: string; silent?: boolean; autoContinue?: boolean };

const managers = new Map<string, UserManager>();
let active: UserManager | null = null;

/** The OIDC client of one provider (authorization code + PKCE). Tokens stay in memory. */
function managerFor(target: SignInTarget): UserManager {
  const key = `${target.issuer} ${target.clientId}`;
  let manager = managers.get(key);
  if (!manager) {
    const origin = window.location.origin;
    manager = new UserManager({
      authority: target.issuer,
      client_id: target.clientId,
      redirect_uri: `${origin}${CALLBACK_PATH}`,
      post_logout_redirect_uri: `${origin}/`,
      response_type: 'code',
      scope: target.scopes,
      // An organisation's own provider: its endpoints as the server read them, the token endpoint
      // relayed by the server (the browser may not call the provider's: CORS, CSP).
      ...(target.metadata
        ? { metadata: { ...target.metadata, token_endpoint: new URL(target.metadata.token_endpoint, origin).href } }
        : {}),
      // Tokens in memory only; the PKCE verifier and state must survive the redirect, so they
      // (and only they) sit in sessionStorage until the callback consumes them.
      userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
      stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
      automaticSilentRenew: true,
      accessTokenExpiringNotificationTimeInSeconds: 60,
      loadUserInfo: false,
    });
    managers.set(key, manager);
  }
  return manager;
}

async function currentToken(): Promise<string | null> {
  if (!active) return null;
  const user = await active.getUser();
  if (!user) return null;
  if (user.expired && user.refresh_token) {
    try {
      const renewed = await active.signinSilent();
      return renewed?.access_token ?? null;
    } catch {
      return null;
    }
  }
  return user.access_token;
}

let redirecting = false;
let callbackPromise: Promise<User> | null = null;

/** Leaves for the provider; `silent`: `prompt=none`, answered at once from the provider's own session. */
async function redirectToProvider(target: SignInTarget, state: SignInState, loginHint?: string): Promise<void> {
  if (redirecting) return;
  redirecting = true;
  saveTargetInFlight(target);
  if (state.silent) markSilentAttempt();
  await managerFor(target).signinRedirect({
    state,
    ...(state.silent ? { prompt: 'none' } : {}),
    ...(loginHint ? { login_hint: loginHint } : {}),
  });
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const loadMe = useCallback(async (user: User) => {
    try {
      const { data } = await request<Me>('/api/v1/me');
      const me = MeSchema.parse(data);
      // Before the state changes, so the screens that re-render write dates the tenant's way.
      setDisplayLocale(me.tenant?.locale ?? 'en-GB');
      if (!me.tenant && !me.isOperator) setState({ status: 'no-access', detail: t('auth.noTenant'), user });
      else setState({ status: 'ready', user, me });
    } catch (error) {
      if (isProblemError(error) && error.status === 403) setState({ status: 'no-access', detail: error.problem.detail, user });
      else if (isProblemError(error) && error.status === 401) setState({ status: 'signed-out', target: null, autoContinue: false });
      else setState({ status: 'error', detail: error instanceof Error ? error.message : String(error) });
    }
  }, []);

  /** Makes `manager` the one whose tokens the API calls use. */
  const activate = useCallback(
    (manager: UserManager) => {
      if (active === manager) return;
      active = manager;
      manager.events.addUserLoaded((user) => {
        if (active === manager) void loadMe(user);
      });
      manager.events.addUserSignedOut(() => setState({ status: 'signed-out', target: null, autoContinue: false }));
      manager.events.addSilentRenewError(() => undefined);
    },
    [loadMe],
  );

  useEffect(() => {
    let cancelled = false;
    configureApi({ token: currentToken, onUnauthorized: () => undefined });
    if (window.location.pathname === CALLBACK_PATH) return; // the callback page signs in
    void (async () => {
      try {
        const linkOrg = new URLSearchParams(window.location.search).get('org');
        const target = await startTarget(linkOrg ?? rememberedOrganisation());
        if (cancelled) return;
        const manager = managerFor(target);
        activate(manager);
        const user = await manager.getUser();
        if (user && !user.expired) return void (await loadMe(user));
        // Tokens live in memory, so a reload or a deep link starts without any: ask the provider
        // silently (`prompt=none`) whether the person is still signed in there.
        const maySignInSilently =
          window.location.pathname !== SIGN_IN_PATH && !justSignedOut && navigator.onLine && !silentAttemptedRecently();
        if (!maySignInSilently) return setState({ status: 'signed-out', target, autoContinue: false });
        await redirectToProvider(target, { returnTo: returnPathOf(window.location), silent: true, autoContinue: linkOrg !== null });
      } catch (error) {
        if (!cancelled) setState({ status: 'error', detail: error instanceof Error ? error.message : String(error) });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [activate, loadMe]);

  const signIn = useCallback(
    async (returnTo?: string, target?: SignInTarget, loginHint?: string) => {
      const chosen = target ?? (state.status === 'signed-out' ? state.target : null) ?? (await platformTarget());
      await redirectToProvider(chosen, { returnTo: returnTo ?? returnPathOf(window.location) }, loginHint);
    },
    [state],
  );

  const completeSignIn = useCallback(async () => {
    const target = targetInFlight() ?? (await platformTarget());
    const manager = managerFor(target);
    activate(manager);
    callbackPromise ??= manager.signinRedirectCallback();
    try {
      const user = await callbackPromise;
      clearSilentAttempt();
      rememberOrganisation(target);
      return { returnTo: safeReturnTo((user.state as SignInState | undefined)?.returnTo) };
    } catch (error) {
      if (!needsInteractiveSignIn(error)) throw error;
      // The provider has no session for the person: the sign-in page, where they left.
      const asked = (error as { state?: SignInState }).state;
      setState({ status: 'signed-out', target, autoContinue: asked?.autoContinue === true });
      return { returnTo: safeReturnTo(asked?.returnTo) };
    }
  }, [activate]);

  const signOut = useCallback(async () => {
    const manager = active;
    if (!manager) return;
    const user = await manager.getUser();
    // Block the signed-out page's automatic sign-in while the browser leaves for the provider.
    redirecting = true;
    sessionStorage.setItem(SIGNED_OUT_FLAG, '1');
    await manager.removeUser();
    // The phone's copy of the driver's jobs and unsent taps goes with the session.
    await clearDriverStore().catch(() => undefined);
    try {
      await manager.signoutRedirect({ id_token_hint: user?.id_token });
    } catch {
      redirecting = false;
      setState({ status: 'signed-out', target: null, autoContinue: false });
    }
  }, []);

  const refreshMe = useCallback(async () => {
    const user = await active?.getUser();
    if (user) await loadMe(user);
  }, [loadMe]);

  const value = useMemo(() => ({ state, signIn, signOut, completeSignIn, refreshMe }), [state, signIn, signOut, completeSignIn, refreshMe]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The signed-in caller; only usable below the signed-in guard. */
export function useMe(): Me & { timeZone: string; locale: Locale; hasRole: (...roles: Role[]) => boolean } {
  const { state } = useSession();
  const me = state.status === 'ready' ? state.me : null;
  const value = useMemo(
    () =>
      me
        ? {
            ...me,
            timeZone: me.tenant?.timeZone ?? 'UTC',
            locale: me.tenant?.locale ?? DEFAULT_LOCALE,
            hasRole: (...roles: Role[]) => roles.some((r) => me.roles.includes(r)),
          }
        : null,
    [me],
  );
  if (!value) throw new Error('useMe before sign-in');
  return value;
}

export { currentToken };
