import { BlockList, isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** OUTBOUND_ALLOW: which hosts and ranges outbound calls may reach although they are not public. */

/** `[::1]` → `::1`, `Example.COM.` → `example.com`. */
export function normalizeHost(hostname: string): string {
  return hostname
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase()
    .replace(/\.+$/, '');
}

/** IPv4-mapped IPv6 (`::ffff:7f00:1`) is the IPv4 address it maps; anything else as it is. */
export function canonical(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const ip = ipaddr.parse(address);
  return ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : ip;
}

export const RANGE_NAMES: Record<string, string> = {
  unspecified: 'an unspecified',
  broadcast: 'a broadcast',
  multicast: 'a multicast',
  linkLocal: 'a link-local',
  loopback: 'a loopback',
  carrierGradeNat: 'a carrier-grade NAT',
  private: 'a private',
  uniqueLocal: 'a private (unique local)',
};

export type AllowRules = { hosts: Set<string>; suffixes: string[]; ranges: BlockList };

/** Parses OUTBOUND_ALLOW entries; `problems` names every entry that is not a host, address or CIDR. */
export function parseAllowList(entries: readonly string[]): { rules: AllowRules; problems: string[] } {
  const rules: AllowRules = { hosts: new Set(), suffixes: [], ranges: new BlockList() };
  const problems: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const slash = entry.indexOf('/');
    if (slash >= 0) {
      const base = normalizeHost(entry.slice(0, slash));
      const prefix = Number(entry.slice(slash + 1));
      const family = isIP(base);
      if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        problems.push(`"${entry}" is not a CIDR range`);
        continue;
      }
      rules.ranges.addSubnet(base, prefix, family === 4 ? 'ipv4' : 'ipv6');
      continue;
    }
    const host = normalizeHost(entry);
    const family = isIP(host);
    if (family !== 0) {
      const ip = canonical(host);
      rules.ranges.addAddress(ip.toString(), ip.kind());
    } else if (/^\*\.([a-z0-9-]+\.)*[a-z0-9-]+$/.test(host)) {
      rules.suffixes.push(host.slice(1));
    } else if (/^([a-z0-9-]+\.)*[a-z0-9-]+$/.test(host)) {
      rules.hosts.add(host);
    } else {
      problems.push(`"${entry}" is not a host name, IP address or CIDR range`);
    }
  }
  return { rules, problems };
}
