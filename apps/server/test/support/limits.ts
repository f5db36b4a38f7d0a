import http from 'node:http';
import type { PlanLimits } from '@yardmaster/contracts';

/** Env that turns limits on with one plan `test` as the default (other plans stay built in). */
export function limitsEnv(plan: Partial<PlanLimits>): Record<string, string> {
  const test: PlanLimits = {
    userPerSecond: 0.001,
    userBurst: 1_000,
    tenantPerSecond: 0.001,
    tenantBurst: 10_000,
    userStreams: 10,
    tenantStreams: 100,
    ...plan,
  };
  return { RATE_LIMITS: 'on', RATE_LIMIT_DEFAULT_PLAN: 'test', RATE_LIMIT_PLANS: JSON.stringify({ test }) };
}

export type StreamAttempt = { status: number; retryAfter: string | undefined; type: string | undefined; close: () => void };

/** Opens `/api/v1/events` over a real socket; resolves on the response head (a 200 stays open). */
export function openStream(baseUrl: string, token: string): Promise<StreamAttempt> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${baseUrl}/api/v1/events`, { headers: { authorization: `Bearer ${token}` }, agent: false });
    request.on('error', reject);
    request.on('response', (response) => {
      const close = (): void => void request.destroy();
      if (response.statusCode === 200) {
        response.resume();
        resolve({ status: 200, retryAfter: undefined, type: undefined, close });
        return;
      }
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        let type: string | undefined;
        try {
          type = (JSON.parse(body) as { type?: string }).type;
        } catch {
          type = undefined;
        }
        resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], type, close });
      });
    });
  });
}
