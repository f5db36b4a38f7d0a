import type { FieldError } from '@yardmaster/contracts';
import { unprocessable, type AppError } from '../../platform/errors.js';

/** A value that has the right shape but breaks a planning rule: 422 naming the field. */
export const invalidPlan = (field: string, message: string): AppError =>
  unprocessable('planning/invalid', `${field}: ${message}`, [{ field, message }]);
export const invalidPlanFields = (errors: FieldError[]): AppError =>
  unprocessable('planning/invalid', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
