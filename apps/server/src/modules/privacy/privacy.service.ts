import { randomBytes } from 'node:crypto';
import type { ErasePerson, ErasureResult, PersonalDataExport } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { conflict, unprocessable } from '../../platform/errors.js';
import { listAuditEvents, pseudonymiseAuditTrail, recordAudit } from '../audit/index.js';
import { eraseAccount, findPersonAccount } from '../auth/index.js';
import { activeDispatchesOfDriver, listPersonalDispatches, pseudonymiseDispatcher } from '../dispatch/index.js';
import { findPersonDriver, pseudonymiseDriver } from '../people/index.js';
import { getMember, lockMember, pseudonymiseMembership } from '../users/index.js';

/** Pseudonyms erasure writes (the audit module registers and accepts exactly this form). */
const ERASED_NAME = /^erased-[0-9a-f]{12}$/;

/**
 * Everything the tenant holds about one person (GDPR access and portability): their membership,
 * embedded-provider account, driver record, the dispatches they drove or assigned, and the audit
 * events they performed. Recorded as `person.exported` (counts only).
 */
export async function exportPersonalData(tx: TenantTx, caller: Caller, membershipId: string): Promise<PersonalDataExport> {
  const membership = await getMember(tx, caller, membershipId);
  const person = { subject: membership.subject, email: membership.email };
  const account = await findPersonAccount(tx, person);
  const driver = await findPersonDriver(tx, person);
  const dispatches = await listPersonalDispatches(tx, { driverId: driver?.id ?? null, subject: membership.subject });
  const auditEvents = membership.subject === null ? [] : await listAuditEvents(tx, { actor: membership.subject });
  await recordAudit(tx, caller, {
    action: 'person.exported',
    entityType: 'membership',
    entityId: membership.id,
    after: { dispatches: dispatches.length, auditEvents: auditEvents.length, driver: driver !== null, account: account !== null },
  });
  return {
    format: 'yardmaster.personal-data.v1',
    exportedAt: new Date().toISOString(),
    tenant: caller.tenantSlug,
    membership,
    account,
    driver,
    dispatches,
    auditEvents,
  };
}

/**
 * Erasure (GDPR art. 17) in one transaction: the person is deactivated (membership and account),
 * and their name and e-mail are replaced by one pseudonym in their membership, account, driver
 * record (archived, contact details cleared), the dispatches they assigned and the audit trail
 * (`pseudonymiseAuditTrail`: the chain still verifies). `confirm` must repeat their e-mail (or
 * name). Refused for oneself, twice, or while they drive an active dispatch. Recorded as
 * `person.erased` with the pseudonym and counts, never the erased values.
 */
export async function erasePerson(tx: TenantTx, caller: Caller, membershipId: string, input: ErasePerson): Promise<ErasureResult> {
  const membership = await lockMember(tx, membershipId);
  if (ERASED_NAME.test(membership.name)) throw conflict('this person has already been erased');
  const expected = membership.email ?? membership.name;
  if (input.confirm.trim().toLowerCase() !== expected.toLowerCase())
    throw unprocessable('confirmation-mismatch', 'type the person’s e-mail address (or name) to confirm the erasure', [
      { field: 'confirm', message: membership.email ? 'must be the person’s e-mail address' : 'must be the person’s name' },
    ]);
  if (membership.subject !== null && membership.subject === caller.subject) throw conflict('you cannot erase yourself: ask another admin');
  const person = { subject: membership.subject, email: membership.email };
  const driver = await findPersonDriver(tx, person);
  if (driver && (await activeDispatchesOfDriver(tx, driver.id)) > 0)
    throw conflict('this person drives an active dispatch: complete or recall it first');
  const account = await findPersonAccount(tx, person);

  const pseudonym = `erased-${randomBytes(6).toString('hex')}`;
  const names = { name: pseudonym, email: `${pseudonym}@erased.invalid` };
  await pseudonymiseMembership(tx, membership.id, names);
  if (account) await eraseAccount(tx, account.id, names);
  if (driver) await pseudonymiseDriver(tx, driver.id, names);
  const dispatches = membership.subject === null ? 0 : await pseudonymiseDispatcher(tx, membership.subject, pseudonym);
  const trail = await pseudonymiseAuditTrail(
    tx,
    {
      subject: membership.subject,
      entities: [{ type: 'membership', id: membership.id }, ...(driver ? [{ type: 'driver', id: driver.id }] : [])],
    },
    pseudonym,
  );
  const result: ErasureResult = {
    membershipId: membership.id,
    pseudonym,
    erasedAt: new Date().toISOString(),
    deactivated: true,
    pseudonymised: {
      membership: 1,
      account: account ? 1 : 0,
      driver: driver ? 1 : 0,
      dispatches,
      auditEvents: trail.pseudonymised,
    },
    legacyAuditEventsKept: trail.legacyKept,
  };
  // Written at commit, after the trail was pseudonymised: it names the pseudonym only.
  await recordAudit(tx, caller, {
    action: 'person.erased',
    entityType: 'membership',
    entityId: membership.id,
    after: { pseudonym, driverId: driver?.id ?? null, pseudonymised: result.pseudonymised, legacyAuditEventsKept: trail.legacyKept },
  });
  return result;
}
