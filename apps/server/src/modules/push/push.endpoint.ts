import { isIP } from 'node:net';

/** Loopback, private, link-local, CGNAT, unique-local and metadata addresses (IPv4 and IPv6 literals). */
function isPrivateAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.internal')) return true;
  const kind = isIP(h);
  if (kind === 4) {
    const [a = 0, b = 0] = h.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    );
  }
  if (kind === 6)
    return h === '::1' || h === '::' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80') || h.startsWith('::ffff:');
  return false;
}

/**
 * Why a push endpoint is not acceptable, or null. Push services are public HTTPS endpoints; an
 * endpoint on this network would let a subscriber make the server call inside it, so those are
 * refused unless the operator allows them (PUSH_ALLOW_PRIVATE_ENDPOINTS, e.g. for tests).
 */
export function endpointProblem(endpoint: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'not a URL';
  }
  if (allowPrivate) return url.protocol === 'https:' || url.protocol === 'http:' ? null : 'must be an http(s) URL';
  if (url.protocol !== 'https:') return 'a push endpoint must be an https URL';
  if (url.username || url.password) return 'a push endpoint carries no credentials';
  if (isPrivateAddress(url.hostname)) return 'a push endpoint must be on the public internet';
  return null;
}
