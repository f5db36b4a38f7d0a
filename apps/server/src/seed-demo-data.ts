import type { Caller } from './platform/caller.js';
import { withTenant, type Database } from './platform/db/index.js';
import { DEMO_DRIVER_SUBJECT } from './modules/auth/index.js';
import { advanceDispatch, createWorkOrder } from './modules/dispatch/index.js';
import { createEquipment, createEquipmentType, sendToMaintenance } from './modules/fleet/index.js';
import { createDriver, createQualification } from './modules/people/index.js';
import { createSite } from './modules/sites/index.js';

/** Deterministic pseudo-random numbers so every fresh demo looks the same. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const QUALIFICATIONS = [
  ['CPCS-A59', '360 Excavator (CPCS A59)'],
  ['CPCS-A60', 'Mini excavator (CPCS A60)'],
  ['CPCS-A04', 'Crawler crane (CPCS A04)'],
  ['CPCS-A40', 'Slinger/signaller (CPCS A40)'],
  ['CPCS-A09', 'Forward tipping dumper (CPCS A09)'],
  ['CPCS-A17', 'Telescopic handler (CPCS A17)'],
  ['LGV-C', 'Large goods vehicle, category C'],
  ['LGV-CE', 'Large goods vehicle, category C+E'],
  ['ADR', 'Dangerous goods (ADR)'],
  ['IPAF-3B', 'Mobile elevating work platform (IPAF 3b)'],
  ['CSCS', 'Site safety card (CSCS)'],
  ['HIAB', 'Lorry loader crane'],
] as const;

const TYPES: Array<{ code: string; name: string; needs: string[]; count: number }> = [
  { code: 'EXC-20T', name: '20 t tracked excavator', needs: ['CPCS-A59', 'CSCS'], count: 7 },
  { code: 'EXC-MINI', name: 'Mini excavator', needs: ['CPCS-A60', 'CSCS'], count: 6 },
  { code: 'CRANE-50T', name: '50 t crawler crane', needs: ['CPCS-A04', 'CSCS'], count: 3 },
  { code: 'DUMPER-9T', name: '9 t site dumper', needs: ['CPCS-A09', 'CSCS'], count: 6 },
  { code: 'TELEHANDLER', name: 'Telescopic handler', needs: ['CPCS-A17', 'CSCS'], count: 5 },
  { code: 'TIPPER-32T', name: '32 t tipper lorry', needs: ['LGV-C'], count: 6 },
  { code: 'LOW-LOADER', name: 'Low loader (artic)', needs: ['LGV-CE'], count: 3 },
  { code: 'FUEL-BOWSER', name: 'Fuel bowser', needs: ['LGV-C', 'ADR'], count: 4 },
];

const IN_WORKSHOP: Record<string, string> = {
  'EXC-20T': 'Damaged on a job: split hydraulic hose on the boom ram',
  'DUMPER-9T': 'Annual LOLER/PUWER inspection due',
};

const SITES = [
  ['Mayfield Park phase 2', 'Baring St, Manchester M1 2PY'],
  ['Salford Quays pier 9', 'The Quays, Salford M50 3AZ'],
  ['Trafford Park depot', 'Westinghouse Rd, Trafford Park M17 1PG'],
  ['Ancoats mill conversion', 'Redhill St, Manchester M4 5BA'],
  ['Stockport interchange', 'Daw Bank, Stockport SK3 0EU'],
  ['Airport City north', 'Ringway Rd, Manchester M90 3NS'],
  ['Oldham Rd sewer renewal', 'Oldham Rd, Manchester M40 7WJ'],
  ['Wythenshawe hospital car park', 'Southmoor Rd, Manchester M23 9LT'],
  ['Bolton town centre', 'Victoria Square, Bolton BL1 1RU'],
  ['Rochdale canal bank', 'Canal St, Rochdale OL16 1QU'],
  ['Wigan Pier quarter', 'Trencherfield Mill, Wigan WN3 4EF'],
  ['Bury interchange', 'Haymarket St, Bury BL9 0BE'],
  ['Altrincham hospital annex', 'Railway St, Altrincham WA14 2RQ'],
  ['Eccles water main', 'Church St, Eccles M30 0LS'],
  ['Sale Water Park flood works', 'Rifle Rd, Sale M33 2LX'],
  ['Media City studio 4', 'Blue, MediaCityUK, Salford M50 2EQ'],
  ['Ashton Moss retail', 'Lord Sheldon Way, Ashton-under-Lyne OL7 0PG'],
  ['Didsbury school extension', 'Wilmslow Rd, Manchester M20 2RR'],
  ['Etihad campus east', 'Ashton New Rd, Manchester M11 3FF'],
  ['Middleton substation', 'Oldham Rd, Middleton M24 1AY'],
  ['Leigh guided busway', 'Atherleigh Way, Leigh WN7 1LN'],
  ['Stretford Mall regeneration', 'Chester Rd, Stretford M32 9BD'],
  ['Prestwich clough bridge', 'Clough Rd, Prestwich M25 1QB'],
  ['Hyde road resurfacing', 'Hyde Rd, Manchester M12 5NX'],
  ['Cheadle business park', 'Stanley Rd, Cheadle SK8 6PT'],
] as const;

const FIRST = [
  'Sam',
  'Alex',
  'Jordan',
  'Priya',
  'Tomasz',
  'Aisha',
  'Liam',
  'Chloe',
  'Mohammed',
  'Grace',
  'Oliver',
  'Zara',
  'Callum',
  'Niamh',
  'Ravi',
  'Ellie',
  'Declan',
  'Hannah',
  'Kwame',
  'Sophie',
];
const LAST = [
  'Hughes',
  'Patel',
  'Kowalski',
  'Murphy',
  'Okafor',
  'Walsh',
  'Khan',
  'Taylor',
  'Nowak',
  'Roberts',
  'Brennan',
  'Ahmed',
  'Clarke',
  'Jones',
  'Evans',
];

const around = (random: () => number, spread = 0.12) => ({
  lat: 53.48 + (random() - 0.5) * spread * 2,
  lng: -2.24 + (random() - 0.5) * spread * 3,
});

/**
 * The demo tenant's data: 12 qualifications, 8 equipment types, 40 machines, 60 drivers (some with
 * expired or soon-expiring tickets, some off duty), 25 Greater Manchester sites and a morning of
 * work orders in every state. Created through the modules' own use cases, so it is audited and
 * dispatched exactly as real input would be.
 */
export async function seedDemoData(database: Database, slug: string): Promise<void> {
  const random = prng(2026);
  const admin: Caller = {
    kind: 'user',
    subject: 'seed',
    name: 'Demo data',
    roles: ['admin'],
    tenantSlug: slug,
    requestId: null,
    sourceIp: null,
    userAgent: 'seed',
  };
  const ids = await withTenant(database.db, slug, async (tx) => {
    const qual: Record<string, string> = {};
    for (const [code, name] of QUALIFICATIONS) qual[code] = (await createQualification(tx, admin, { code, name })).id;
    const types: Record<string, string> = {};
    for (const t of TYPES)
      types[t.code] = (
        await createEquipmentType(tx, admin, { code: t.code, name: t.name, requiredQualificationIds: t.needs.map((n) => qual[n] ?? '') })
      ).id;
    for (const t of TYPES) {
      for (let i = 1; i <= t.count; i++) {
        const home = around(random);
        const machine = await createEquipment(tx, admin, {
          assetTag: `${t.code}-${String(i).padStart(2, '0')}`,
          name: `${t.name} #${i}`,
          equipmentTypeId: types[t.code] ?? '',
          home,
          position: home,
        });
        // The last of a few types is in the workshop, waiting for an admin to return it to service.
        const note = i === t.count ? IN_WORKSHOP[t.code] : undefined;
        if (note) await sendToMaintenance(tx, admin, machine.id, undefined, note);
      }
    }
    const sites: string[] = [];
    for (const [name, address] of SITES) {
      sites.push(
        (
          await createSite(tx, admin, {
            name,
            address,
            position: around(random, 0.15),
            contactName: `${FIRST[Math.floor(random() * FIRST.length)]} (site manager)`,
            contactPhone: `+44 161 ${Math.floor(100 + random() * 899)} ${Math.floor(1000 + random() * 8999)}`,
          })
        ).id,
      );
    }
    const now = Date.now();
    for (let i = 0; i < 60; i++) {
      const name = `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}`;
      const held = TYPES[i % TYPES.length]?.needs ?? [];
      const extra = random() < 0.4 ? [QUALIFICATIONS[Math.floor(random() * QUALIFICATIONS.length)]?.[0] ?? 'CSCS'] : [];
      const codes = [...new Set([...held, ...extra, 'CSCS'])];
      const expiresAt = (code: string): string | null => {
        const roll = random();
        if (i % 11 === 5 && code !== 'CSCS') return new Date(now - 20 * 86_400_000).toISOString(); // expired ticket
        if (roll < 0.1) return new Date(now + (5 + Math.floor(random() * 20)) * 86_400_000).toISOString(); // expiring soon
        return new Date(now + (200 + Math.floor(random() * 900)) * 86_400_000).toISOString();
      };
      await createDriver(tx, admin, {
        name,
        employeeNo: `E${String(1001 + i)}`,
        phone: `+44 7700 ${String(900000 + i * 37).slice(0, 6)}`,
        email: `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@demo-construction.test`,
        subject: i === 0 ? DEMO_DRIVER_SUBJECT : null,
        dutyStatus: i === 0 || random() < 0.7 ? 'on_duty' : 'off_duty',
        position: around(random),
        qualifications: codes.map((code) => ({ qualificationId: qual[code] ?? '', expiresAt: expiresAt(code) })),
      });
    }
    return { types, sites };
  });

  // A morning's work: a few finished, several under way, some waiting, some for later today.
  const dispatcher: Caller = { ...admin, subject: 'seed-dispatcher', name: 'Dana Dispatcher', roles: ['dispatcher'] };
  const typeCodes = TYPES.map((t) => t.code);
  const priorities = ['standard', 'standard', 'urgent', 'low'] as const;
  for (let i = 0; i < 34; i++) {
    const code = i < 28 ? typeCodes[i % typeCodes.length] : 'CRANE-50T';
    const later = i >= 30;
    await withTenant(database.db, slug, (tx) =>
      createWorkOrder(tx, dispatcher, {
        siteId: ids.sites[i % ids.sites.length] ?? '',
        description: `${['Bulk excavation', 'Trench for ducting', 'Lift steel frame', 'Muck away', 'Deliver plant', 'Refuel plant', 'Pallet handling', 'Kerb line'][i % 8]} — ${SITES[i % SITES.length]?.[0]}`,
        priority: priorities[i % priorities.length] ?? 'standard',
        requestedStart: later ? new Date(Date.now() + (2 + i - 30) * 3600_000).toISOString() : null,
        lines: [{ equipmentTypeId: ids.types[code ?? ''] ?? '', quantity: i % 9 === 0 ? 2 : 1 }],
      }),
    );
  }
  // Move some active dispatches along their lifecycle, and finish a few (status reports).
  const active = await withTenant(database.db, slug, (tx) =>
    tx.selectFrom('dispatches').select(['id', 'version']).where('status', '=', 'dispatched').orderBy('created_at').limit(12).execute(),
  );
  for (const [i, d] of active.entries()) {
    const steps = (['en_route', 'on_site', 'returning', 'completed'] as const).slice(0, i < 4 ? 4 : (i % 3) + 1);
    let version = d.version;
    for (const status of steps) {
      const after = await withTenant(database.db, slug, (tx) =>
        advanceDispatch(tx, dispatcher, d.id, version, {
          status,
          notes: status === 'completed' ? 'Job done, site signed off.' : undefined,
        }),
      );
      version = after.version;
    }
  }
}
