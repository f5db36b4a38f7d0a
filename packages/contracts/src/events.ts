import { z } from 'zod';

/**
 * Live events (`GET /api/v1/events`, Server-Sent Events). Each message has `id:` (per-tenant,
 * increasing), `event:` (the event type, e.g. `dispatch.dispatched`) and `data:` (this JSON).
 * A reconnecting client sends `Last-Event-ID`; a client too far behind receives `event: resync`
 * and should refetch what it shows. Comment lines: `: live` once the stream is caught up (every
 * event committed from then on reaches it), `: heartbeat` to keep idle streams open.
 */
export const LiveEventSchema = z.object({
  id: z.string().regex(/^\d+$/),
  type: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  occurredAt: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type LiveEvent = z.infer<typeof LiveEventSchema>;

/** The SSE event telling a client to refetch (it missed events that are no longer kept). */
export const LIVE_RESYNC_EVENT = 'resync';

export const LiveEventsHeadersSchema = z.object({
  'last-event-id': z
    .string()
    .regex(/^\d{1,15}$/, 'an event id this stream sent')
    .optional(),
});
