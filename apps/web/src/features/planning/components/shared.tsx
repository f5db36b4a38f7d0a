import type { ReactNode } from 'react';
import { Paper, Title } from '@mantine/core';
import { formErrorsOf } from '../../../lib/api';
import { ProblemAlert } from '../../../ui/States';
import { useOptions } from '../api';

/** The server's refusal above a form, unless it named fields (those are shown beside them). */
export function FormProblem({ error }: { error: unknown }) {
  if (!error || Object.keys(formErrorsOf(error).fields).length > 0) return null;
  return <ProblemAlert error={error} />;
}

/** A planning form: a bordered panel with its heading; the form is named by the heading. */
export function FormPanel({
  title,
  onSubmit,
  children,
  testId,
}: {
  title: string;
  onSubmit: (event?: React.FormEvent<HTMLFormElement>) => void;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <Paper withBorder p="md" component="form" onSubmit={onSubmit} aria-label={title} data-testid={testId}>
      <Title order={3} size="h4" mb="sm">
        {title}
      </Title>
      {children}
    </Paper>
  );
}

/** Field errors of a nested body (`workOrder.description`) on a flat form (`description`). */
export function flatFieldErrors(error: unknown, prefix: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(formErrorsOf(error).fields).map(([k, m]) => [k.startsWith(prefix) ? k.slice(prefix.length) : k, m]),
  );
}

type Option = { value: string; label: string };
/** Pickers' options: drivers by name, machines by asset tag, types and sites by code or name. */
export function useSelectOptions(what: 'drivers' | 'equipment' | 'equipment-types' | 'sites', enabled = true): Option[] {
  const query = useOptions(what, enabled);
  return (query.data?.items ?? []).map((i) => ({
    value: i.id,
    label: what === 'equipment' ? (i.assetTag ?? i.id) : what === 'equipment-types' ? (i.code ?? i.id) : (i.name ?? i.id),
  }));
}
