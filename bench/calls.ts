/**
 * `npx tsx bench/calls.ts`: end-to-end call numbers in real Chromium with fake media, through
 * the real SFU. Prints tables; asserts nothing. On a shared 2-core machine expect noise: every
 * table says how many samples it has.
 *
 * 1. Join → first decrypted remote frame (and first picture shown), over 10 joins.
 * 2. Leave → every remaining sender on its new key (and decrypted with it), and the longest
 *    media gap the remaining receivers saw, over 5 leaves.
 * 3. Per-frame SFrame encrypt/decrypt time inside the frame worker, and bytes added per frame.
 * 4. CPU of a 3-party call with E2EE vs the same call with the frame transforms replaced by a
 *    copy-through, alternating rounds in one run. The copy-through exists only in this
 *    benchmark's pages (bench/e2e/frameTiming.ts), never in the product.
 */
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import {
  createRoomLink,
  diagnostics,
  waitForCall,
  waitForDiagnostics,
  type Diagnostics,
} from '../calltest/app.js';
import { ensureWebBuild, startSfu, type TestSfu } from '../test/e2e/harness/servers.js';
import type { Colour } from '../calltest/media/fakeMedia.js';
import { classifyColour, probeReport, resetProbe } from '../calltest/media/mediaProbe.js';
import { Cast, join, type Person } from '../test/e2e/media/support/participants.js';
import { browserRoots, cpuSeconds, mediasoupWorkers } from './e2e/cpu.js';
import { frameCostCells, quantile, table } from './e2e/tables.js';
import { frameTiming, frameTimingScript, type FrameTimingStats } from './e2e/frameTiming.js';

/** BENCH_QUICK=1: a smoke run with few samples. */
const QUICK = process.env.BENCH_QUICK === '1';
const JOINS = QUICK ? 2 : 10;
const LEAVES = QUICK ? 1 : 5;
const CPU_ROUNDS = QUICK ? 1 : 2; // per mode, alternating
const CPU_WINDOW_MS = QUICK ? 5000 : 15_000;

function summary(label: string, xs: readonly number[], unit = 'ms'): (string | number)[] {
  const r = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '-');
  return [
    label,
    xs.length,
    r(quantile(xs, 0.5)),
    r(quantile(xs, 0.95)),
    r(Math.min(...xs)),
    r(Math.max(...xs)),
    unit,
  ];
}

/** Polls `read` every ~20 ms until `done`; returns Date.now() at the first poll that saw it. */
async function timeUntil<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done(await read())) return Date.now();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out');
}

async function clickJoin(p: Person, link: string): Promise<number> {
  await p.page.goto('about:blank');
  await p.page.goto(link);
  await p.page.locator('[data-test=display-name]').fill(p.name);
  await p.page.locator('[data-test=preview-video]').waitFor();
  const t0 = Date.now();
  await p.page.locator('[data-test=join]').click();
  return t0;
}

async function firstPicture(page: Page, peerId: string, colour: Colour): Promise<number | null> {
  const r = await probeReport(page);
  const v = r.video.find((x) => x.peerId === peerId && x.source === 'camera');
  const s = v?.samples.find((x) => x.frame !== null && classifyColour(x.colour) === colour);
  return s?.t ?? null;
}

async function joinLatency(server: TestSfu): Promise<void> {
  const cast = new Cast();
  try {
    const host = await cast.person('Host', 'red');
    const guest = await cast.person('Guest', 'green');
    const link = await createRoomLink(host.page, server.url);
    await join(host, link);
    await waitForDiagnostics(host.page, (d) => d.phase === 'in-call', { what: 'host in call' });
    const decrypted: number[] = [];
    const shown: number[] = [];
    const hostDecrypted: number[] = [];
    for (let i = 0; i < JOINS; i++) {
      const t0 = await clickJoin(guest, link);
      // The worker dates the first frame under each KID (its own clock, epoch ms), so these are
      // exact, not late by the 500 ms stats cadence. A newcomer can decrypt nothing before its
      // join epoch, so its first KID's first frame is its first decrypted frame.
      const firstFrame = (d: Diagnostics): number | null =>
        d.senders.find((s) => s.framesDecrypted > 0)?.kidSince ?? null;
      const [dGuest, dHost] = await Promise.all([
        timeUntil(
          () => diagnostics(guest.page),
          (d) => firstFrame(d) !== null,
        ),
        timeUntil(
          () => diagnostics(host.page),
          (d) => firstFrame(d) !== null,
        ),
      ]).then(() => Promise.all([diagnostics(guest.page), diagnostics(host.page)]));
      decrypted.push(firstFrame(dGuest)! - t0);
      hostDecrypted.push(firstFrame(dHost)! - t0);
      const hostPeer = (await diagnostics(host.page)).selfPeerId!;
      const tPic = await timeUntil(
        () => firstPicture(guest.page, hostPeer, 'red'),
        (t) => t !== null,
        30_000,
      ).then(() => firstPicture(guest.page, hostPeer, 'red'));
      shown.push(tPic! - t0);
      await guest.page.locator('[data-test=control-leave]').click();
      await waitForDiagnostics(host.page, (d) => d.senders.length === 0, { what: 'guest gone' });
    }
    console.log(
      `\nJoin → first remote frame, ${JOINS} joins of a second person (from the click on Join;\n` +
        "'decrypted' is the frame worker's own time of the first frame it decrypted)\n" +
        table(
          ['measure', 'n', 'median', 'p95', 'min', 'max', 'unit'],
          [
            summary('newcomer: first picture of the host shown (rVFC, host colour)', shown),
            summary('newcomer: first host frame decrypted', decrypted),
            summary('host: first newcomer frame decrypted', hostDecrypted),
          ],
        ),
    );
  } finally {
    await cast.closeAll();
  }
}

async function leaveSwitch(server: TestSfu): Promise<void> {
  const cast = new Cast();
  try {
    const alice = await cast.person('Alice', 'red');
    const bob = await cast.person('Bob', 'green');
    const carol = await cast.person('Carol', 'blue');
    const link = await createRoomLink(alice.page, server.url);
    await join(alice, link);
    await join(bob, link);
    await Promise.all([waitForCall(alice.page, 1), waitForCall(bob.page, 1)]);
    const switched: number[] = [];
    const hinted: number[] = [];
    const keyed: number[] = [];
    const gaps: number[] = [];
    const failures: number[] = [];
    for (let i = 0; i < LEAVES; i++) {
      await carol.page.goto('about:blank');
      await join(carol, link);
      await Promise.all([alice, bob, carol].map((p) => waitForCall(p.page, 2)));
      await alice.page.waitForTimeout(2000);
      const [a0, b0] = await Promise.all([diagnostics(alice.page), diagnostics(bob.page)]);
      const failed = (a: Diagnostics, b: Diagnostics): number =>
        (a.senders.find((s) => s.peerId === bob.peerId)?.failures ?? 0) +
        (b.senders.find((s) => s.peerId === alice.peerId)?.failures ?? 0);
      await Promise.all([resetProbe(alice.page), resetProbe(bob.page)]);
      const t0 = Date.now();
      await carol.page.locator('[data-test=control-leave]').click();
      const switchedBoth = ([a, b]: Diagnostics[]): boolean =>
        a!.local.kid !== a0.local.kid &&
        b!.local.kid !== b0.local.kid &&
        a!.senders.length === 1 &&
        b!.senders.length === 1 &&
        a!.senders[0]!.kid === b!.local.kid &&
        b!.senders[0]!.kid === a!.local.kid;
      await timeUntil(
        () => Promise.all([diagnostics(alice.page), diagnostics(bob.page)]),
        switchedBoth,
      );
      // Exact: the last of the four first frames under the new keys (each worker's own clock):
      // Alice's and Bob's first encrypted, and each one's first decrypted from the other.
      const [a1s, b1s] = await Promise.all([diagnostics(alice.page), diagnostics(bob.page)]);
      const firsts = [
        a1s.local.kidSince,
        b1s.local.kidSince,
        a1s.senders[0]!.kidSince,
        b1s.senders[0]!.kidSince,
      ];
      switched.push(Math.max(...firsts.map((t) => t ?? NaN)) - t0);
      // Where the time goes: the server's peerLeft reaching both, and both taking the new epoch's
      // sender key (the commit processed, every member ready, or the switch timeout).
      const after = (d: Diagnostics, type: string): number =>
        d.events.find((e) => e.at >= t0 && e.type === type)?.at ?? NaN;
      hinted.push(Math.max(after(a1s, 'peerLeft'), after(b1s, 'peerLeft')) - t0);
      keyed.push(Math.max(after(a1s, 'localKey'), after(b1s, 'localKey')) - t0);
      await alice.page.waitForTimeout(3000);
      const [ra, rb] = await Promise.all([probeReport(alice.page), probeReport(bob.page)]);
      const gapOf = (r: typeof ra, peer: string | null): number =>
        r.video.find((v) => v.peerId === peer && v.source === 'camera')?.maxGapMs ?? NaN;
      gaps.push(Math.max(gapOf(ra, bob.peerId), gapOf(rb, alice.peerId)));
      const [a1, b1] = await Promise.all([diagnostics(alice.page), diagnostics(bob.page)]);
      failures.push(failed(a1, b1) - failed(a0, b0));
    }
    console.log(
      `\nLeave → new keys, ${LEAVES} leaves of a third person (from the click on Leave)\n` +
        table(
          ['measure', 'n', 'median', 'p95', 'min', 'max', 'unit'],
          [
            summary("the server's peerLeft reached both remaining members", hinted),
            summary('both remaining senders took the new sender key', keyed),
            summary('both remaining senders on new keys, each decrypted with it', switched),
            summary('longest video gap at the remaining receivers (rVFC)', gaps),
            summary('frames the remaining receivers failed to decrypt', failures, 'frames'),
          ],
        ),
    );
  } finally {
    await cast.closeAll();
  }
}

type Mode = 'e2ee' | 'passthrough';

interface Round {
  readonly mode: Mode;
  readonly cores: number;
  readonly browserCores: number;
  readonly sfuCores: number;
  /** Remote video frames presented per second, summed over the three receivers. */
  readonly fps: number;
  readonly timing: FrameTimingStats[][];
}

async function callRound(
  server: TestSfu,
  mode: Mode,
  round: number,
  measureCrypto: boolean,
): Promise<Round> {
  const cast = new Cast();
  const marker = `--blindcall-bench-round=${round}`;
  const scripts =
    mode === 'passthrough'
      ? [frameTimingScript('passthrough')]
      : measureCrypto
        ? [frameTimingScript('measure')]
        : [];
  try {
    const colours: Colour[] = ['red', 'green', 'blue'];
    const people = await Promise.all(
      colours.map((c, i) =>
        cast.person(`P${i}`, c, {
          initScripts: scripts,
          browserArgs: [marker],
          bypassCSP: scripts.length > 0,
        }),
      ),
    );
    const link = await createRoomLink(people[0]!.page, server.url);
    for (const p of people) await join(p, link);
    await Promise.all(
      people.map((p) =>
        waitForDiagnostics(p.page, (d) => d.phase === 'in-call' && d.senders.length === 2, {
          what: 'in call with two others',
          timeoutMs: 60_000,
        }),
      ),
    );
    // Media flowing: every receiver presents both remote videos.
    await Promise.all(
      people.map((p) =>
        timeUntil(
          () => probeReport(p.page),
          (r) => r.video.filter((v) => v.peerId !== 'self' && v.frames > 10).length === 2,
        ),
      ),
    );
    await people[0]!.page.waitForTimeout(3000);
    await Promise.all(people.map((p) => resetProbe(p.page)));
    const roots = browserRoots(marker);
    const workers = mediasoupWorkers();
    const b0 = cpuSeconds(roots);
    const s0 = cpuSeconds(workers);
    const t0 = Date.now();
    await people[0]!.page.waitForTimeout(CPU_WINDOW_MS);
    const seconds = (Date.now() - t0) / 1000;
    const browserCores = (cpuSeconds(roots) - b0) / seconds;
    const sfuCores = (cpuSeconds(workers) - s0) / seconds;
    const reports = await Promise.all(people.map((p) => probeReport(p.page)));
    const frames = reports
      .flatMap((r) => r.video.filter((v) => v.peerId !== 'self'))
      .reduce((n, v) => n + v.frames, 0);
    const timing = measureCrypto ? await Promise.all(people.map((p) => frameTiming(p.page))) : [];
    return {
      mode,
      cores: browserCores + sfuCores,
      browserCores,
      sfuCores,
      fps: frames / seconds,
      timing,
    };
  } finally {
    await cast.closeAll();
  }
}

async function cryptoAndCpu(server: TestSfu): Promise<void> {
  const measured = await callRound(server, 'e2ee', 0, true);
  const byKey = new Map<string, { frames: number; samples: number[]; delta: number }>();
  for (const page of measured.timing) {
    for (const s of page) {
      const e = byKey.get(s.key) ?? { frames: 0, samples: [], delta: 0 };
      e.frames += s.frames;
      e.samples.push(...s.samples);
      e.delta += s.bytesDelta;
      byKey.set(s.key, e);
    }
  }
  console.log(
    '\nSFrame per frame inside the frame worker (3-party call, all three pages; time a frame spends in the\n' +
      "app's transform; worker clock resolution ~0.1 ms, so medians of small frames round to 0 or 100 µs)\n" +
      table(
        [
          'transform',
          'frames',
          'mean µs',
          'p50 µs',
          'p95 µs',
          'p99 µs',
          'bytes out − in per frame',
        ],
        [...byKey.entries()]
          .sort()
          .map(([key, e]) => [
            key === 'send/video' || key === 'send/audio'
              ? `encrypt ${key.split('/')[1]}`
              : `decrypt ${key.split('/')[1]}`,
            ...frameCostCells(e.samples, e.frames, e.delta),
          ]),
      ),
  );

  const rounds: Round[] = [];
  for (let i = 0; i < CPU_ROUNDS; i++) {
    for (const mode of ['e2ee', 'passthrough'] as const) {
      rounds.push(await callRound(server, mode, rounds.length + 1, false));
    }
  }
  const mean = (mode: Mode, f: (r: Round) => number): number => {
    const rs = rounds.filter((r) => r.mode === mode);
    return rs.reduce((n, r) => n + f(r), 0) / rs.length;
  };
  const row = (mode: Mode): (string | number)[] => [
    mode === 'e2ee' ? 'E2EE (product)' : 'copy-through transform (bench only)',
    rounds.filter((r) => r.mode === mode).length,
    mean(mode, (r) => r.browserCores).toFixed(2),
    mean(mode, (r) => r.sfuCores).toFixed(3),
    mean(mode, (r) => r.cores).toFixed(2),
    mean(mode, (r) => r.fps).toFixed(1),
  ];
  console.log(
    `\nCPU of a 3-party call (cores busy over ${CPU_WINDOW_MS / 1000} s; rounds alternate E2EE / copy-through)\n` +
      table(
        ['call', 'rounds', '3 browsers', 'SFU worker', 'total', 'remote fps (sum)'],
        [row('e2ee'), row('passthrough')],
      ) +
      `\nE2EE / copy-through, total CPU: ${(mean('e2ee', (r) => r.cores) / mean('passthrough', (r) => r.cores)).toFixed(2)}×` +
      `; per round: ${rounds.map((r) => `${r.mode} ${r.cores.toFixed(2)}`).join(', ')}`,
  );
}

export async function main(): Promise<void> {
  ensureWebBuild();
  const server = await startSfu({ env: { LOG_LEVEL: 'warn' } });
  const started = Date.now();
  try {
    await joinLatency(server);
    await leaveSwitch(server);
    await cryptoAndCpu(server);
  } finally {
    await server.close();
  }
  console.log(`\n(bench/calls.ts took ${Math.round((Date.now() - started) / 1000)} s)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
