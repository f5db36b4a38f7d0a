import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { schedule, type SchedulerLog } from './scheduler.js';

type Entry = { obj: Record<string, unknown>; msg: string };

function recordingLog(): SchedulerLog & { entries: Entry[] } {
  const entries: Entry[] = [];
  return { entries, warn: (obj, msg) => entries.push({ obj, msg }) };
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('schedule', () => {
  it('logs a failing tick with the job name and runs it again at the next tick', async () => {
    const log = recordingLog();
    const failure = new Error('database went away');
    let calls = 0;
    const stop = schedule('test job', 10, log, () => {
      calls += 1;
      if (calls === 1) throw failure;
      return Promise.resolve();
    });
    try {
      await until(() => calls >= 3);
      expect(log.entries).toHaveLength(1);
      expect(log.entries[0]?.obj).toEqual({ err: failure, job: 'test job' });
      expect(log.entries[0]?.msg).toMatch(/^test job failed/);
    } finally {
      stop();
    }
  });

  it('logs a rejected promise as well as a thrown error', async () => {
    const log = recordingLog();
    const stop = schedule('async job', 10, log, () => Promise.reject(new Error('no')));
    try {
      await until(() => log.entries.length >= 2);
      expect(log.entries.every((e) => e.obj.job === 'async job')).toBe(true);
    } finally {
      stop();
    }
  });

  it('never runs two ticks of one job at once', async () => {
    const log = recordingLog();
    let running = 0;
    let most = 0;
    let done = 0;
    const stop = schedule('slow job', 5, log, async () => {
      running += 1;
      most = Math.max(most, running);
      await sleep(30);
      running -= 1;
      done += 1;
    });
    try {
      await until(() => done >= 3);
      expect(most).toBe(1);
    } finally {
      stop();
    }
  });

  it('runs at once unless told to wait for the first interval', async () => {
    let eager = 0;
    let patient = 0;
    const stopEager = schedule('eager', 60_000, recordingLog(), () => void (eager += 1));
    const stopPatient = schedule('patient', 60_000, recordingLog(), () => void (patient += 1), { runNow: false });
    await sleep(20);
    stopEager();
    stopPatient();
    expect(eager).toBe(1);
    expect(patient).toBe(0);
  });

  it('stop() stops it: no tick starts afterwards', async () => {
    let calls = 0;
    const stop = schedule('stopped job', 10, recordingLog(), () => void (calls += 1));
    await until(() => calls >= 2);
    stop();
    const atStop = calls;
    await sleep(60);
    expect(calls).toBe(atStop);
  });
});
