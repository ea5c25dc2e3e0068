/**
 * The soak's engine (bench/soak.ts is its command line; test/e2e/media/soak.test.ts runs it for
 * two minutes in CI): three stable pages stay in one call; every 10–20 s one more page joins,
 * waits until it decrypts everyone, stays a few seconds and leaves (its SFU objects must then be
 * gone); every few minutes one stable page loses its network for 5 s and rejoins on its own.
 *
 * Reuses the e2e harness (test/e2e/harness) for the SFU, the browser and driving the app.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, type PageHandle } from '../../calltest/browsers/chromium.js';
import { createRoomLink, diagnostics, joinCall, waitForCall } from '../../calltest/app.js';
import { seeded } from '../../calltest/seeded.js';
import { ensureWebBuild, startSfu } from '../../test/e2e/harness/servers.js';
import { census, settle } from '../../test/fuzz/census.js';
import { printTable } from '../../test/fuzz/seed.js';
import { Sampler, type StablePage } from './sampler.js';

export interface SoakOptions {
  readonly minutes: number;
  readonly reportMinutes: number;
  readonly seed: number;
  /** Network drops of a stable page, this often on average (3 min by default). */
  readonly dropEveryMs?: number;
  /**
   * Go on past `minutes` until at least this many visitors tried to join and this many drops
   * happened (at most `GRACE_MS` longer), so a short run judges a fixed number of events however
   * slow the machine is. Zero by default.
   */
  readonly minVisitors?: number;
  readonly minDrops?: number;
}

export interface SoakResult {
  /** One row per report period. */
  readonly rows: readonly Record<string, string | number>[];
  readonly joins: number;
  readonly joinFailures: number;
  /** What each failed visitor's page showed when it gave up (phase and its view of each sender). */
  readonly joinFailureReasons: readonly string[];
  /** Leavers whose SFU objects were not all gone again within 15 s. */
  readonly leaverLeftovers: number;
  /** Leaver checks not judged because a stable page was recovering from a drop. */
  readonly leaverChecksSkipped: number;
  readonly drops: number;
  /** Stayer → stayer frames that could not be decrypted (every drop reason but REPLAY). */
  readonly undecryptable: number;
  /** Stayer → stayer second copies of frames already decrypted (REPLAY drops). */
  readonly replayCopies: number;
}

const STABLE = 3;
/** Console lines kept per page, for the dump a failed visitor writes. */
const CONSOLE_LINES = 400;
/** `SOAK_LOG=debug` makes every page log at that level (web/util/logger.ts), for the dumps. */
const PAGE_LOG = process.env.SOAK_LOG;
const DUMP_DIR = join(process.cwd(), 'test-results', 'soak');
const DROP_MS = 5000;
/**
 * How long a visitor may take from opening its page to decrypting everyone. A fifth Chromium page
 * on two busy cores has taken 17 s just to load the app and 50 s in all (CI, 2026-12); 60 s was
 * not enough.
 */
const VISITOR_JOIN_MS = 150_000;
/** The longest a run goes on past `minutes` waiting for `minVisitors` and `minDrops`. */
const GRACE_MS = 5 * 60_000;
/**
 * How long after a frame arrived its drop may still show up in the page's counters: a frame with
 * no key waits up to 3 s for it (web/e2ee/worker/FramePipe.ts KEY_WAIT_MS) before it is counted as
 * UNKNOWN_KID, the worker posts its counters every 500 ms, and we sample every 500 ms.
 */
const LATE_COUNT_MS = 3000 + 500 + 500 + 1000;

/** A page whose console lines (ids, codes and epochs only: web/util/logger.ts) are kept. */
interface LoggedPage extends PageHandle {
  readonly lines: string[];
}

type SoakPage = StablePage & { readonly lines: readonly string[] };

async function openLoggedPage(browser: Browser, t0: number): Promise<LoggedPage> {
  const lines: string[] = [];
  const level = PAGE_LOG;
  const h = await openPage(browser, {
    initScripts:
      level === undefined
        ? []
        : [`localStorage.setItem('blindcall:log', ${JSON.stringify(level)})`],
    onConsole: (type, text) => {
      lines.push(`+${((Date.now() - t0) / 1000).toFixed(1)}s ${type} ${text}`);
      if (lines.length > CONSOLE_LINES) lines.shift();
    },
  });
  return { ...h, lines };
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { minutes: MINUTES, reportMinutes: REPORT_MINUTES, seed: SEED } = options;
  const DROP_EVERY_MS = options.dropEveryMs ?? 3 * 60_000;
  const random = seeded(SEED);
  console.log(
    `soak: ${MINUTES} min, report every ${REPORT_MINUTES} min, seed ${SEED} (--seed ${SEED} repeats the schedule)`,
  );
  ensureWebBuild();
  const sfu = await startSfu({ env: { LOG_LEVEL: 'error' } });
  const browser = await launchBrowser();
  const handles: LoggedPage[] = [];
  const t0 = Date.now();
  const rows: Record<string, string | number>[] = [];
  const joinFailureReasons: string[] = [];
  const counts = {
    joins: 0,
    joinFailures: 0,
    leaverLeftovers: 0,
    leaverChecksSkipped: 0,
    drops: 0,
  };
  try {
    const first = await openLoggedPage(browser, t0);
    handles.push(first);
    const link = await createRoomLink(first.page, sfu.url);
    const stable: SoakPage[] = [];
    for (let i = 0; i < STABLE; i++) {
      const h = i === 0 ? first : await openLoggedPage(browser, t0);
      if (i > 0) handles.push(h);
      await joinCall(h.page, link, `Stable ${i + 1}`);
      stable.push({
        name: `s${i + 1}`,
        page: h.page,
        cdp: await h.context.newCDPSession(h.page),
        peerIds: new Set(),
        recoveringUntil: 0,
        lines: h.lines,
      });
    }
    for (const s of stable) await waitForCall(s.page, STABLE - 1, 90_000);
    const steady = await census(sfu.sfu);
    const sampler = new Sampler(stable);
    const start = Date.now();
    const end = start + MINUTES * 60_000;
    let nextReport = start + REPORT_MINUTES * 60_000;
    let nextJoin = start + 10_000 + random() * 10_000;
    let nextDrop = start + DROP_EVERY_MS * (0.5 + random());
    let churn: Promise<void> | null = null;

    let lastReportAt = start;
    const report = async (): Promise<void> => {
      lastReportAt = Date.now();
      const row = {
        minute: ((Date.now() - start) / 60_000).toFixed(1),
        ...(await sampler.report(sfu)),
        ...counts,
      };
      rows.push(row);
      printTable(`soak after ${row.minute} min`, [row]);
    };

    const churnOnce = async (): Promise<void> => {
      const h = await openLoggedPage(browser, t0);
      try {
        await joinCall(h.page, link, 'Visitor');
        await waitForCall(h.page, STABLE, VISITOR_JOIN_MS);
        counts.joins++;
        await h.page.waitForTimeout(3000 + random() * 5000);
      } catch (err) {
        counts.joinFailures++;
        const why = await visitorState(h, stable, err);
        joinFailureReasons.push(why);
        const dump = await dumpFailure(counts.joinFailures, h, stable, why);
        console.log(`soak: visitor ${counts.joinFailures} failed to join: ${why} (pages: ${dump})`);
      } finally {
        await h.close().catch(() => undefined);
      }
      // Everything the leaver had on the SFU is gone again (not judged while a drop recovers).
      const after = await settle(sfu.sfu, steady, 15_000);
      if (stable.some((s) => s.recoveringUntil > Date.now())) counts.leaverChecksSkipped++;
      else if (JSON.stringify(after) !== JSON.stringify(steady)) counts.leaverLeftovers++;
    };

    const minVisitors = options.minVisitors ?? 0;
    const minDrops = options.minDrops ?? 0;
    const enough = (): boolean =>
      counts.joins + counts.joinFailures >= minVisitors && counts.drops >= minDrops;
    while (Date.now() < end || (!enough() && Date.now() < end + GRACE_MS)) {
      const now = Date.now();
      if (churn === null && now >= nextJoin) {
        churn = churnOnce().finally(() => {
          churn = null;
          nextJoin = Date.now() + 10_000 + random() * 10_000;
        });
      }
      if (now >= nextDrop) {
        const victim = stable[Math.floor(random() * STABLE)]!;
        counts.drops++;
        victim.recoveringUntil = Date.now() + 60_000;
        const ctx = victim.page.context();
        void (async () => {
          // Chromium's offline emulation closes the page's WebSocket (the server sees it leave at
          // once) and fails every request, so the page rejoins as a new peer once it is back.
          await ctx.setOffline(true);
          await sleep(DROP_MS);
          await ctx.setOffline(false);
          // Recovered once every stable page decrypts every other again (the rejoined page
          // decrypting the others is not enough: they must have its new keys too) ...
          await stayersDecryptEachOther(stable, 90_000).catch(() => undefined);
          // ... and once drops of frames that arrived before then have been counted.
          victim.recoveringUntil = Date.now() + LATE_COUNT_MS;
        })();
        nextDrop = now + DROP_EVERY_MS * (0.5 + random());
      }
      await sampler.sample();
      if (Date.now() >= nextReport) {
        await report();
        nextReport += REPORT_MINUTES * 60_000;
      }
      await sleep(500);
    }
    await churn;
    if (Date.now() - lastReportAt > 10_000) await report(); // the end, with the last churn counted
    printTable(`soak: ${MINUTES} min, seed ${SEED}`, rows);
    return {
      rows,
      ...counts,
      joinFailureReasons,
      undecryptable: sampler.stayerFailures(),
      replayCopies: sampler.replayCopies(),
    };
  } finally {
    for (const h of handles) await h.close().catch(() => undefined);
    await browser.close();
    await sfu.close();
  }
}

/** Every stable page in the call and decrypting every other stable page's current peer. */
async function stayersDecryptEachOther(
  stable: readonly StablePage[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await Promise.all(stable.map((s) => diagnostics(s.page)));
    const ok = all.every(
      (d, i) =>
        d.phase === 'in-call' &&
        all.every(
          (other, j) =>
            i === j ||
            d.senders.some(
              (s) => s.peerId === other.selfPeerId && s.inRoster && s.framesDecrypted > 0,
            ),
        ),
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error('stable pages did not all decrypt each other');
    await sleep(250);
  }
}

/**
 * What every page saw when a visitor gave up, for finding out why: each page's diagnostics (peer
 * ids, phases, room code, counters: no names, no keys) and its last console lines. Returns the
 * file's path.
 */
async function dumpFailure(
  n: number,
  visitor: LoggedPage,
  stable: readonly SoakPage[],
  why: string,
): Promise<string> {
  const pages = [
    { name: 'visitor', page: visitor.page, lines: visitor.lines },
    ...stable.map((s) => ({ name: s.name, page: s.page, lines: s.lines })),
  ];
  const parts = [`visitor ${n}: ${why}`];
  for (const p of pages) {
    const d = await diagnostics(p.page).catch(() => null);
    const view =
      d === null
        ? 'unreadable'
        : JSON.stringify({
            phase: d.phase,
            self: d.selfPeerId,
            code: d.securityCode?.glance ?? null,
            kid: d.localKid,
            senders: d.senders.map((s) => ({
              peer: s.peerId,
              roster: s.inRoster,
              kid: s.kid,
              frames: s.framesDecrypted,
              failures: s.failuresByReason,
              msSinceLastFrame: s.msSinceLastFrame,
            })),
            events: d.events,
          });
    parts.push(`## ${p.name}\n${view}\n${p.lines.join('\n')}`);
  }
  mkdirSync(DUMP_DIR, { recursive: true });
  const file = join(DUMP_DIR, `visitor-${n}.log`);
  writeFileSync(file, parts.join('\n\n') + '\n');
  return file;
}

/**
 * A failed visitor, in one line: its phase and, per sender it knows, whether that sender is in its
 * roster and how many of its frames it decrypted; plus which stable pages were recovering. No
 * names (the diagnostics carry none), peer ids shortened.
 */
async function visitorState(
  h: PageHandle,
  stable: readonly StablePage[],
  err: unknown,
): Promise<string> {
  const recovering = stable.filter((s) => s.recoveringUntil > Date.now()).map((s) => s.name);
  const error = err instanceof Error ? err.message.split(';')[0]! : String(err);
  try {
    const d = await diagnostics(h.page);
    const senders = d.senders
      .map(
        (s) =>
          `${s.peerId.slice(0, 6)}:${s.inRoster ? 'roster' : 'unlisted'}/${s.framesDecrypted}f/${s.failures}x`,
      )
      .join(' ');
    return `${error}; phase ${d.phase}; senders [${senders}]; recovering [${recovering.join(' ')}]`;
  } catch {
    return `${error}; page unreadable; recovering [${recovering.join(' ')}]`;
  }
}
