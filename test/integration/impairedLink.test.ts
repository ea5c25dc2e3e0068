/**
 * The call-test tool's impaired link (calltest/network/ImpairedLink.ts) over real UDP sockets:
 * a "page" socket talks to an echoing "SFU" socket through the relay, which must drop about the
 * asked share in each direction, delay, keep the order, and give each page socket its own flow.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { ImpairedLink } from '../../calltest/network/ImpairedLink.js';

const sockets: Socket[] = [];
const links: ImpairedLink[] = [];

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

/** An SFU stand-in that answers every packet with the same bytes, and notes who sent it. */
async function echo(): Promise<{ port: number; from: Set<number> }> {
  const s = await udp();
  const from = new Set<number>();
  s.on('message', (msg, rinfo) => {
    from.add(rinfo.port);
    s.send(msg, rinfo.port, rinfo.address);
  });
  return { port: s.address().port, from };
}

function link(lossPercent: number, delayMs: number, seed = 7): ImpairedLink {
  const l = new ImpairedLink({ lossPercent, delayMs }, seed);
  links.push(l);
  return l;
}

/** Sends `n` numbered packets from `page` to the relay, 1 ms apart; resolves with what came back. */
async function roundTrips(page: Socket, relayPort: number, n: number, waitMs: number) {
  const back: number[] = [];
  const at = new Map<number, number>();
  const sentAt = new Map<number, number>();
  page.on('message', (msg) => {
    const i = msg.readUInt32BE(0);
    back.push(i);
    at.set(i, performance.now() - sentAt.get(i)!);
  });
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(i);
    sentAt.set(i, performance.now());
    page.send(b, relayPort, '127.0.0.1');
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 1));
  }
  await new Promise((r) => setTimeout(r, waitMs));
  return { back, rtt: [...at.values()] };
}

afterEach(() => {
  for (const l of links.splice(0)) l.close();
  for (const s of sockets.splice(0)) s.close();
});

describe('ImpairedLink', () => {
  it('drops about the asked share each way, delays each way, and keeps the order', async () => {
    const sfu = await echo();
    const l = link(20, 40);
    const relay = await l.relay('127.0.0.1', sfu.port);
    expect(relay.ip).toBe('127.0.0.1');
    expect(relay.port).not.toBe(sfu.port);
    const page = await udp();
    const { back, rtt } = await roundTrips(page, relay.port, 2000, 600);
    const c = l.counters();
    expect(c.up.relayed + c.up.dropped).toBe(2000);
    // 20 % each way, seeded: within a few points of it over 2000 packets.
    expect(c.up.dropped / 2000).toBeGreaterThan(0.16);
    expect(c.up.dropped / 2000).toBeLessThan(0.24);
    expect(c.down.relayed + c.down.dropped).toBe(c.up.relayed);
    expect(c.down.dropped / (c.up.relayed || 1)).toBeGreaterThan(0.16);
    expect(c.down.dropped / (c.up.relayed || 1)).toBeLessThan(0.24);
    expect(back.length).toBe(c.down.relayed);
    // In order, and never sooner than the delay in both directions.
    expect(back).toEqual([...back].sort((a, b) => a - b));
    expect(Math.min(...rtt)).toBeGreaterThanOrEqual(79);
  });

  it('drops the same packets again with the same seed', async () => {
    const sfu = await echo();
    const runs: number[][] = [];
    for (const seed of [42, 42, 43]) {
      const l = link(30, 0, seed);
      const relay = await l.relay('127.0.0.1', sfu.port);
      const page = await udp();
      runs.push((await roundTrips(page, relay.port, 300, 200)).back);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).not.toEqual(runs[0]);
  });

  it('gives each page socket its own socket towards the SFU, and answers each its own', async () => {
    // A page's send and receive transports talk to one WebRtcServer port; if the relay sent both
    // from one port, the SFU could not tell them apart (the first version did: no media came in).
    const sfu = await echo();
    const l = link(0, 0);
    const relay = await l.relay('127.0.0.1', sfu.port);
    const [a, b] = [await udp(), await udp()];
    const [ra, rb] = await Promise.all([
      roundTrips(a, relay.port, 50, 100),
      roundTrips(b, relay.port, 50, 100),
    ]);
    expect(sfu.from.size).toBe(2);
    expect(ra.back).toHaveLength(50);
    expect(rb.back).toHaveLength(50);
  });

  it('relays UDP over IPv4 only, reuses one relay per SFU address, and stops when closed', async () => {
    const sfu = await echo();
    const l = link(0, 0);
    await expect(l.relay('::1', sfu.port)).rejects.toThrow(/IPv4/);
    await expect(l.relay('127.0.0.1', 0)).rejects.toThrow(/IPv4/);
    const first = await l.relay('127.0.0.1', sfu.port);
    expect(await l.relay('127.0.0.1', sfu.port)).toEqual(first);
    l.close();
    l.close();
    await expect(l.relay('127.0.0.1', sfu.port + 1)).rejects.toThrow(/closed/);
  });
});
