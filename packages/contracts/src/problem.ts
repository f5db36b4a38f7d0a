import { z } from 'zod';
import { text } from './text.js';

/** One invalid field of a request: where it is and what is wrong with it. */
export const FieldErrorSchema = z.object({
  field: text(),
  message: text(),
});
export type FieldError = z.infer<typeof FieldErrorSchema>;

/** RFC 9457 problem details, the body of every 4xx/5xx answer. */
export const ProblemSchema = z.object({
  type: text(),
  title: text(),
  status: z.number().int(),
  detail: text(),
  instance: text().optional(),
  requestId: text().optional(),
  errors: z.array(FieldErrorSchema).optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;
