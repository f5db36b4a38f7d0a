import type { DispatchStatus, DriverActionKind, DriverActionResult } from '@yardmaster/contracts';
import { t } from '../../i18n';

/** A proof file waiting to be uploaded with its completion (photos are already resized on the phone). */
export type QueuedFile = { id: string; blob: Blob; contentType: string };

/** A status tap kept on the phone until the server has answered it. Its id is the idempotency key. */
export type QueuedAction = {
  seq?: number;
  id: string;
  dispatchId: string;
  workOrderNumber: string;
  action: DriverActionKind;
  occurredAt: string;
  notes?: string;
  reason?: string;
  proof?: { photos: QueuedFile[]; signature?: QueuedFile; signerName?: string; notes?: string };
  /** pending: not yet answered; refused: the server said no (reason); failed: the request was wrong (detail). */
  state: 'pending' | 'refused' | 'failed';
  problem?: string;
};

/** What the status becomes after an action (a decline hands the job back: it leaves the card). */
const AFTER: Record<DriverActionKind, DispatchStatus> = {
  en_route: 'en_route',
  on_site: 'on_site',
  returning: 'returning',
  completed: 'completed',
  decline: 'queued',
};

/** The status the driver sees: the server's last word, moved on by the taps still waiting to be sent. */
export function projectStatus(status: DispatchStatus, dispatchId: string, queue: readonly QueuedAction[]): DispatchStatus {
  let s = status;
  for (const a of queue) if (a.dispatchId === dispatchId && a.state === 'pending') s = AFTER[a.action];
  return s;
}

export type SendResult =
  { kind: 'answered'; result: DriverActionResult } | { kind: 'problem'; status: number; detail: string } | { kind: 'unreachable' };

export type QueueIo = {
  list: () => Promise<QueuedAction[]>;
  update: (action: QueuedAction) => Promise<void>;
  remove: (seq: number) => Promise<void>;
  upload: (dispatchId: string, kind: 'photos' | 'signatures', file: QueuedFile) => Promise<SendResult | { kind: 'ok' }>;
  send: (action: QueuedAction) => Promise<SendResult>;
};

/**
 * Sends the waiting taps in the order they were made, one at a time. Stops at the first that cannot
 * reach the server (no signal, not signed in) and keeps it and everything after it for later. An
 * answered tap leaves the queue; a refused one stays, marked with the server's reason, until the
 * driver has read it.
 */
export async function flushQueue(
  io: QueueIo,
  onAnswer: (action: QueuedAction, result: DriverActionResult) => void = () => undefined,
): Promise<{ sent: number; stopped: boolean }> {
  let sent = 0;
  for (const item of await io.list()) {
    if (item.state !== 'pending' || item.seq === undefined) continue;
    const files = item.proof
      ? [
          ...item.proof.photos.map((f) => ['photos', f] as const),
          ...(item.proof.signature ? [['signatures', item.proof.signature] as const] : []),
        ]
      : [];
    let failed: string | null = null;
    for (const [kind, file] of files) {
      const up = await io.upload(item.dispatchId, kind, file);
      if (up.kind === 'unreachable') return { sent, stopped: true };
      if (up.kind === 'problem') {
        if (up.status === 401) return { sent, stopped: true };
        failed = up.detail;
        break;
      }
    }
    const answer: SendResult = failed ? { kind: 'problem', status: 400, detail: failed } : await io.send(item);
    if (answer.kind === 'unreachable' || (answer.kind === 'problem' && answer.status === 401)) return { sent, stopped: true };
    if (answer.kind === 'problem') {
      await io.update({ ...item, state: 'failed', problem: answer.detail, proof: undefined });
    } else if (answer.result.outcome === 'refused') {
      await io.update({ ...item, state: 'refused', problem: answer.result.reason ?? t('driver.notAccepted'), proof: undefined });
      onAnswer(item, answer.result);
    } else {
      await io.remove(item.seq);
      onAnswer(item, answer.result);
    }
    sent++;
  }
  return { sent, stopped: false };
}
