import type { DispatchStatus } from '@yardmaster/contracts';
import { AppError, problemType } from '../../platform/errors.js';

/**
 * The dispatch engine's problem types (`/problems/dispatch/<kind>`), so clients can tell an
 * unavailable machine from an unqualified driver without parsing the text.
 */
export type DispatchProblem =
  | 'equipment-unavailable'
  | 'wrong-equipment'
  | 'driver-unavailable'
  | 'driver-not-qualified'
  | 'invalid-transition'
  | 'unserviceable-request';

const TITLES: Record<DispatchProblem, string> = {
  'equipment-unavailable': 'Equipment unavailable',
  'wrong-equipment': 'Wrong equipment',
  'driver-unavailable': 'Driver unavailable',
  'driver-not-qualified': 'Driver not qualified',
  'invalid-transition': 'Not allowed in this status',
  'unserviceable-request': 'Unserviceable request',
};

export const dispatchProblem = (kind: DispatchProblem, detail: string, field: string, message: string, status = 409): AppError =>
  new AppError(status, problemType(`dispatch/${kind}`), TITLES[kind], detail, [{ field, message }]);

export const invalidTransition = (detail: string, current: DispatchStatus, field = 'status'): AppError =>
  dispatchProblem('invalid-transition', detail, field, `currently ${current}`);

export const unserviceable = (detail: string, errors: Array<{ field: string; message: string }>): AppError =>
  new AppError(422, problemType('dispatch/unserviceable-request'), TITLES['unserviceable-request'], detail, errors);
