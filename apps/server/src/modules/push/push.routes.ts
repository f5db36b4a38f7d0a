import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PushKeySchema, PushSubscriptionSchema } from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { deleteSubscription, saveSubscription, startPushWorker, type PushOptions } from './push.service.js';

const DRIVER = { roles: ['driver'] } as const;
const tags = ['driver app'];

export function pushRoutes(database: Database, options: PushOptions & { intervalMs?: number }) {
  return async (app: FastifyInstance): Promise<void> => {
    let stop: (() => void) | undefined;
    app.addHook('onReady', async () => {
      stop = startPushWorker(database, options, app.log, options.intervalMs ?? 2_000);
    });
    app.addHook('onClose', async () => stop?.());
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    r.get(
      '/api/v1/me/push/key',
      {
        config: { access: DRIVER },
        schema: { tags, summary: "The server's VAPID public key, for subscribing to Web Push", response: { 200: PushKeySchema } },
      },
      async () => ({ publicKey: options.keys.publicKey }),
    );
    r.put(
      '/api/v1/me/push/subscription',
      {
        config: { access: DRIVER },
        schema: { tags, summary: "Store this browser's push subscription (new job, recall, change)", body: PushSubscriptionSchema },
      },
      async (request, reply) => {
        await inTenant(request, (tx, caller) => saveSubscription(tx, caller, request.body, options));
        return reply.status(204).send();
      },
    );
    r.delete(
      '/api/v1/me/push/subscription',
      {
        config: { access: DRIVER },
        schema: { tags, summary: 'Stop pushes to this browser', body: z.object({ endpoint: z.url() }).strip() },
      },
      async (request, reply) => {
        await inTenant(request, (tx, caller) => deleteSubscription(tx, caller, request.body.endpoint));
        return reply.status(204).send();
      },
    );
  };
}
