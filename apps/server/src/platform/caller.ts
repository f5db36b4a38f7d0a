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

/**
 * The region codes a caller is limited to; null: not limited (the system, admins, drivers acting on
 * their own work, people without region attributes). The rules built on it live in
 * modules/regions (its policy); platform code and lower modules ask only this.
 */
export function regionScopeOf(who: {
  kind?: Caller['kind'];
  roles: readonly string[];
  regions?: readonly string[] | undefined;
}): readonly string[] | null {
  if (who.kind === 'system' || who.roles.includes('admin')) return null;
  // Drivers see their own dispatches whatever the region; the scope is for those who oversee work.
  if (!who.roles.some((role) => role === 'dispatcher' || role === 'viewer')) return null;
  const regions = who.regions ?? [];
  return regions.length > 0 ? regions : null;
}
