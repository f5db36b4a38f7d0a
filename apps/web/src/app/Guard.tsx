import type { ReactNode } from 'react';
import { Navigate, Outlet } from 'react-router';
import type { Role } from '@yardmaster/contracts';
import { Box } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { NoAccessPage, SessionErrorPage, SignedOutPage } from '../features/auth/AuthPages';
import { DriverPage } from '../features/driver/DriverPage';
import { LoadingState } from '../ui/States';
import { LiveEventsProvider } from './live';
import { homePathFor } from './nav';
import { justSignedOut, useMe, useSession } from './session';

/** Everything below needs a signed-in member of the tenant. */
export function RequireSession() {
  const { t } = useTranslation();
  const { state } = useSession();
  // Opened without signal (tokens live in memory, so a reload has none): the driver still gets the
  // day's jobs from the phone's copy, and taps are queued, instead of a sign-in that cannot work.
  if (
    window.location.pathname.startsWith('/driver') &&
    (state.status === 'error' || (state.status === 'signed-out' && !navigator.onLine))
  ) {
    return (
      <Box p="md">
        <DriverPage signedIn={false} />
      </Box>
    );
  }
  switch (state.status) {
    case 'loading':
      return <LoadingState label={t('auth.starting')} />;
    case 'signed-out':
      return <SignedOutPage autoRedirect={!justSignedOut} />;
    case 'no-access':
      return <NoAccessPage detail={state.detail} />;
    case 'error':
      return <SessionErrorPage detail={state.detail} />;
    case 'ready':
      return (
        <LiveEventsProvider>
          <Outlet />
        </LiveEventsProvider>
      );
  }
}

export function RequireRole({ roles, children }: { roles: readonly Role[]; children: ReactNode }) {
  const me = useMe();
  if (!me.hasRole(...roles)) return <Navigate to={homePathFor(me.roles)} replace />;
  return <>{children}</>;
}

export function HomeRedirect() {
  const me = useMe();
  return <Navigate to={homePathFor(me.roles)} replace />;
}
