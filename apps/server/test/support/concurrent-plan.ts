import { AppError } from '../../src/platform/errors.js';

/** How a concurrency test judges a refused operation: a label to count (a correct answer to a race), or null (a bug). */
export type RaceAnswer = (error: unknown) => string | null;

/** A conflict (stale version, no longer in that state, equipment on a job: 409 or 404) is a correct answer to a race. */
export const conflictOf: RaceAnswer = (error) =>
  error instanceof AppError && (error.status === 409 || error.status === 404) ? `conflict.${error.status}` : null;

/**
 * Runs `plan` with `clients` concurrent workers, each taking the next operation until none is left.
 * A refusal `accept` labels is counted with `count`; the stacks of every other failure are returned.
 */
export async function runPlan<Op>(
  plan: readonly Op[],
  clients: number,
  operate: (op: Op) => Promise<unknown>,
  count: (label: string) => void,
  accept: RaceAnswer = conflictOf,
): Promise<string[]> {
  const unexpected: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < plan.length) {
        const op = plan[next++] as Op;
        try {
          await operate(op);
        } catch (error) {
          const label = accept(error);
          if (label) count(label);
          else unexpected.push(String((error as Error).stack ?? error));
        }
      }
    }),
  );
  return unexpected;
}
