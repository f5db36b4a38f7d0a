import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { canonical, normalizeHost, parseAllowList, RANGE_NAMES, type AllowRules } from './allow-list.js';

export { normalizeHost, parseAllowList } from './allow-list.js';

/**
 * The one door for server-initiated HTTP calls to addresses a tenant chose (webhooks, identity
 * providers' discovery and keys). A call may reach only public unicast addresses: loopback,
 * private (RFC 1918, ULA), link-local, CGNAT, multicast, unspecified, broadcast, reserved ranges,
 * IPv4-mapped forms of those and cloud metadata addresses are refused — unless the operator allows
 * a host or range with OUTBOUND_ALLOW (metadata addresses stay refused whatever it says).
 *
 * Checked twice: when a URL is registered (`assertAllowed`, so the admin gets a 422 at once), and
 * when the connection is made (`fetch`): the host name is resolved by our own lookup, every address
 * is checked, and the socket connects to the address that was checked — a DNS answer that changes
 * between the two (rebinding) cannot get round it. Redirects are never followed.
 */

export type ResolvedAddress = { address: string; family: number };
/** Resolves a host name to all its addresses (DNS at the process boundary; tests pass a fake). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export type OutboundOptions = {
  /** OUTBOUND_ALLOW entries: host names, `*.suffix` wildcards, IP addresses and CIDR ranges. */
  allow?: readonly string[];
  resolve?: HostResolver;
  /** TCP/TLS connect timeout (default 10 s). */
  connectTimeoutMs?: number;
};

/** What callers may set on an outbound request (redirects are never followed). */
export type OutboundInit = {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string;
  signal?: AbortSignal;
};

export type Outbound = {
  /** Throws `OutboundRefused` when the URL's host is, or resolves to, an address calls may not reach. */
  assertAllowed: (url: string) => Promise<void>;
  /** `fetch` through the guard: the connect-time check pins the resolved address; redirects are not followed. */
  fetch: (url: string | URL, init?: OutboundInit) => Promise<Response>;
  close: () => Promise<void>;
};

export class OutboundRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'OutboundRefused';
  }
}

/** Cloud metadata services (AWS, ECS, GCP, Azure, Oracle, Alibaba): never reachable, even if allowed. */
const METADATA_ADDRESSES = ['169.254.169.254', '169.254.170.2', '169.254.169.123', 'fd00:ec2::254', '100.100.100.200', '192.0.0.192'];
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

const metadata = new BlockList();
for (const address of METADATA_ADDRESSES) metadata.addAddress(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');

const isHostAllowed = (rules: AllowRules, host: string): boolean =>
  rules.hosts.has(host) || rules.suffixes.some((suffix) => host.endsWith(suffix));

/** Why `address` may not be called (null: it may). */
function refusalOf(rules: AllowRules, address: string, hostAllowed: boolean): string | null {
  const ip = canonical(address);
  const text = ip.toString();
  if (metadata.check(text, ip.kind())) return 'a cloud metadata address';
  if (hostAllowed || rules.ranges.check(text, ip.kind())) return null;
  const range = ip.range();
  if (range === 'unicast') return null;
  return `${RANGE_NAMES[range] ?? 'a reserved'} address`;
}

const defaultResolver: HostResolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export function createOutbound(options: OutboundOptions = {}): Outbound {
  const { rules, problems } = parseAllowList(options.allow ?? []);
  if (problems.length > 0) throw new Error(`OUTBOUND_ALLOW: ${problems.join('; ')}`);
  const resolve = options.resolve ?? defaultResolver;

  /** The addresses `host` may be called at, or a refusal naming why not. */
  async function vet(hostname: string): Promise<ResolvedAddress[]> {
    const host = normalizeHost(hostname);
    if (host === '') throw new OutboundRefused('the URL has no host');
    if (METADATA_HOSTS.has(host)) throw new OutboundRefused(`${host} is a cloud metadata service`);
    const family = isIP(host);
    const hostAllowed = family === 0 && isHostAllowed(rules, host);
    let addresses: ResolvedAddress[];
    if (family !== 0) {
      addresses = [{ address: host, family }];
    } else {
      try {
        addresses = await resolve(host);
      } catch {
        throw new OutboundRefused(`the host ${host} could not be resolved`);
      }
      if (addresses.length === 0) throw new OutboundRefused(`the host ${host} could not be resolved`);
    }
    for (const { address } of addresses) {
      const refusal = refusalOf(rules, address, hostAllowed);
      if (refusal !== null) {
        throw new OutboundRefused(
          family !== 0
            ? `${host} is ${refusal}; calls to loopback, private, link-local and metadata addresses are refused unless an operator allows them (OUTBOUND_ALLOW)`
            : `the host ${host} resolves to ${refusal}; calls to loopback, private, link-local and metadata addresses are refused unless an operator allows them (OUTBOUND_ALLOW)`,
        );
      }
    }
    return addresses;
  }

  // Connect-time lookup: the socket connects to an address this function vetted (pinning).
  const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    vet(hostname).then(
      (addresses) => {
        const wanted =
          lookupOptions.family === 4 || lookupOptions.family === 6 ? addresses.filter((a) => a.family === lookupOptions.family) : addresses;
        const list = wanted.length > 0 ? wanted : addresses;
        if (lookupOptions.all) (callback as (e: null, a: ResolvedAddress[]) => void)(null, list);
        else callback(null, list[0]!.address, list[0]!.family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
  const connector = buildConnector({ lookup: guardedLookup, timeout: options.connectTimeoutMs ?? 10_000 });
  const agent = new Agent({
    connect: (connectOptions, callback) => {
      // An IP literal is never looked up: vet it here (this also covers redirects' targets).
      const host = normalizeHost(connectOptions.hostname);
      if (isIP(host) === 0) return connector(connectOptions, callback);
      vet(host).then(
        () => connector(connectOptions, callback),
        (error: unknown) => callback(error as Error, null),
      );
    },
  });

  return {
    async assertAllowed(url) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new OutboundRefused('not an absolute URL');
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
        throw new OutboundRefused('only http:// and https:// URLs are allowed');
      if (parsed.username !== '' || parsed.password !== '') throw new OutboundRefused('credentials in the URL are not allowed');
      await vet(parsed.hostname);
    },
    async fetch(url, init = {}) {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
        throw new OutboundRefused('only http:// and https:// URLs are allowed');
      const headers = init.headers instanceof Headers ? Object.fromEntries(init.headers.entries()) : init.headers;
      const response = await undiciFetch(parsed, {
        method: init.method ?? 'GET',
        ...(headers ? { headers } : {}),
        ...(init.body !== undefined ? { body: init.body } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
        redirect: 'manual',
        dispatcher: agent,
      });
      return response;
    },
    close: () => agent.close(),
  };
}

/** Whether a fetch failure is the guard's refusal (its message is safe to show to the URL's owner). */
export function outboundRefusalOf(error: unknown): OutboundRefused | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof OutboundRefused) return e;
  }
  return undefined;
}
