import { useState, type ReactNode } from 'react';
import {
  Button,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Paper,
  ScrollArea,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconPencil, IconPlus, IconSearch } from '@tabler/icons-react';
import { keepPreviousData, useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, formErrorsOf, request } from '../../../lib/api';
import { zodValidate } from '../../../lib/forms';
import { EmptyState, ErrorState, LoadingState, ProblemAlert } from '../../../ui/States';

type Option = { value: string; label: string };
export type FieldSpec<F> = {
  name: keyof F & string;
  label: string;
  kind: 'text' | 'textarea' | 'number' | 'select' | 'multiselect' | 'switch' | 'datetime';
  required?: boolean;
  description?: string;
  options?: Option[];
  /** Shown only when creating (e.g. a code that never changes). */
  createOnly?: boolean;
  /** Shown only when editing (e.g. an active switch). */
  editOnly?: boolean;
};

type Schema = Parameters<typeof zodValidate>[0];

export type ResourceSpec<Item, F extends Record<string, unknown>> = {
  /** Query key area, e.g. ['fleet', 'equipment']. */
  queryKey: readonly string[];
  path: string;
  title: string;
  singular: string;
  /** `id`: a stable name for a column that a screen replaces (labels are translated). */
  columns: { id?: string; label: string; render: (item: Item) => ReactNode }[];
  fields: FieldSpec<F>[];
  empty: F;
  toForm: (item: Item) => F;
  toCreate: (form: F) => unknown;
  toUpdate: (form: F, item: Item) => unknown;
  createSchema?: Schema;
  updateSchema?: Schema;
  idOf: (item: Item) => string;
  versionOf: (item: Item) => number;
  updateMethod?: 'PATCH' | 'PUT';
  listQuery?: Record<string, string | number | boolean | undefined>;
};

type Page<Item> = { items: Item[]; nextCursor: string | null };

export function useResourceList<Item>(
  queryKey: readonly string[],
  path: string,
  query?: Record<string, string | number | boolean | undefined>,
) {
  return useInfiniteQuery({
    queryKey: [...queryKey, 'list', query ?? {}],
    queryFn: ({ pageParam, signal }) => api.get<Page<Item>>(path, { limit: 100, ...query, cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    // A new search or filter keeps the rows on screen until its answer comes: the table does not
    // blink to "Loading", and a dialog opened from a row is not unmounted with it.
    placeholderData: keepPreviousData,
  });
}

function FieldInput<F extends Record<string, unknown>>({ spec, form }: { spec: FieldSpec<F>; form: ReturnType<typeof useForm<F>> }) {
  const common = { label: spec.label, description: spec.description, withAsterisk: spec.required, key: form.key(spec.name) };
  switch (spec.kind) {
    case 'text':
      return <TextInput {...common} {...form.getInputProps(spec.name)} />;
    case 'datetime':
      return <TextInput type="datetime-local" {...common} {...form.getInputProps(spec.name)} />;
    case 'textarea':
      return <Textarea autosize minRows={2} {...common} {...form.getInputProps(spec.name)} />;
    case 'number':
      return <NumberInput {...common} {...form.getInputProps(spec.name)} />;
    case 'select':
      return <Select searchable data={spec.options ?? []} {...common} {...form.getInputProps(spec.name)} />;
    case 'multiselect':
      return <MultiSelect searchable data={spec.options ?? []} {...common} {...form.getInputProps(spec.name)} />;
    case 'switch':
      return <Switch {...common} {...form.getInputProps(spec.name, { type: 'checkbox' })} />;
  }
}

function ResourceForm<Item, F extends Record<string, unknown>>({
  spec,
  item,
  onDone,
  onCreated,
}: {
  spec: ResourceSpec<Item, F>;
  item: Item | null;
  onDone: () => void;
  onCreated?: (created: unknown) => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const isNew = item === null;
  const schema = isNew ? spec.createSchema : spec.updateSchema;
  const form = useForm<F>({
    mode: 'uncontrolled',
    initialValues: item ? spec.toForm(item) : spec.empty,
    validate: schema ? zodValidate<F>(schema, (v) => (item ? spec.toUpdate(v, item) : spec.toCreate(v))) : undefined,
  });
  const [rest, setRest] = useState<unknown>(null);
  const save = useMutation({
    mutationFn: async (values: F) =>
      item
        ? request(`${spec.path}/${spec.idOf(item)}`, {
            method: spec.updateMethod ?? 'PATCH',
            body: spec.toUpdate(values, item),
            version: spec.versionOf(item),
          })
        : request(spec.path, { method: 'POST', body: spec.toCreate(values) }),
    onSuccess: async (result) => {
      await client.invalidateQueries({ queryKey: spec.queryKey });
      if (isNew) onCreated?.(result.data);
      notifications.show({ color: 'teal', message: t(isNew ? 'admin.list.created' : 'admin.list.saved', { what: spec.singular }) });
      onDone();
    },
    onError: (error) => {
      const { fields, rest: other } = formErrorsOf(
        error,
        spec.fields.map((f) => f.name),
      );
      form.setErrors(fields);
      setRest(other.length ? error : null);
    },
  });
  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
      <Stack gap="sm">
        {rest ? <ProblemAlert error={rest} /> : null}
        {spec.fields
          .filter((f) => (isNew ? !f.editOnly : !f.createOnly))
          .map((f) => (
            <FieldInput key={f.name} spec={f} form={form} />
          ))}
        <Group justify="flex-end" mt="sm">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {isNew ? t('admin.list.create') : t('admin.list.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function ResourceAdmin<Item, F extends Record<string, unknown>>({
  spec,
  canEdit = true,
  actions,
  rowActions,
  onCreated,
}: {
  spec: ResourceSpec<Item, F>;
  canEdit?: boolean;
  actions?: ReactNode;
  /** More buttons on each row, after Edit. */
  rowActions?: (item: Item) => ReactNode;
  /** Called with the server's answer to a create (e.g. an invitation link to show). */
  onCreated?: (created: unknown) => void;
}) {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 250);
  const list = useResourceList<Item>(spec.queryKey, spec.path, { ...spec.listQuery, q: q || undefined });
  const [editing, setEditing] = useState<{ item: Item | null } | null>(null);
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={3}>{spec.title}</Title>
        <Group gap="xs">
          <TextInput
            aria-label={t('admin.list.searchLabel', { what: spec.title.toLowerCase() })}
            placeholder={t('admin.list.search')}
            leftSection={<IconSearch size={14} />}
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            data-testid={`search-${spec.path.split('/').pop()}`}
          />
          {actions}
          {canEdit ? (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing({ item: null })}>
              {t('admin.list.new', { what: spec.singular.toLowerCase() })}
            </Button>
          ) : null}
        </Group>
      </Group>
      {list.isPending ? (
        <LoadingState />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 && q ? (
        <EmptyState title={t('admin.list.noMatch', { q })} />
      ) : items.length === 0 ? (
        <EmptyState title={t('admin.list.none', { what: spec.title.toLowerCase() })}>
          {canEdit ? t('admin.list.createFirst', { what: spec.singular.toLowerCase() }) : null}
        </EmptyState>
      ) : (
        <Paper withBorder>
          <ScrollArea>
            <Table striped highlightOnHover verticalSpacing="xs" data-testid={`table-${spec.path.split('/').pop()}`}>
              <Table.Thead>
                <Table.Tr>
                  {spec.columns.map((c) => (
                    <Table.Th key={c.label}>{c.label}</Table.Th>
                  ))}
                  {canEdit || rowActions ? <Table.Th w={60} /> : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((item) => (
                  <Table.Tr key={spec.idOf(item)}>
                    {spec.columns.map((c) => (
                      <Table.Td key={c.label}>{c.render(item)}</Table.Td>
                    ))}
                    {canEdit || rowActions ? (
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          {canEdit ? (
                            <Button
                              size="compact-sm"
                              variant="subtle"
                              leftSection={<IconPencil size={14} />}
                              onClick={() => setEditing({ item })}
                            >
                              {t('admin.list.edit')}
                            </Button>
                          ) : null}
                          {rowActions?.(item)}
                        </Group>
                      </Table.Td>
                    ) : null}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea>
          {list.hasNextPage ? (
            <Group justify="center" p="sm">
              <Button variant="light" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                {t('admin.list.loadMore')}
              </Button>
            </Group>
          ) : null}
        </Paper>
      )}
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={t(editing?.item ? 'admin.list.editTitle' : 'admin.list.new', { what: spec.singular.toLowerCase() })}
        size="lg"
      >
        {editing ? <ResourceForm spec={spec} item={editing.item} onDone={() => setEditing(null)} onCreated={onCreated} /> : null}
      </Modal>
      <Text size="xs" c="dimmed">
        {t('admin.list.shown', { n: items.length })}
      </Text>
    </Stack>
  );
}
