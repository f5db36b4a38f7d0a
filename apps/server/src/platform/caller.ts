/**
 * Who performs a use case, as services and the audit trail see it: a signed-in user (from the
 * verified token) or the system itself (the dispatch engine, timers, imports run by the engine).
 * Services take it as their second argument: `(tx, caller, input)`.
 */
export type Caller = {
  kind: 'user' | 'system';
  subject: string;
  name: string;
  roles: string[];
  tenantSlug: string;
  requestId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  /**
   * Region codes the person works in (from their membership or a token claim); undefined or empty:
   * not limited. What they may see and do is decided by modules/regions' policy, not here.
   */
  regions?: readonly string[];
};

export function systemCaller(tenantSlug: string, requestId: string | null = null): Caller {
  return { kind: 'system', subject: 'system', name: 'system', roles: [], tenantSlug, requestId, sourceIp: null, userAgent: null };
}
