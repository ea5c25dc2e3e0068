/**
 * The soak's measurements: what the stable pages see (decrypt failures between stayers, the
 * longest time a stayer's frames stopped arriving at another stayer, each page's JS heap) and what
 * the SFU holds (its RSS and heap, the worker's RSS, open objects through /metrics and mediasoup's
 * dump(), via the fuzzers' census).
 */
import type { CDPSession, Page } from 'playwright-core';
import { diagnostics } from '../../calltest/app.js';
import type { TestSfu } from '../../test/e2e/harness/servers.js';
import { census, rssOf, type Census } from '../../test/fuzz/census.js';

export interface StablePage {
  readonly name: string;
  readonly page: Page;
  readonly cdp: CDPSession;
  /** Every peer id this page has had (a network drop makes it rejoin under a new one). */
  readonly peerIds: Set<string>;
  /** Until this time the page is recovering from a drop; freezes towards it are not counted. */
  recoveringUntil: number;
}

export class Sampler {
  /** Decrypt failures by (receiving page, sender peer id): counters restart on a rejoin. */
  private readonly failures = new Map<string, number>();
  /** The same, by drop reason (UNKNOWN_KID, AUTH_FAILED, …). */
  private readonly reasons = new Map<string, Readonly<Record<string, number>>>();
  /** Longest gap in a stayer's frames seen by another stayer, since the last report. */
  longestFreezeMs = 0;
  /** Stayer → stayer failures summed at the last report, to print the growth per period. */
  private failuresAtReport = 0;

  constructor(private readonly pages: readonly StablePage[]) {}

  /** One sample of every stable page; cheap enough to run every half second. */
  async sample(): Promise<void> {
    const now = Date.now();
    const diag = await Promise.all(this.pages.map((p) => diagnostics(p.page).catch(() => null)));
    diag.forEach((d, i) => {
      if (d?.selfPeerId) this.pages[i]!.peerIds.add(d.selfPeerId);
    });
    for (const [i, d] of diag.entries()) {
      if (!d || d.phase !== 'in-call') continue;
      const receiver = this.pages[i]!;
      for (const s of d.senders) {
        const sender = this.pages.find((p) => p.peerIds.has(s.peerId));
        if (!sender) continue; // a joiner
        this.failures.set(`${receiver.name}\u0000${s.peerId}`, s.failures);
        this.reasons.set(`${receiver.name}\u0000${s.peerId}`, s.failuresByReason);
        const recovering = receiver.recoveringUntil > now || sender.recoveringUntil > now;
        if (!recovering && s.msSinceLastFrame !== null)
          this.longestFreezeMs = Math.max(this.longestFreezeMs, s.msSinceLastFrame);
      }
    }
  }

  /** Stayer → stayer decrypt failures since the start. */
  stayerFailures(): number {
    let n = 0;
    for (const v of this.failures.values()) n += v;
    return n;
  }

  /** Stayer → stayer failures since the start, by reason, e.g. "UNKNOWN_KID:12 REPLAY:1". */
  private reasonSummary(): string {
    const sum = new Map<string, number>();
    for (const r of this.reasons.values())
      for (const [k, v] of Object.entries(r)) sum.set(k, (sum.get(k) ?? 0) + v);
    return [...sum].map(([k, v]) => `${k}:${v}`).join(' ') || '-';
  }

  async report(sfu: TestSfu): Promise<Record<string, string | number>> {
    const c: Census = await census(sfu.sfu);
    const mem = process.memoryUsage();
    const heaps = await Promise.all(
      this.pages.map(async (p) => {
        const r = (await p.cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
        return mb(r.usedSize);
      }),
    );
    const failures = this.stayerFailures();
    const row = {
      serverRssMB: mb(mem.rss),
      serverHeapMB: mb(mem.heapUsed),
      workerRssMB: mb(rssOf(sfu.sfu.pool.workers[0]!.worker.pid)),
      'rooms/peers': `${c.rooms}/${c.peers}`,
      'transports/producers/consumers': `${c.transports}/${c.producers}/${c.consumers}`,
      msHandlers: c.msHandlers,
      pageHeapsMB: heaps.join(' '),
      stayerDecryptFailures: `${failures} (+${failures - this.failuresAtReport})`,
      longestFreezeMs: this.longestFreezeMs,
      failureReasons: this.reasonSummary(),
    };
    this.failuresAtReport = failures;
    this.longestFreezeMs = 0;
    return row;
  }
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
