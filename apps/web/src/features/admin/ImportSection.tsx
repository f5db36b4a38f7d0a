import { useState } from 'react';
import { Alert, Button, FileInput, Group, Paper, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { IconFileTypeCsv } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { request } from '../../lib/api';
import { ProblemAlert } from '../../ui/States';

export const IMPORT_KINDS = [
  { value: 'equipment', label: 'Equipment', columns: 'asset_tag, name, type_code, home_lat, home_lng' },
  { value: 'drivers', label: 'Drivers', columns: 'name, employee_no, phone, email, duty_status, qualifications (CODE:YYYY-MM-DD;CODE)' },
  { value: 'sites', label: 'Sites', columns: 'name, address, lat, lng, contact_name, contact_phone, notes' },
] as const;

export const IMPORT_PATH = '/api/v1/imports';

/** What an import answers, read tolerantly: counts, and the rows that were refused and why. */
export type ImportReport = { dryRun: boolean; counts: [string, number][]; problems: { row: number | null; field: string | null; message: string }[] };

export function readImportReport(body: unknown): ImportReport {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const counts = Object.entries(b).filter((e): e is [string, number] => typeof e[1] === 'number');
  const list = [b.errors, b.problems, b.rejected].find(Array.isArray) as unknown[] | undefined;
  const problems = (list ?? []).map((p) => {
    const o = (p && typeof p === 'object' ? p : {}) as Record<string, unknown>;
    return {
      row: typeof o.row === 'number' ? o.row : typeof o.line === 'number' ? o.line : null,
      field: typeof o.field === 'string' ? o.field : typeof o.column === 'string' ? o.column : null,
      message: typeof o.message === 'string' ? o.message : JSON.stringify(p),
    };
  });
  return { dryRun: b.dryRun === true, counts, problems };
}

export function ImportSection() {
  const client = useQueryClient();
  const [kind, setKind] = useState<string>('sites');
  const [file, setFile] = useState<File | null>(null);
  const run = useMutation({
    mutationFn: async ({ dryRun }: { dryRun: boolean }) => {
      if (!file) throw new Error('choose a CSV file');
      const text = await file.text();
      const { data } = await request<unknown>(`${IMPORT_PATH}/${kind}`, { method: 'POST', body: text, headers: { 'content-type': 'text/csv' }, query: { dryRun } });
      return { ...readImportReport(data), dryRun };
    },
    onSuccess: (report) => {
      if (!report.dryRun) void client.invalidateQueries();
    },
  });
  const report = run.data;
  return (
    <Stack>
      <Title order={3}>CSV import</Title>
      <Text size="sm" c="dimmed">
        Check a file first with a dry run: nothing is written, and every refused row is listed with its reason. Then import it.
      </Text>
      <Paper withBorder p="md">
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select label="What to import" data={IMPORT_KINDS.map(({ value, label }) => ({ value, label }))} value={kind} onChange={(v) => v && setKind(v)} allowDeselect={false} />
          <FileInput label="CSV file" accept=".csv,text/csv" placeholder="Choose a file" leftSection={<IconFileTypeCsv size={16} />} value={file} onChange={setFile} clearable />
        </SimpleGrid>
        <Text size="xs" c="dimmed" mt="xs">
          Columns: {IMPORT_KINDS.find((k) => k.value === kind)?.columns}. A header row is required; the CSV export has the same format.
        </Text>
        <Group mt="md">
          <Button variant="default" disabled={!file} loading={run.isPending && run.variables.dryRun} onClick={() => run.mutate({ dryRun: true })}>
            Dry run
          </Button>
          <Button disabled={!file} loading={run.isPending && !run.variables.dryRun} onClick={() => run.mutate({ dryRun: false })}>
            Import
          </Button>
        </Group>
      </Paper>
      <ProblemAlert error={run.error} title="Import refused" />
      {report ? (
        <Paper withBorder p="md" data-testid="import-report">
          <Alert color={report.problems.length ? 'orange' : 'teal'} title={report.dryRun ? 'Dry run — nothing was written' : 'Imported'}>
            {report.counts.map(([k, v]) => `${k}: ${v}`).join(' · ') || 'done'}
          </Alert>
          {report.problems.length ? (
            <Table mt="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Row</Table.Th>
                  <Table.Th>Field</Table.Th>
                  <Table.Th>Problem</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {report.problems.map((p, i) => (
                  <Table.Tr key={i}>
                    <Table.Td>{p.row ?? '—'}</Table.Td>
                    <Table.Td>{p.field ?? '—'}</Table.Td>
                    <Table.Td>{p.message}</Table.Td>
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
