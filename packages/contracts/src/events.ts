import { z } from 'zod';
import { text } from './text.js';

/**
 * Live events (`GET /api/v1/events`, Server-Sent Events). Each message has `id:` (per-tenant,
 * increasing), `event:` (the event type, e.g. `dispatch.dispatched`) and `data:` (this JSON).
 * A reconnecting client sends `Last-Event-ID`; a client too far behind receives `event: resync`
 * and should refetch what it shows. Comment lines: `: live` once the stream is caught up (every
 * event committed from then on reaches it), `: heartbeat` to keep idle streams open.
 */
export const LiveEventSchema = z.object({
  id: text().regex(/^\d+$/),
  type: text(),
  entityType: text(),
  entityId: text(),
  occurredAt: text(),
  data: z.record(text(), z.unknown()),
});
export type LiveEvent = z.infer<typeof LiveEventSchema>;

/** The SSE event telling a client to refetch (it missed events that are no longer kept). */
export const LIVE_RESYNC_EVENT = 'resync';

export const LiveEventsHeadersSchema = z.object({
  'last-event-id': text()
    .regex(/^\d{1,15}$/, 'an event id this stream sent')
    .optional(),
});
