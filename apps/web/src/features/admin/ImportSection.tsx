import { useState } from 'react';
import { Alert, Button, FileInput, Group, Paper, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { IconFileTypeCsv } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { t } from '../../i18n';
import { request } from '../../lib/api';
import { ProblemAlert } from '../../ui/States';

/** What can be imported; the label is `imports.kinds.<value>` in the catalogue, the columns are the CSV's own names. */
export const IMPORT_KINDS = [
  { value: 'equipment', columns: 'asset_tag, name, type_code, home_lat, home_lng' },
  { value: 'drivers', columns: 'name, employee_no, phone, email, duty_status, qualifications (CODE:YYYY-MM-DD;CODE)' },
  { value: 'sites', columns: 'name, address, lat, lng, contact_name, contact_phone, notes' },
] as const;

export const IMPORT_PATH = '/api/v1/imports';

/** What an import answers: counts, and the lines that were refused, each with its field and reason. */
export type ImportReport = {
  dryRun: boolean;
  rows: number;
  valid: number;
  created: number;
  problems: { line: number | null; field: string | null; reason: string }[];
};

/** Reads the server's report; a problem's field "line 3: lat" becomes line 3, field "lat". */
export function readImportReport(body: unknown): ImportReport {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const list = (Array.isArray(b.errors) ? b.errors : []) as unknown[];
  const problems = list.map((p) => {
    const o = (p && typeof p === 'object' ? p : {}) as Record<string, unknown>;
    const where = typeof o.field === 'string' ? o.field : '';
    const m = /^line (\d+)(?::\s*(.+))?$/.exec(where);
    return {
      line: m ? Number(m[1]) : null,
      field: m ? (m[2] ?? null) : where || null,
      reason: typeof o.message === 'string' ? o.message : JSON.stringify(p),
    };
  });
  return { dryRun: b.dryRun === true, rows: num(b.rows), valid: num(b.valid), created: num(b.created), problems };
}

/** The totals in words: "3 rows read: 2 valid, 1 refused. Nothing was written (dry run)." */
export function importSummary(r: ImportReport): string {
  // Several problems on one line refuse one line.
  const refused = new Set(r.problems.map((p) => p.line ?? -1)).size;
  const read = refused
    ? t('imports.summary.readRefused', { count: r.rows, valid: r.valid, refused })
    : t('imports.summary.read', { count: r.rows, valid: r.valid });
  if (r.dryRun) return `${read} ${t('imports.summary.dryRun')}`;
  if (r.problems.length) return `${read} ${t('imports.summary.notImported')}`;
  return `${read} ${t('imports.summary.created', { n: r.created })}`;
}

export function ImportSection() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [kind, setKind] = useState<string>('sites');
  const [file, setFile] = useState<File | null>(null);
  const run = useMutation({
    mutationFn: async ({ dryRun }: { dryRun: boolean }) => {
      if (!file) throw new Error(t('imports.chooseFile'));
      const text = await file.text();
      const { data } = await request<unknown>(`${IMPORT_PATH}/${kind}`, {
        method: 'POST',
        body: text,
        headers: { 'content-type': 'text/csv' },
        query: { dryRun },
      });
      return { ...readImportReport(data), dryRun };
    },
    onSuccess: (report) => {
      if (!report.dryRun) void client.invalidateQueries();
    },
  });
  const report = run.data;
  return (
    <Stack>
      <Title order={3}>{t('imports.title')}</Title>
      <Text size="sm" c="dimmed">
        {t('imports.intro')}
      </Text>
      <Paper withBorder p="md">
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            label={t('imports.what')}
            data={IMPORT_KINDS.map(({ value }) => ({ value, label: t(`imports.kinds.${value}`) }))}
            value={kind}
            onChange={(v) => v && setKind(v)}
            allowDeselect={false}
          />
          <FileInput
            label={t('imports.file')}
            accept=".csv,text/csv"
            placeholder={t('imports.chooseAFile')}
            leftSection={<IconFileTypeCsv size={16} />}
            value={file}
            onChange={setFile}
            clearable
          />
        </SimpleGrid>
        <Text size="xs" c="dimmed" mt="xs">
          {t('imports.columns', { columns: IMPORT_KINDS.find((k) => k.value === kind)?.columns })}
        </Text>
        <Group mt="md">
          <Button
            variant="default"
            disabled={!file}
            loading={run.isPending && run.variables.dryRun}
            onClick={() => run.mutate({ dryRun: true })}
          >
            {t('imports.dryRun')}
          </Button>
          <Button disabled={!file} loading={run.isPending && !run.variables.dryRun} onClick={() => run.mutate({ dryRun: false })}>
            {t('imports.import')}
          </Button>
        </Group>
      </Paper>
      <ProblemAlert error={run.error} title={t('imports.refused')} />
      {report ? (
        <Paper withBorder p="md" data-testid="import-report">
          <Alert
            color={report.problems.length ? 'orange' : 'teal'}
            title={
              report.dryRun
                ? t('imports.result.dryRun')
                : report.problems.length
                  ? t('imports.result.notImported')
                  : t('imports.result.imported')
            }
          >
            <Text size="sm" data-testid="import-summary">
              {importSummary(report)}
            </Text>
          </Alert>
          {report.problems.length ? (
            <Table mt="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('imports.table.line')}</Table.Th>
                  <Table.Th>{t('imports.table.field')}</Table.Th>
                  <Table.Th>{t('imports.table.reason')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {report.problems.map((p, i) => (
                  <Table.Tr key={i}>
                    <Table.Td>{p.line ?? '—'}</Table.Td>
                    <Table.Td>{p.field ?? '—'}</Table.Td>
                    <Table.Td>{p.reason}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          ) : null}
        </Paper>
      ) : null}
    </Stack>
  );
}
