import { useEffect, useRef, useState } from 'react';
import { Anchor, Button, Center, Code, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { SIGN_IN_PATH, useSession } from '../../app/session';
import { platformTarget, targetFor } from '../../app/sign-in-target';
import { isProblemError } from '../../lib/api';
import { ErrorState, LoadingState } from '../../ui/States';

export function CallbackPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { completeSignIn } = useSession();
  const [error, setError] = useState<unknown>(null);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    completeSignIn()
      .then(({ returnTo }) => navigate(returnTo === '/auth/callback' ? '/' : returnTo, { replace: true }))
      .catch(setError);
  }, [navigate, completeSignIn]);
  if (error)
    return (
      <Frame>
        <ErrorState title={t('auth.signInFailed')} error={error} />
        <SignInButton />
      </Frame>
    );
  return <LoadingState label={t('auth.signingIn')} />;
}

function Frame({ children }: { children: React.ReactNode }) {
  return (
    <Center mih="100vh" bg="gray.0">
      <Paper shadow="sm" p="xl" radius="md" w={440} maw="92vw">
        <Stack>{children}</Stack>
      </Paper>
    </Center>
  );
}

function SignInButton({ label }: { label?: string }) {
  const { t } = useTranslation();
  const { signIn } = useSession();
  return (
    <Button onClick={() => void signIn('/')} fullWidth data-testid="app-sign-in">
      {label ?? t('auth.signIn')}
    </Button>
  );
}

/**
 * Shown when nobody is signed in. People of an organisation with its own identity provider get the
 * organisation sign-in (its provider said "sign in first"); everyone else is sent to the platform's
 * sign-in page, which links back to the organisation sign-in.
 */
export function SignedOutPage({ autoRedirect }: { autoRedirect: boolean }) {
  const { t } = useTranslation();
  const { state, signIn } = useSession();
  const target = state.status === 'signed-out' ? state.target : null;
  const ownProvider = target?.provider === 'organisation';
  const autoContinue = state.status === 'signed-out' && state.autoContinue;
  useEffect(() => {
    if (autoRedirect && (!ownProvider || autoContinue)) void signIn();
  }, [autoRedirect, ownProvider, autoContinue, signIn]);
  if (ownProvider) return <OrganisationSignIn initial={target.organisation?.slug ?? ''} />;
  return (
    <Frame>
      <Title order={2}>{t('common.appName')}</Title>
      <Text c="dimmed">{t('auth.tagline')}</Text>
      <SignInButton />
      <OrganisationLink />
    </Frame>
  );
}

function OrganisationLink() {
  const { t } = useTranslation();
  return (
    <Anchor component={Link} to={SIGN_IN_PATH} size="sm" ta="center">
      {t('signIn.withOrganisation')}
    </Anchor>
  );
}

/** The organisation sign-in page (`/sign-in`, `?org=` prefills it). */
export function OrganisationSignInPage() {
  const [params] = useSearchParams();
  return <OrganisationSignIn initial={params.get('org') ?? ''} returnTo="/" />;
}

/**
 * Asks for the organisation, or a work e-mail address whose domain an organisation declared, and
 * sends the person to that organisation's identity provider (or the platform's).
 */
function OrganisationSignIn({ initial, returnTo }: { initial: string; returnTo?: string }) {
  const { t } = useTranslation();
  const { signIn } = useSession();
  const [value, setValue] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const entered = value.trim();
    if (!entered) return setError(t('signIn.required'));
    setBusy(true);
    setError(null);
    try {
      const isEmail = entered.includes('@');
      const target = await targetFor(isEmail ? { email: entered } : { org: entered.toLowerCase() });
      await signIn(returnTo, target, isEmail ? entered : undefined);
    } catch (failure) {
      setBusy(false);
      if (isProblemError(failure) && failure.status === 404) setError(t('signIn.unknownOrganisation', { name: entered }));
      else if (isProblemError(failure) && failure.status === 400) setError(t('signIn.invalid'));
      else if (isProblemError(failure) && failure.status === 502) setError(t('signIn.providerUnreachable'));
      else setError(failure instanceof Error ? failure.message : String(failure));
    }
  };

  return (
    <Frame>
      <Title order={1} size="h2">
        {t('signIn.title')}
      </Title>
      <Text c="dimmed">{t('signIn.intro')}</Text>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack>
          <TextInput
            label={t('signIn.organisationLabel')}
            description={t('signIn.organisationHelp')}
            value={value}
            onChange={(e) => setValue(e.currentTarget.value)}
            error={error}
            autoComplete="username"
            autoFocus
            data-testid="sign-in-organisation"
          />
          <Button type="submit" loading={busy} fullWidth>
            {t('signIn.continue')}
          </Button>
        </Stack>
      </form>
      <Button variant="subtle" onClick={() => void platformTarget().then((target) => signIn(returnTo, target))}>
        {t('signIn.withYardmasterAccount')}
      </Button>
    </Frame>
  );
}

export function NoAccessPage({ detail }: { detail: string }) {
  const { t } = useTranslation();
  const { signOut } = useSession();
  return (
    <Frame>
      <Title order={2} data-testid="no-access">
        {t('auth.noAccess.title')}
      </Title>
      <Text>{t('auth.noAccess.text')}</Text>
      {detail ? <Code block>{detail}</Code> : null}
      <Button variant="light" onClick={() => void signOut()}>
        {t('auth.noAccess.signOut')}
      </Button>
    </Frame>
  );
}

export function SessionErrorPage({ detail }: { detail: string }) {
  const { t } = useTranslation();
  return (
    <Frame>
      <ErrorState title={t('auth.couldNotStart')} error={new Error(detail)} onRetry={() => window.location.reload()} />
    </Frame>
  );
}
