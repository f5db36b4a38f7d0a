// The load generator of `npm run bench:dispatch`, run in its own process (forked by bench/dispatch.ts)
// so its CPU is not the server's. Talks to the server over HTTP only; reports through IPC.
//   phase "serial": one client, N × (create a work order → read its dispatch → complete it)
//   phase "load":   CLIENTS concurrent clients doing the same for SECONDS
type Tenant = { token: string; siteId: string; typeIds: string[] };
type Config = { base: string; tenants: Tenant[]; clients: number; seconds: number; serialPairs: number };

const send = (message: unknown): void => {
  process.send?.(message);
};
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function waitFor(kind: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const listener = (m: { kind?: string }): void => {
      if (m.kind === kind) {
        process.off('message', listener);
        resolve();
      }
    };
    process.on('message', listener);
  });
}

async function pair(
  config: Config,
  tenant: Tenant,
  i: number,
  timings: { create: number[]; complete: number[] },
): Promise<{ assigned: boolean; errors: number }> {
  const headers = { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' };
  let start = performance.now();
  const created = await fetch(`${config.base}/api/v1/work-orders`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      siteId: tenant.siteId,
      description: 'bench',
      priority: 'standard',
      lines: [{ equipmentTypeId: tenant.typeIds[i % tenant.typeIds.length], quantity: 1 }],
    }),
  });
  const wo = (await created.json()) as { dispatchIds?: string[]; status?: string };
  timings.create.push(performance.now() - start);
  let errors = created.status >= 500 ? 1 : 0;
  const dispatchId = wo.dispatchIds?.[0];
  if (!dispatchId || wo.status !== 'assigned') return { assigned: false, errors };
  const read = await fetch(`${config.base}/api/v1/dispatches/${dispatchId}`, { headers });
  const d = (await read.json()) as { status: string; version: number };
  if (d.status !== 'dispatched') return { assigned: true, errors };
  start = performance.now();
  const done = await fetch(`${config.base}/api/v1/dispatches/${dispatchId}/status`, {
    method: 'POST',
    headers: { ...headers, 'if-match': `"${d.version}"` },
    body: JSON.stringify({ status: 'completed' }),
  });
  await done.arrayBuffer();
  timings.complete.push(performance.now() - start);
  if (done.status >= 500) errors++;
  return { assigned: true, errors };
}

process.once('message', (config: Config) => {
  void (async () => {
    // Serial: one client, one tenant.
    const serial = { create: [] as number[], complete: [] as number[] };
    const tenant0 = config.tenants[0];
    if (!tenant0) throw new Error('no tenant');
    for (let i = 0; i < 20; i++) await pair(config, tenant0, i, { create: [], complete: [] }); // warm-up
    send({ kind: 'serial:start' });
    await waitFor('go');
    let serialErrors = 0;
    for (let i = 0; i < config.serialPairs; i++) serialErrors += (await pair(config, tenant0, i, serial)).errors;
    serial.create.sort((a, b) => a - b);
    serial.complete.sort((a, b) => a - b);
    send({
      kind: 'serial:end',
      pairs: config.serialPairs,
      errors: serialErrors,
      createP50: percentile(serial.create, 50),
      createP99: percentile(serial.create, 99),
      completeP50: percentile(serial.complete, 50),
    });
    await waitFor('go');

    // Concurrent load.
    const load = { create: [] as number[], complete: [] as number[] };
    let errors = 0;
    let pairs = 0;
    const deadline = Date.now() + config.seconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: config.clients }, async (_, c) => {
        const tenant = config.tenants[c % config.tenants.length] ?? tenant0;
        let i = c;
        while (Date.now() < deadline) {
          const r = await pair(config, tenant, i++, load);
          errors += r.errors;
          pairs++;
        }
      }),
    );
    const all = [...load.create, ...load.complete].sort((a, b) => a - b);
    send({
      kind: 'load:end',
      seconds: (performance.now() - started) / 1000,
      pairs,
      requests: all.length,
      errors,
      p50: percentile(all, 50),
      p99: percentile(all, 99),
    });
    await waitFor('go');

    // The HTTP floor: the same clients, three requests per "pair" (as create, read, complete), to the
    // liveness route, which touches neither the database nor a token. No dispatch work at all.
    let floorPairs = 0;
    const floorDeadline = Date.now() + Math.min(10, config.seconds) * 1000;
    const floorStarted = performance.now();
    await Promise.all(
      Array.from({ length: config.clients }, async () => {
        while (Date.now() < floorDeadline) {
          for (let r = 0; r < 3; r++) await (await fetch(`${config.base}/healthz`)).arrayBuffer();
          floorPairs++;
        }
      }),
    );
    send({ kind: 'floor:end', seconds: (performance.now() - floorStarted) / 1000, pairs: floorPairs });
  })().catch((error: unknown) => {
    send({ kind: 'error', message: String(error) });
    process.exitCode = 1;
  });
});
send({ kind: 'ready' });
