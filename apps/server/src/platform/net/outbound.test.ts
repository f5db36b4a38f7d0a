import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbound, outboundRefusalOf, parseAllowList, type ResolvedAddress } from './outbound.js';

/** Every form of "this machine" and of the private network a tenant admin could type. */
const FORBIDDEN_URLS = [
  'http://169.254.169.254/latest/meta-data/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://[fd00:ec2::254]/latest/',
  'http://100.100.100.200/latest/',
  'http://localhost/',
  'http://LOCALHOST./hooks',
  'http://127.0.0.1:5432/',
  'http://127.0.0.1./',
  'http://127.1/',
  'http://0x7f000001/',
  'http://2130706433/',
  'http://017700000001/',
  'http://0/',
  'http://0.0.0.0/',
  'http://[::1]/',
  'http://[::]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:10.0.0.1]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://10.0.0.1/',
  'http://172.16.5.4/',
  'http://192.168.1.1/',
  'http://[fc00::1]/',
  'http://[fd12:3456::1]/',
  'http://169.254.10.10/',
  'http://[fe80::1]/',
  'http://100.64.0.1/',
  'http://224.0.0.1/',
  'http://[ff02::1]/',
  'http://255.255.255.255/',
  'https://192.0.0.192/',
];

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const refused = outboundRefusalOf(error);
    if (refused) return refused.reason;
    throw error;
  }
  throw new Error('the call was not refused');
}

describe('outbound call guard', () => {
  let server: http.Server;
  let port = 0;
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      hits += 1;
      res.end('reached');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each(FORBIDDEN_URLS)('refuses %s by default', async (url) => {
    const outbound = createOutbound();
    expect(await refusal(outbound.assertAllowed(url))).toMatch(
      /loopback|private|link-local|metadata|unspecified|multicast|broadcast|carrier-grade|reserved/,
    );
    await outbound.close();
  });

  it('accepts public unicast addresses', async () => {
    const outbound = createOutbound();
    await expect(outbound.assertAllowed('https://93.184.215.14/hooks')).resolves.toBeUndefined();
    await expect(outbound.assertAllowed('https://[2606:4700:4700::1111]/hooks')).resolves.toBeUndefined();
    await outbound.close();
  });

  it('refuses a host name that resolves to any private address, and one that does not resolve', async () => {
    const answers: Record<string, ResolvedAddress[]> = {
      'mixed.example.test': [
        { address: '93.184.215.14', family: 4 },
        { address: '10.1.1.1', family: 4 },
      ],
    };
    const outbound = createOutbound({ resolve: async (host) => answers[host] ?? Promise.reject(new Error('ENOTFOUND')) });
    expect(await refusal(outbound.assertAllowed('https://mixed.example.test/'))).toMatch(/resolves to a private address/);
    expect(await refusal(outbound.assertAllowed('https://nowhere.example.test/'))).toMatch(/could not be resolved/);
    await outbound.close();
  });

  it('refuses loopback at connect time: an IP literal, and a name that rebinds after the check', async () => {
    let lookups = 0;
    const outbound = createOutbound({
      // First answer public (what the registration saw), then this machine (DNS rebinding).
      resolve: async () => [{ address: lookups++ === 0 ? '93.184.215.14' : '127.0.0.1', family: 4 }],
    });
    await outbound.assertAllowed(`http://rebind.example.test:${port}/`);
    expect(await refusal(outbound.fetch(`http://rebind.example.test:${port}/`))).toMatch(/loopback/);
    expect(await refusal(outbound.fetch(`http://127.0.0.1:${port}/`))).toMatch(/loopback/);
    expect(await refusal(outbound.fetch(`http://0x7f000001:${port}/`))).toMatch(/loopback/);
    expect(hits).toBe(0);
    await outbound.close();
  });

  it('connects to the address it vetted (pinned), not to a fresh DNS answer', async () => {
    // The name exists only in our resolver: reaching the server proves the socket used that answer.
    const outbound = createOutbound({ allow: ['127.0.0.0/8'], resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    const response = await outbound.fetch(`http://pinned.example.test:${port}/`);
    expect(await response.text()).toBe('reached');
    expect(hits).toBe(1);
    await outbound.close();
  });

  it('does not follow redirects (a public receiver cannot bounce the call inward)', async () => {
    const redirector = http.createServer((_req, res) => {
      res.statusCode = 302;
      res.setHeader('location', `http://127.0.0.1:${port}/`);
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const outbound = createOutbound({ allow: [`127.0.0.1`] });
    const response = await outbound.fetch(`http://127.0.0.1:${(redirector.address() as AddressInfo).port}/`);
    expect(response.status).toBe(302);
    expect(hits).toBe(1);
    await outbound.close();
    redirector.closeAllConnections();
    await new Promise((resolve) => redirector.close(resolve));
  });

  it('lets OUTBOUND_ALLOW name hosts, wildcards and ranges, but never metadata addresses', async () => {
    const outbound = createOutbound({
      allow: ['hooks.corp.example', '*.intra.example', '10.20.0.0/16', 'fd00::/8', '169.254.0.0/16'],
      resolve: async () => [{ address: '192.168.7.7', family: 4 }],
    });
    await expect(outbound.assertAllowed('https://hooks.corp.example/in')).resolves.toBeUndefined();
    await expect(outbound.assertAllowed('https://a.b.intra.example/in')).resolves.toBeUndefined();
    await expect(outbound.assertAllowed('http://10.20.3.4/in')).resolves.toBeUndefined();
    await expect(outbound.assertAllowed('http://[fd00::5]/in')).resolves.toBeUndefined();
    expect(await refusal(outbound.assertAllowed('http://other.corp.example/in'))).toMatch(/private/);
    expect(await refusal(outbound.assertAllowed('http://10.21.0.1/in'))).toMatch(/private/);
    expect(await refusal(outbound.assertAllowed('http://169.254.169.254/in'))).toMatch(/metadata/);
    await outbound.close();
  });

  it('names every malformed OUTBOUND_ALLOW entry', () => {
    expect(parseAllowList(['10.0.0.0/33', 'not a host', 'ok.example', '::1', '::/0']).problems).toEqual([
      '"10.0.0.0/33" is not a CIDR range',
      '"not a host" is not a host name, IP address or CIDR range',
    ]);
  });
});
