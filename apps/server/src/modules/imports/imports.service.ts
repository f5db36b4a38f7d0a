import { sql } from 'kysely';
import { z } from 'zod';
import { AssetTagSchema, hasNoNul, NameSchema, PositionSchema, type FieldError } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { unprocessable } from '../../platform/errors.js';
import { importEquipment } from '../fleet/index.js';
import { importDrivers } from '../people/index.js';
import { importSites } from '../sites/index.js';
import { CsvSyntaxError, csvLine, parseCsv, unescapeCsvCell, type CsvRecord } from '../../platform/csv.js';
import { regionVisibleSql, type RegionSubject } from '../regions/index.js';

export type ImportKind = 'equipment' | 'drivers' | 'sites';
export type ImportReport = { kind: ImportKind; dryRun: boolean; rows: number; valid: number; created: number; errors: FieldError[] };

export const COLUMNS: Record<ImportKind, { required: string[]; optional: string[] }> = {
  equipment: { required: ['asset_tag', 'name', 'type_code'], optional: ['home_lat', 'home_lng'] },
  drivers: { required: ['name'], optional: ['employee_no', 'phone', 'email', 'duty_status', 'qualifications'] },
  sites: { required: ['name', 'address'], optional: ['lat', 'lng', 'contact_name', 'contact_phone', 'notes'] },
};

const MAX_ROWS = 50_000;
const MAX_ERRORS = 1_000;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((v) => (v === '' ? null : v));
const optionalNumber = z
  .string()
  .trim()
  .transform((v, ctx) => {
    if (v === '') return null;
    const n = Number(v);
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: 'not a number' });
      return z.NEVER;
    }
    return n;
  });
const positionOf = (lat: number | null, lng: number | null, ctx: z.RefinementCtx, field: string) => {
  if (lat === null && lng === null) return null;
  const parsed = PositionSchema.safeParse({ lat, lng });
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', path: [`${field}${String(issue.path[0] ?? '')}`], message: issue.message });
    return z.NEVER;
  }
  return parsed.data;
};

const EquipmentRow = z
  .object({
    asset_tag: AssetTagSchema,
    name: NameSchema,
    type_code: z.string().trim().min(1, 'required'),
    home_lat: optionalNumber.prefault(''),
    home_lng: optionalNumber.prefault(''),
  })
  .transform((r, ctx) => ({ ...r, home: positionOf(r.home_lat, r.home_lng, ctx, 'home_') }));
const QUALIFICATION = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,39})(?::(\d{4}-\d{2}-\d{2}))?$/;
const DriverRow = z.object({
  name: NameSchema,
  employee_no: optionalText(50).prefault(''),
  phone: optionalText(50)
    .pipe(
      z
        .string()
        .regex(/^[+0-9 ()-]{3,50}$/, 'digits, spaces, + ( ) -')
        .nullable(),
    )
    .prefault(''),
  email: optionalText(320).pipe(z.email().nullable()).prefault(''),
  duty_status: z
    .string()
    .trim()
    .transform((v) => (v === '' ? 'off_duty' : v))
    .pipe(z.enum(['on_duty', 'off_duty']))
    .prefault(''),
  qualifications: z
    .string()
    .trim()
    .transform((v, ctx) => {
      const items =
        v === ''
          ? []
          : v
              .split(';')
              .map((s) => s.trim())
              .filter(Boolean);
      return items.map((item) => {
        const m = QUALIFICATION.exec(item);
        if (!m?.[1]) {
          ctx.addIssue({ code: 'custom', message: `"${item}" is not CODE or CODE:YYYY-MM-DD` });
          return { code: '', expiresAt: null };
        }
        const expiresAt = m[2] ? new Date(`${m[2]}T23:59:59Z`) : null;
        if (expiresAt && Number.isNaN(expiresAt.getTime())) ctx.addIssue({ code: 'custom', message: `"${m[2]}" is not a date` });
        return { code: m[1].toLowerCase(), expiresAt };
      });
    })
    .prefault(''),
});
const SiteRow = z
  .object({
    name: NameSchema,
    address: z.string().trim().min(1, 'required').max(500),
    lat: optionalNumber.prefault(''),
    lng: optionalNumber.prefault(''),
    contact_name: optionalText(200).prefault(''),
    contact_phone: optionalText(50)
      .pipe(
        z
          .string()
          .regex(/^[+0-9 ()-]{3,50}$/, 'digits, spaces, + ( ) -')
          .nullable(),
      )
      .prefault(''),
    notes: optionalText(5000).prefault(''),
  })
  .transform((r, ctx) => ({ ...r, position: positionOf(r.lat, r.lng, ctx, '') }));

function readHeader(kind: ImportKind, records: CsvRecord[], errors: FieldError[]): string[] | undefined {
  const header = records[0]?.fields.map((h) => h.trim().toLowerCase());
  if (!header) {
    errors.push({ field: 'line 1', message: 'the file is empty' });
    return undefined;
  }
  const { required, optional } = COLUMNS[kind];
  for (const column of required)
    if (!header.includes(column)) errors.push({ field: `line 1: ${column}`, message: `missing column "${column}"` });
  for (const column of header)
    if (![...required, ...optional].includes(column))
      errors.push({
        field: `line 1: ${column}`,
        message: `unknown column "${column}" (expected ${[...required, ...optional].join(', ')})`,
      });
  return errors.length > 0 ? undefined : header;
}

function rowObject(header: string[], record: CsvRecord, errors: FieldError[]): Record<string, string> | undefined {
  if (record.fields.length !== header.length) {
    errors.push({ field: `line ${record.line}`, message: `${record.fields.length} fields, the header has ${header.length}` });
    return undefined;
  }
  let hasNul = false;
  const object = Object.fromEntries(
    header.map((h, i) => {
      const value = record.fields[i] ?? '';
      // PostgreSQL text cannot hold NUL: refuse it here, so a dry run reports what the commit would refuse.
      if (!hasNoNul(value)) {
        errors.push({ field: `line ${record.line}: ${h}`, message: 'contains a NUL character' });
        hasNul = true;
      }
      // A cell an export escaped against formula injection ('=…) stands for the value without the quote.
      return [h, unescapeCsvCell(value)];
    }),
  );
  return hasNul ? undefined : object;
}

function collect<T>(schema: z.ZodType<T>, line: number, value: unknown, errors: FieldError[]): T | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues)
    errors.push({ field: `line ${line}: ${issue.path.map(String).join('.') || '(row)'}`, message: issue.message });
  return undefined;
}

/**
 * Validates a CSV file of equipment, drivers or sites and — unless it is a dry run — writes it:
 * all or nothing, in the caller's transaction. Every bad row is reported with its line and reason.
 */
export async function importCsv(tx: TenantTx, caller: Caller, kind: ImportKind, text: string, dryRun: boolean): Promise<ImportReport> {
  const errors: FieldError[] = [];
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError)
      throw unprocessable('invalid-csv', error.message, [{ field: `line ${error.line}`, message: error.message }]);
    throw error;
  }
  if (records.length - 1 > MAX_ROWS) throw unprocessable('invalid-csv', `at most ${MAX_ROWS} rows per file`);
  const header = readHeader(kind, records, errors);
  const body = records.slice(1);
  let valid = 0;
  let created = 0;
  if (header) {
    if (kind === 'equipment') {
      const types = new Map(
        (
          await sql<{ id: string; code: string }>`select id, lower(code) as code from equipment_types where archived_at is null`.execute(tx)
        ).rows.map((t) => [t.code, t.id]),
      );
      const existing = new Set(
        (await sql<{ tag: string }>`select lower(asset_tag) as tag from equipment`.execute(tx)).rows.map((r) => r.tag),
      );
      const seen = new Map<string, number>();
      const rows: Array<{ assetTag: string; name: string; equipmentTypeId: string; home: { lat: number; lng: number } | null }> = [];
      for (const record of body) {
        const before = errors.length;
        const object = rowObject(header, record, errors);
        const row = object ? collect(EquipmentRow, record.line, object, errors) : undefined;
        if (!row) continue;
        const typeId = types.get(row.type_code.toLowerCase());
        if (!typeId) errors.push({ field: `line ${record.line}: type_code`, message: `no equipment type "${row.type_code}"` });
        const tag = row.asset_tag.toLowerCase();
        if (existing.has(tag))
          errors.push({ field: `line ${record.line}: asset_tag`, message: `asset tag "${row.asset_tag}" already exists` });
        if (seen.has(tag))
          errors.push({ field: `line ${record.line}: asset_tag`, message: `asset tag "${row.asset_tag}" repeats line ${seen.get(tag)}` });
        seen.set(tag, record.line);
        if (errors.length === before && typeId)
          rows.push({ assetTag: row.asset_tag, name: row.name, equipmentTypeId: typeId, home: row.home });
      }
      valid = rows.length;
      if (!dryRun && errors.length === 0) created = await importEquipment(tx, caller, rows);
    } else if (kind === 'drivers') {
      const quals = new Map(
        (
          await sql<{ id: string; code: string }>`select id, lower(code) as code from qualifications where archived_at is null`.execute(tx)
        ).rows.map((q) => [q.code, q.id]),
      );
      const existing = new Set(
        (await sql<{ no: string }>`select lower(employee_no) as no from drivers where employee_no is not null`.execute(tx)).rows.map(
          (r) => r.no,
        ),
      );
      const seen = new Map<string, number>();
      const rows: Parameters<typeof importDrivers>[2][number][] = [];
      for (const record of body) {
        const before = errors.length;
        const object = rowObject(header, record, errors);
        const row = object ? collect(DriverRow, record.line, object, errors) : undefined;
        if (!row) continue;
        const held = row.qualifications.map((q) => ({ qualificationId: quals.get(q.code) ?? '', expiresAt: q.expiresAt, code: q.code }));
        for (const h of held)
          if (!h.qualificationId) errors.push({ field: `line ${record.line}: qualifications`, message: `no qualification "${h.code}"` });
        if (new Set(held.map((h) => h.code)).size !== held.length)
          errors.push({ field: `line ${record.line}: qualifications`, message: 'a qualification is listed twice' });
        if (row.employee_no) {
          const no = row.employee_no.toLowerCase();
          if (existing.has(no))
            errors.push({ field: `line ${record.line}: employee_no`, message: `employee number "${row.employee_no}" already exists` });
          if (seen.has(no))
            errors.push({
              field: `line ${record.line}: employee_no`,
              message: `employee number "${row.employee_no}" repeats line ${seen.get(no)}`,
            });
          seen.set(no, record.line);
        }
        if (errors.length === before) {
          rows.push({
            name: row.name,
            employeeNo: row.employee_no,
            phone: row.phone,
            email: row.email,
            dutyStatus: row.duty_status,
            qualifications: held.map(({ qualificationId, expiresAt }) => ({ qualificationId, expiresAt })),
          });
        }
      }
      valid = rows.length;
      if (!dryRun && errors.length === 0) created = await importDrivers(tx, caller, rows);
    } else {
      const rows: Parameters<typeof importSites>[2][number][] = [];
      for (const record of body) {
        const object = rowObject(header, record, errors);
        const row = object ? collect(SiteRow, record.line, object, errors) : undefined;
        if (row)
          rows.push({
            name: row.name,
            address: row.address,
            position: row.position,
            contactName: row.contact_name,
            contactPhone: row.contact_phone,
            notes: row.notes,
          });
      }
      valid = rows.length;
      if (!dryRun && errors.length === 0) created = await importSites(tx, caller, rows);
    }
  }
  const report: ImportReport = { kind, dryRun, rows: body.length, valid, created, errors: errors.slice(0, MAX_ERRORS) };
  if (!dryRun && errors.length > 0) {
    throw unprocessable('import-rejected', `${errors.length} problem(s) in the file; nothing was imported`, report.errors);
  }
  return report;
}

/** The tenant's equipment, drivers or sites as CSV in the import format (round-trips). */
export async function exportCsv(tx: TenantTx, caller: RegionSubject, kind: ImportKind): Promise<string> {
  const { required, optional } = COLUMNS[kind];
  let out = csvLine([...required, ...optional]);
  if (kind === 'equipment') {
    const rows = (
      await sql<{ asset_tag: string; name: string; code: string; home_lat: number | null; home_lng: number | null }>`
      select e.asset_tag, e.name, t.code, e.home_lat, e.home_lng from equipment e join equipment_types t on t.id = e.equipment_type_id
      where e.status <> 'retired' and ${regionVisibleSql(caller, 'e.region')} order by lower(e.asset_tag)`.execute(tx)
    ).rows;
    for (const r of rows) out += csvLine([r.asset_tag, r.name, r.code, r.home_lat, r.home_lng]);
  } else if (kind === 'drivers') {
    const rows = (
      await sql<{
        name: string;
        employee_no: string | null;
        phone: string | null;
        email: string | null;
        duty_status: string;
        quals: string | null;
      }>`
      select d.name, d.employee_no, d.phone, d.email, d.duty_status,
        string_agg(q.code || coalesce(':' || to_char(dq.expires_at at time zone 'UTC', 'YYYY-MM-DD'), ''), ';' order by q.code) as quals
      from drivers d left join driver_qualifications dq on dq.driver_id = d.id left join qualifications q on q.id = dq.qualification_id
      where d.archived_at is null and ${regionVisibleSql(caller, 'd.region')} group by d.id order by lower(d.name), d.id`.execute(tx)
    ).rows;
    for (const r of rows) out += csvLine([r.name, r.employee_no, r.phone, r.email, r.duty_status, r.quals]);
  } else {
    const rows = (
      await sql<{
        name: string;
        address: string;
        lat: number | null;
        lng: number | null;
        contact_name: string | null;
        contact_phone: string | null;
        notes: string | null;
      }>`
      select name, address, lat, lng, contact_name, contact_phone, notes from sites where active and ${regionVisibleSql(caller, 'sites.region')} order by lower(name), id`.execute(
        tx,
      )
    ).rows;
    for (const r of rows) out += csvLine([r.name, r.address, r.lat, r.lng, r.contact_name, r.contact_phone, r.notes]);
  }
  return out;
}
