import { useEffect, useState } from 'react';
import { Button, Center, Code, Paper, Stack, Text, Title } from '@mantine/core';
import { useNavigate } from 'react-router';
import { completeSignIn, useSession } from '../../app/session';
import { ErrorState, LoadingState } from '../../ui/States';

export function CallbackPage() {
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    completeSignIn()
      .then(({ returnTo }) => navigate(returnTo === '/auth/callback' ? '/' : returnTo, { replace: true }))
      .catch(setError);
  }, [navigate]);
  if (error)
    return (
      <Frame>
        <ErrorState title="Sign-in failed" error={error} />
        <SignInButton />
      </Frame>
    );
  return <LoadingState label="Signing you in…" />;
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

function SignInButton({ label = 'Sign in' }: { label?: string }) {
  const { signIn } = useSession();
  return (
    <Button onClick={() => void signIn('/')} fullWidth data-testid="app-sign-in">
      {label}
    </Button>
  );
}

/** Shown when nobody is signed in: sends the browser to the identity provider. */
export function SignedOutPage({ autoRedirect }: { autoRedirect: boolean }) {
  const { signIn } = useSession();
  useEffect(() => {
    if (autoRedirect) void signIn();
  }, [autoRedirect, signIn]);
  return (
    <Frame>
      <Title order={2}>Yardmaster</Title>
      <Text c="dimmed">Dispatch equipment with a qualified driver to work sites.</Text>
      <SignInButton />
    </Frame>
  );
}

export function NoAccessPage({ detail }: { detail: string }) {
  const { signOut } = useSession();
  return (
    <Frame>
      <Title order={2} data-testid="no-access">
        No access to this tenant
      </Title>
      <Text>You are signed in, but your account has no role in this organisation. Ask an administrator to add you.</Text>
      {detail ? <Code block>{detail}</Code> : null}
      <Button variant="light" onClick={() => void signOut()}>
        Sign out and use another account
      </Button>
    </Frame>
  );
}

export function SessionErrorPage({ detail }: { detail: string }) {
  return (
    <Frame>
      <ErrorState title="Yardmaster could not start" error={new Error(detail)} onRetry={() => window.location.reload()} />
    </Frame>
  );
}
