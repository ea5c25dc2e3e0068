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
  /**
   * Decrypt failures by (receiving page and its peer id, sender peer id) and reason (UNKNOWN_KID,
   * REPLAY, …), summed over the page's counters restarting (a rejoin, a new consumer).
   */
  private readonly reasons = new Map<string, Record<string, number>>();
  /**
   * The same while the receiver or the sender recovers from a network drop: a page that rejoins is
   * a newcomer, which by design cannot decrypt frames of the epoch before its join (UNKNOWN_KID
   * until the senders switch, ≤ 1 s). Printed, not counted as lost.
   */
  private readonly recoveryReasons = new Map<string, Record<string, number>>();
  /** The counters last read, per key, to tell a restart (a smaller value) from growth. */
  private readonly lastRead = new Map<string, Readonly<Record<string, number>>>();
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
        const recovering = receiver.recoveringUntil > now || sender.recoveringUntil > now;
        const key = `${receiver.name}\u0000${d.selfPeerId}\u0000${s.peerId}`;
        this.count(key, s.failuresByReason, recovering, `${sender.name} → ${receiver.name}`);
        if (!recovering && s.msSinceLastFrame !== null)
          this.longestFreezeMs = Math.max(this.longestFreezeMs, s.msSinceLastFrame);
      }
    }
  }

  private count(
    key: string,
    now: Readonly<Record<string, number>>,
    recovering: boolean,
    pair: string,
  ): void {
    const last = this.lastRead.get(key) ?? {};
    const into = recovering ? this.recoveryReasons : this.reasons;
    const sum = into.get(key) ?? {};
    for (const [reason, v] of Object.entries(now)) {
      const before = last[reason] ?? 0;
      // a counter that went down restarted: all of `v` is new
      const added = v >= before ? v - before : v;
      sum[reason] = (sum[reason] ?? 0) + added;
      // Each lost frame is printed where it happened, so a long run's one loss can be traced.
      if (added > 0 && !recovering && reason !== 'REPLAY')
        console.log(`soak: ${pair}: ${added} × ${reason} at ${new Date().toISOString()}`);
    }
    into.set(key, sum);
    this.lastRead.set(key, { ...now });
  }

  /**
   * Stayer → stayer frames that could not be decrypted since the start: every drop but REPLAY.
   * A REPLAY drop is a second copy of a frame already decrypted and shown: Chromium can hand a
   * frame to the receive transform again when a late retransmission completes it once more
   * (w3c/webrtc-encoded-transform#310, crbug 40682672), and the replay window drops the copy.
   */
  stayerFailures(): number {
    return this.byReason(false);
  }

  /** Stayer → stayer REPLAY copies since the start (not lost frames: see stayerFailures). */
  replayCopies(): number {
    return this.byReason(true);
  }

  private byReason(replay: boolean): number {
    let n = 0;
    for (const r of this.reasons.values())
      for (const [k, v] of Object.entries(r)) if ((k === 'REPLAY') === replay) n += v;
    return n;
  }

  /** Stayer → stayer failures since the start, by reason, e.g. "UNKNOWN_KID:12 REPLAY:1". */
  private reasonSummary(reasons = this.reasons): string {
    const sum = new Map<string, number>();
    for (const r of reasons.values())
      for (const [k, v] of Object.entries(r)) sum.set(k, (sum.get(k) ?? 0) + v);
    return (
      [...sum]
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k}:${v}`)
        .join(' ') || '-'
    );
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
      replayCopies: this.replayCopies(),
      longestFreezeMs: this.longestFreezeMs,
      failureReasons: this.reasonSummary(),
      whileRecovering: this.reasonSummary(this.recoveryReasons),
    };
    this.failuresAtReport = failures;
    this.longestFreezeMs = 0;
    return row;
  }
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
