/**
 * Network impairment for one browser participant: its media goes through a UDP relay in this
 * process that drops and delays packets, in each direction, as a poor network would.
 *
 * How the media gets here: the page's relay script (relayScript.ts) rewrites every ICE
 * candidate the SFU gives the page, before the browser sees it. For each UDP/IPv4 candidate
 * (`ip:port`) it asks this link, through a page binding, for a relay port and puts
 * `127.0.0.1:<relay port>` in its place; every other candidate (TCP, IPv6) is dropped, so no
 * media can go around the relay. The SFU then sees the relay's address as the participant's.
 *
 * Why a relay and not the kernel or the browser: this machine's kernel has no netem, and
 * Chromium's own network emulation (the `WebRTC-FakeNetwork*Config` field trials) was measured
 * to have no effect in Debian's Chromium 156. A relay needs no privileges and works against
 * any deployment, loopback or remote. What it impairs is media (RTP, RTCP, STUN, DTLS); the
 * signalling WebSocket is not impaired.
 *
 * Loss is drawn from seeded generators (one seed per link, one generator per direction), so
 * the n-th packet each way is dropped or not alike in every run with that seed.
 * Delay is a fixed one-way delay per direction; packets keep their order.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { seeded } from '../seeded.js';

export interface Impairment {
  /** Packets dropped in each direction, percent (0–50). */
  readonly lossPercent: number;
  /** Added one-way delay in each direction, ms (0–2000). */
  readonly delayMs: number;
}

export const NO_IMPAIRMENT: Impairment = { lossPercent: 0, delayMs: 0 };
export const MAX_LOSS_PERCENT = 50;
export const MAX_DELAY_MS = 2000;
/** Upstream addresses one link relays (one per SFU candidate; a page has a few). */
const MAX_UPSTREAMS = 32;

export function isImpaired(i: Impairment): boolean {
  return i.lossPercent > 0 || i.delayMs > 0;
}

/** What a link did, for the report. */
export interface LinkCounters {
  /** Packets from the page towards the SFU: relayed, and dropped on purpose. */
  readonly up: { readonly relayed: number; readonly dropped: number };
  /** Packets from the SFU towards the page. */
  readonly down: { readonly relayed: number; readonly dropped: number };
}

/**
 * Page sockets one SFU address is relayed for. A page's transports (send and receive) each use
 * their own socket but may all talk to one SFU port (a WebRtcServer): like a NAT, each page
 * socket gets its own socket towards the SFU, so the SFU tells the transports apart.
 */
const MAX_FLOWS = 16;

export class ImpairedLink {
  private readonly upstreams = new Map<string, Promise<{ ip: string; port: number }>>();
  private readonly sockets: Socket[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** One generator per direction, so each direction's drop pattern depends only on its own packets. */
  private readonly random: { readonly up: () => number; readonly down: () => number };
  private readonly counts = {
    up: { relayed: 0, dropped: 0 },
    down: { relayed: 0, dropped: 0 },
  };
  private closed = false;

  constructor(
    readonly impairment: Impairment,
    seed: number,
  ) {
    this.random = { up: seeded(seed), down: seeded(seed ^ 0x9e3779b9) };
  }

  counters(): LinkCounters {
    return { up: { ...this.counts.up }, down: { ...this.counts.down } };
  }

  /**
   * The relay address standing in for the SFU's `ip:port` (UDP, IPv4), made on first use.
   * Throws for anything else, so the page drops that candidate.
   */
  relay(ip: string, port: number): Promise<{ ip: string; port: number }> {
    if (this.closed) return Promise.reject(new Error('the impaired link is closed'));
    if (!isIPv4(ip) || !Number.isInteger(port) || port < 1 || port > 65535)
      return Promise.reject(new Error('only UDP over IPv4 is relayed'));
    const key = `${ip}:${port}`;
    let made = this.upstreams.get(key);
    if (!made) {
      if (this.upstreams.size >= MAX_UPSTREAMS)
        return Promise.reject(new Error('too many SFU addresses for one page'));
      made = this.open(ip, port);
      this.upstreams.set(key, made);
    }
    return made;
  }

  private async open(ip: string, port: number): Promise<{ ip: string; port: number }> {
    const facingPage = await this.bound('127.0.0.1');
    /** Per page socket (`address:port`), the socket that talks to the SFU for it. */
    const flows = new Map<string, Promise<Socket>>();
    const flow = (page: RemoteInfo): Promise<Socket> => {
      const key = `${page.address}:${page.port}`;
      let made = flows.get(key);
      if (!made) {
        made = this.bound();
        flows.set(key, made);
        void made.then((facingSfu) =>
          facingSfu.on('message', (msg, from) => {
            if (from.address !== ip || from.port !== port) return;
            this.pass('down', () => facingPage.send(msg, page.port, page.address));
          }),
        );
      }
      return made;
    };
    facingPage.on('message', (msg, page) => {
      const key = `${page.address}:${page.port}`;
      if (!flows.has(key) && flows.size >= MAX_FLOWS) return;
      void flow(page).then((facingSfu) => this.pass('up', () => facingSfu.send(msg, port, ip)));
    });
    return { ip: '127.0.0.1', port: facingPage.address().port };
  }

  /** A UDP socket on a free port (on `address`, or on every address). */
  private async bound(address?: string): Promise<Socket> {
    const s = createSocket('udp4');
    s.on('error', () => undefined);
    this.sockets.push(s);
    await new Promise<void>((r) => (address ? s.bind(0, address, r) : s.bind(0, r)));
    return s;
  }

  private pass(direction: 'up' | 'down', send: () => void): void {
    if (this.closed) return;
    const c = this.counts[direction];
    if (this.random[direction]() * 100 < this.impairment.lossPercent) {
      c.dropped++;
      return;
    }
    c.relayed++;
    if (this.impairment.delayMs === 0) {
      send();
      return;
    }
    // Equal delays keep the order: timers with the same timeout fire in the order they were set.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) send();
    }, this.impairment.delayMs);
    this.timers.add(timer);
  }

  /** Idempotent: stops relaying and closes every socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.close();
  }
}
