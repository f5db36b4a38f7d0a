/** Timings and bounds of live events and webhooks; tests shorten them through `notificationsOf(app).settings`. */
export type NotificationsSettings = {
  /** Safety-net poll of connected tenants' events (and due webhook deliveries). */
  pollMs: number;
  /** Comment lines that keep proxies from closing idle streams. */
  heartbeatMs: number;
  /** Unread output a stream may hold; above it the stream pauses (and catches up from storage on drain). */
  maxBufferedBytes: number;
  /** A stream paused longer than this is cut off and told to resync (a client that does not read). */
  maxStallMs: number;
  /** How long events stay replayable. */
  retentionMs: number;
  /** How long finished (delivered or dead) webhook deliveries and their attempts are kept. */
  webhookLogRetentionMs: number;
  /** How often the retention purge runs (from the poll timer). */
  purgeEveryMs: number;
  /** Webhook delivery: attempts before a delivery is dead-lettered. */
  webhookMaxAttempts: number;
  /** First retry delay; doubles per attempt, capped at `webhookMaxBackoffMs`. */
  webhookBackoffMs: number;
  webhookMaxBackoffMs: number;
  /** Time allowed for a receiver to answer. */
  webhookTimeoutMs: number;
  /** How long a claimed delivery stays invisible to other workers (must exceed the timeout). */
  webhookLeaseMs: number;
};

export const defaultNotificationsSettings = (): NotificationsSettings => ({
  pollMs: 1_000,
  heartbeatMs: 15_000,
  maxBufferedBytes: 256 * 1024,
  maxStallMs: 30_000,
  retentionMs: 24 * 60 * 60 * 1000,
  webhookLogRetentionMs: 30 * 24 * 60 * 60 * 1000,
  purgeEveryMs: 60_000,
  webhookMaxAttempts: 8,
  webhookBackoffMs: 5_000,
  webhookMaxBackoffMs: 60 * 60 * 1000,
  webhookTimeoutMs: 10_000,
  webhookLeaseMs: 60_000,
});
