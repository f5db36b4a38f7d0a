import { describe, expect, it } from 'vitest';
import { CommitOutcomeUnknownError, unavailabilityOf } from './errors.js';

const pgError = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });
const socketError = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

describe('unavailabilityOf: which failures mean "the database cannot serve this now" (503)', () => {
  it.each([
    ['terminated by an administrator (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['server starting up or shutting down (57P03)', pgError('57P03', 'the database system is starting up')],
    ['connection exception class 08', pgError('08006')],
    ['too many connections (53300)', pgError('53300')],
    ['connection refused', socketError('ECONNREFUSED')],
    ['connection reset', socketError('ECONNRESET')],
    ['refused on every address (AggregateError)', new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')], '')],
    ['connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['a query on a client whose connection failed', new Error('Client has encountered a connection error and is not queryable')],
    ['a connect that timed out', new Error('Connection terminated due to connection timeout')],
  ])('%s → unavailable', (_label, error) => {
    expect(unavailabilityOf(error)).toEqual({ kind: 'unavailable', retryAfterSeconds: 2 });
  });

  it('no free pooled connection in time → busy', () => {
    expect(unavailabilityOf(new Error('timeout exceeded when trying to connect'))).toEqual({ kind: 'busy', retryAfterSeconds: 1 });
  });

  it('a statement cancelled by statement_timeout → timeout', () => {
    expect(unavailabilityOf(pgError('57014', 'canceling statement due to statement timeout'))?.kind).toBe('timeout');
  });

  it('a connection lost during COMMIT → outcome-unknown', () => {
    expect(unavailabilityOf(new CommitOutcomeUnknownError(new Error('Connection terminated unexpectedly')))?.kind).toBe('outcome-unknown');
  });

  it.each([
    ['a unique violation', pgError('23505')],
    ['a serialization failure (retried elsewhere, never a 503 by itself)', pgError('40001')],
    ['a plain bug', new TypeError('x is undefined')],
    [
      'an outbound fetch that was refused (not the database)',
      Object.assign(new TypeError('fetch failed'), { cause: socketError('ECONNREFUSED') }),
    ],
  ])('%s → not an outage', (_label, error) => {
    expect(unavailabilityOf(error)).toBeUndefined();
  });
});
