import { randomUUID } from 'node:crypto';
import type { Caller } from '../../src/platform/caller.js';
import { withTenant, type Database } from '../../src/platform/db/index.js';
import { createDriver, createQualification } from '../../src/modules/people/index.js';
import { createEquipment, createEquipmentType } from '../../src/modules/fleet/index.js';
import { createSite } from '../../src/modules/sites/index.js';

export function dispatcherCaller(tenantSlug: string, subject = randomUUID()): Caller {
  return {
    kind: 'user',
    subject,
    name: 'Test Dispatcher',
    roles: ['dispatcher'],
    tenantSlug,
    requestId: null,
    sourceIp: '127.0.0.1',
    userAgent: 'test',
  };
}

export function driverCaller(tenantSlug: string, subject: string): Caller {
  return {
    kind: 'user',
    subject,
    name: 'Test Driver',
    roles: ['driver'],
    tenantSlug,
    requestId: null,
    sourceIp: '127.0.0.1',
    userAgent: 'test',
  };
}

export type FleetSpec = {
  /** type code → required qualification codes */
  types: Record<string, string[]>;
  /** type code → number of equipment */
  equipment: Record<string, number>;
  /** drivers: qualification codes held (with optional expiry), on duty or not */
  drivers: Array<{ name?: string; quals: Array<string | { code: string; expiresAt: string }>; onDuty?: boolean; subject?: string }>;
};

export type Fleet = {
  siteId: string;
  qualificationIds: Record<string, string>;
  typeIds: Record<string, string>;
  equipmentIds: Record<string, string[]>;
  driverIds: string[];
  driverSubjects: string[];
};

/** Builds a small fleet through the modules' own use cases (audited, as in production). */
export async function buildFleet(database: Database, slug: string, spec: FleetSpec): Promise<Fleet> {
  const caller = dispatcherCaller(slug);
  return withTenant(database.db, slug, async (tx) => {
    const site = await createSite(tx, caller, { name: 'Test Site', address: '1 Test Street', position: { lat: 53.48, lng: -2.24 } });
    const qualCodes = new Set<string>([
      ...Object.values(spec.types).flat(),
      ...spec.drivers.flatMap((d) => d.quals.map((q) => (typeof q === 'string' ? q : q.code))),
    ]);
    const qualificationIds: Record<string, string> = {};
    for (const code of qualCodes) qualificationIds[code] = (await createQualification(tx, caller, { code, name: code })).id;
    const typeIds: Record<string, string> = {};
    for (const [code, quals] of Object.entries(spec.types)) {
      typeIds[code] = (
        await createEquipmentType(tx, caller, { code, name: code, requiredQualificationIds: quals.map((q) => qualificationIds[q] ?? '') })
      ).id;
    }
    const equipmentIds: Record<string, string[]> = {};
    for (const [code, count] of Object.entries(spec.equipment)) {
      equipmentIds[code] = [];
      for (let i = 0; i < count; i++) {
        const e = await createEquipment(tx, caller, {
          assetTag: `${code}-${i + 1}`,
          name: `${code} ${i + 1}`,
          equipmentTypeId: typeIds[code] ?? '',
        });
        equipmentIds[code].push(e.id);
      }
    }
    const driverIds: string[] = [];
    const driverSubjects: string[] = [];
    for (const [i, d] of spec.drivers.entries()) {
      const subject = d.subject ?? randomUUID();
      const created = await createDriver(tx, caller, {
        name: d.name ?? `Driver ${i + 1}`,
        subject,
        dutyStatus: d.onDuty === false ? 'off_duty' : 'on_duty',
        qualifications: d.quals.map((q) =>
          typeof q === 'string'
            ? { qualificationId: qualificationIds[q] ?? '' }
            : { qualificationId: qualificationIds[q.code] ?? '', expiresAt: q.expiresAt },
        ),
      });
      driverIds.push(created.id);
      driverSubjects.push(subject);
    }
    return { siteId: site.id, qualificationIds, typeIds, equipmentIds, driverIds, driverSubjects };
  });
}
