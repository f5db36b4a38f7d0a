import type { FastifyReply } from 'fastify';
import { AppError, problemType } from '../../platform/errors.js';

/**
 * A 429 problem whose `Retry-After` header is already on the reply: the problem handler keeps
 * headers set before the error, so the client learns when to come back.
 */
export function tooManyRequests(
  reply: FastifyReply,
  retryAfterSeconds: number,
  kind: 'rate-limited' | 'too-many-streams',
  detail: string,
): AppError {
  reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterSeconds))));
  return new AppError(429, problemType(kind), kind === 'rate-limited' ? 'Too many requests' : 'Too many live streams', detail);
}
