import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { InMemoryWebStorage, UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import { ClientConfigSchema, MeSchema, type ClientConfig, type Me, type Role } from '@yardmaster/contracts';
import { configureApi, isProblemError, request } from '../lib/api';
import { clearDriverStore } from '../features/driver/offline-store';

export const CALLBACK_PATH = '/auth/callback';
export const SIGNED_OUT_FLAG = 'ym.signedOut';

type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out' }
  | { status: 'no-access'; detail: string; user: User }
  | { status: 'error'; detail: string }
  | { status: 'ready'; user: User; me: Me };

export type Session = {
  state: SessionState;
  signIn: (returnTo?: string) => Promise<void>;
  signOut: () => Promise<void>;
};

let manager: UserManager | null = null;
let managerPromise: Promise<UserManager> | null = null;

/** The OIDC client, configured from the server's /api/v1/client-config. Tokens stay in memory. */
export function userManager(): Promise<UserManager> {
  managerPromise ??= (async () => {
    const { data } = await request<ClientConfig>('/api/v1/client-config');
    const config = ClientConfigSchema.parse(data);
    const origin = window.location.origin;
    manager = new UserManager({
      authority: config.issuer,
      client_id: config.clientId,
      redirect_uri: `${origin}${CALLBACK_PATH}`,
      post_logout_redirect_uri: `${origin}/`,
      response_type: 'code',
      scope: config.scopes,
      // Tokens in memory only; the PKCE verifier and state must survive the redirect, so they
      // (and only they) sit in sessionStorage until the callback consumes them.
      userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
      stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
      automaticSilentRenew: true,
      accessTokenExpiringNotificationTimeInSeconds: 60,
      loadUserInfo: false,
    });
    return manager;
  })();
  return managerPromise;
}

async function currentToken(): Promise<string | null> {
  if (!manager) return null;
  const user = await manager.getUser();
  if (!user) return null;
  if (user.expired && user.refresh_token) {
    try {
      const renewed = await manager.signinSilent();
      return renewed?.access_token ?? null;
    } catch {
      return null;
    }
  }
  return user.access_token;
}

let redirecting = false;
let callbackPromise: Promise<User> | null = null;
/** The authorization code callback, processed once even if React renders twice. */
export async function completeSignIn(): Promise<{ user: User; returnTo: string }> {
  const um = await userManager();
  callbackPromise ??= um.signinRedirectCallback();
  const user = await callbackPromise;
  const state = user.state as { returnTo?: string } | undefined;
  const returnTo = state?.returnTo && state.returnTo.startsWith('/') && !state.returnTo.startsWith('//') ? state.returnTo : '/';
  return { user, returnTo };
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const loadMe = useCallback(async (user: User) => {
    try {
      const { data } = await request<Me>('/api/v1/me');
      const me = MeSchema.parse(data);
      if (!me.tenant && !me.isOperator) setState({ status: 'no-access', detail: 'Your account is not a member of any tenant.', user });
      else setState({ status: 'ready', user, me });
    } catch (error) {
      if (isProblemError(error) && error.status === 403) setState({ status: 'no-access', detail: error.problem.detail, user });
      else if (isProblemError(error) && error.status === 401) setState({ status: 'signed-out' });
      else setState({ status: 'error', detail: error instanceof Error ? error.message : String(error) });
    }
  }, []);

  useEffect(() => {
    let cancelled = false;
    configureApi({ token: currentToken, onUnauthorized: () => undefined });
    void (async () => {
      try {
        const um = await userManager();
        const onLoaded = (user: User) => {
          if (!cancelled) void loadMe(user);
        };
        um.events.addUserLoaded(onLoaded);
        um.events.addUserSignedOut(() => setState({ status: 'signed-out' }));
        um.events.addSilentRenewError(() => undefined);
        if (window.location.pathname === CALLBACK_PATH) return; // the callback page signs in
        const user = await um.getUser();
        if (cancelled) return;
        if (user && !user.expired) await loadMe(user);
        else setState({ status: 'signed-out' });
      } catch (error) {
        if (!cancelled) setState({ status: 'error', detail: error instanceof Error ? error.message : String(error) });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [loadMe]);

  const signIn = useCallback(async (returnTo?: string) => {
    if (redirecting) return;
    redirecting = true;
    const um = await userManager();
    await um.signinRedirect({ state: { returnTo: returnTo ?? `${window.location.pathname}${window.location.search}` } });
  }, []);

  const signOut = useCallback(async () => {
    const um = await userManager();
    const user = await um.getUser();
    // Block the signed-out page's automatic sign-in while the browser leaves for the provider.
    redirecting = true;
    sessionStorage.setItem(SIGNED_OUT_FLAG, '1');
    await um.removeUser();
    // The phone's copy of the driver's jobs and unsent taps goes with the session.
    await clearDriverStore().catch(() => undefined);
    try {
      await um.signoutRedirect({ id_token_hint: user?.id_token });
    } catch {
      redirecting = false;
      setState({ status: 'signed-out' });
    }
  }, []);

  const value = useMemo(() => ({ state, signIn, signOut }), [state, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The signed-in caller; only usable below the signed-in guard. */
export function useMe(): Me & { timeZone: string; hasRole: (...roles: Role[]) => boolean } {
  const { state } = useSession();
  const me = state.status === 'ready' ? state.me : null;
  const value = useMemo(
    () =>
      me ? { ...me, timeZone: me.tenant?.timeZone ?? 'UTC', hasRole: (...roles: Role[]) => roles.some((r) => me.roles.includes(r)) } : null,
    [me],
  );
  if (!value) throw new Error('useMe before sign-in');
  return value;
}

export { currentToken };
