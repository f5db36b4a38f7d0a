import { Kysely, PostgresDialect, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  DRIVER_AVAILABLE_AT_BODY,
  EQUIPMENT_AVAILABLE_AT_BODY,
} from '../../migrations/tenant/202612031001_dispatch_assignment_planning.js';
import { driverAvailableAtSql, equipmentAvailableAtSql } from './availability.predicate.js';

// Compiles only (never connects): the dialect needs a pool object it will not use.
const compiler = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool: {} as never }) });

describe('the assignment trigger and the matching predicates', () => {
  it('hold the same planning rule: the database functions are the predicates compiled (a change to one needs a migration for the other)', () => {
    const driver = driverAvailableAtSql(sql.raw('p_driver'), sql.raw('p_at'), sql.raw('p_need')).compile(compiler);
    const equipment = equipmentAvailableAtSql(sql.raw('p_equipment'), sql.raw('p_at'), sql.raw('p_need')).compile(compiler);
    expect(driver.parameters).toEqual([]);
    expect(equipment.parameters).toEqual([]);
    expect(driver.sql).toBe(DRIVER_AVAILABLE_AT_BODY);
    expect(equipment.sql).toBe(EQUIPMENT_AVAILABLE_AT_BODY);
  });
});
