/**
 * Signalling fuzz: fast-check scripts drive a real SFU (real mediasoup worker, real socket.io over
 * WebSocket) with >= 100,000 messages: valid requests in and out of order, malformed, oversized and
 * deeply nested payloads, unknown events, unacknowledged and extra-argument events, floods at and
 * above the rate limit, invalid wire packets and sockets dropped mid-request.
 *
 * Each fast-check run is one wave of concurrent sockets. After every wave all its sockets close and
 * the SFU must hold nothing: /metrics and mediasoup's dump() back to the idle baseline. At the end:
 * the server still answers, every request got a valid answer or a stable error code (never
 * INTERNAL), and memory (heap after GC, worker RSS) is back within a bound of the first wave.
 *
 * FUZZ_SEED replays the same scripts (the sockets of a wave run concurrently, so their interleaving
 * follows the machine; FUZZ_SCALE scales the number of waves).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sfu } from '../../sfu/Sfu.js';
import { census, heapAfterGc, rssOf, settle, type Census } from '../fuzz/census.js';
import { FuzzSocket, FuzzStats, WaveState } from '../fuzz/FuzzSocket.js';
import { fuzzScale, fuzzSeed, printTable } from '../fuzz/seed.js';
import { script } from '../fuzz/signallingOps.js';
import { startSfu, TestClient } from './harness/sfu.js';

const SOCKETS_PER_WAVE = 12;
const COMMANDS_PER_SOCKET = 60;
const MIN_MESSAGES = fuzzScale(100_000);
/**
 * Waves run until MIN_MESSAGES were sent (a wave sends 11,000–13,000, depending on the scripts
 * drawn), at most this many; later runs of the property then do nothing.
 */
const MAX_WAVES = fuzzScale(14);
/** A wave takes 20–60 s on a loaded 2-core machine; one that runs this long is stuck. */
const WAVE_TIMEOUT_MS = 240_000;
/** Heap and worker RSS may end at most this much above their level after the first wave. */
const MEMORY_BOUND_BYTES = 64 * 1024 * 1024;

let sfu: Sfu;
beforeAll(async () => {
  // At the limit and above: floods of 100–700 requests against a burst of 300.
  sfu = await startSfu({ RATE_LIMIT_PER_SECOND: '1000', RATE_LIMIT_BURST: '300' });
});
afterAll(async () => {
  await sfu.close();
});

const MB = (n: number): string => (n / 1024 / 1024).toFixed(1);

describe('signalling fuzz', () => {
  it(`answers >= ${MIN_MESSAGES} hostile messages and leaks nothing`, async () => {
    const seed = fuzzSeed('signalling fuzz');
    const stats = new FuzzStats();
    const idle = await census(sfu);
    const leaks: (Census & { wave: number })[] = [];
    const memory: { wave: number; heapMB: string; workerRssMB: string; messages: number }[] = [];
    let firstHeap = 0;
    let firstRss = 0;
    let wave = 0;
    const started = Date.now();

    const run = await fc.check(
      fc.asyncProperty(
        fc.array(script(COMMANDS_PER_SOCKET), {
          minLength: SOCKETS_PER_WAVE,
          maxLength: SOCKETS_PER_WAVE,
        }),
        async (scripts) => {
          if (stats.messages >= MIN_MESSAGES) return;
          wave++;
          const state = new WaveState();
          const sockets = scripts.map(() => new FuzzSocket(sfu.url, state, stats));
          let watchdog: NodeJS.Timeout | undefined;
          try {
            // A wave that stops making progress fails with what each socket was doing, instead
            // of holding the run until the test's timeout.
            const stuck = new Promise<never>((_, reject) => {
              watchdog = setTimeout(
                () =>
                  reject(
                    new Error(
                      `wave ${wave} made no progress for ${WAVE_TIMEOUT_MS / 1000} s: ` +
                        sockets.map((s, i) => `socket ${i} at ${s.current}`).join(', '),
                    ),
                  ),
                WAVE_TIMEOUT_MS,
              );
            });
            await Promise.race([Promise.all(sockets.map((s, i) => s.run(scripts[i]!))), stuck]);
          } finally {
            clearTimeout(watchdog);
            for (const s of sockets) s.close();
          }
          const after = await settle(sfu, idle);
          leaks.push({ wave, ...after });
          expect(after, `wave ${wave}: the SFU still holds objects`).toEqual(idle);
          const heap = heapAfterGc();
          const rss = rssOf(sfu.pool.workers[0]!.worker.pid);
          if (wave === 1) [firstHeap, firstRss] = [heap, rss];
          memory.push({ wave, heapMB: MB(heap), workerRssMB: MB(rss), messages: stats.messages });
        },
      ),
      { seed, numRuns: MAX_WAVES, endOnFailure: true },
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);

    console.log(
      `[fuzz] signalling fuzz: seed ${seed}, ${wave} waves x ${SOCKETS_PER_WAVE} sockets, ` +
        `${stats.messages} messages, ${stats.answers} answered, ${stats.lost} lost with their ` +
        `dropped socket, ${stats.reconnects} reconnects, ${stats.violations.length} violations, ${seconds} s`,
    );
    printTable(
      'answers by code',
      [...stats.codes].sort((a, b) => b[1] - a[1]).map(([code, n]) => ({ code, answers: n })),
    );
    console.log(
      `[fuzz] valid answers by request: ${JSON.stringify(Object.fromEntries(stats.okByEvent))}`,
    );
    printTable('SFU census once each wave’s sockets closed (idle first)', [
      { wave: 'idle', ...idle },
      ...leaks.map((l) => ({ ...l, wave: String(l.wave) })),
    ]);
    printTable('memory after each wave (heap after GC: this process, which runs the SFU)', memory);

    if (run.failed)
      throw new Error(
        `signalling fuzz failed: FUZZ_SEED=${run.seed}, wave ${run.counterexamplePath}: ${String(run.errorInstance)}`,
      );
    expect(stats.violations.slice(0, 20)).toEqual([]);
    expect(stats.messages).toBeGreaterThanOrEqual(MIN_MESSAGES);
    expect(stats.codes.get('RATE_LIMITED')).toBeGreaterThan(0);
    for (const code of [
      'ok',
      'BAD_REQUEST',
      'UNKNOWN_EVENT',
      'TOO_LARGE',
      'NOT_JOINED',
      'NOT_FOUND',
    ])
      expect(stats.codes.get(code), code).toBeGreaterThan(0);

    // The server is alive and still serves a normal client.
    const c = await TestClient.connect(sfu);
    expect((await c.request('getRouterRtpCapabilities', {})).ok).toBe(true);
    c.close();
    const last = memory.at(-1)!;
    expect(heapAfterGc() - firstHeap, `heap ${last.heapMB} MB`).toBeLessThan(MEMORY_BOUND_BYTES);
    expect(rssOf(sfu.pool.workers[0]!.worker.pid) - firstRss).toBeLessThan(MEMORY_BOUND_BYTES);
  }, 1_200_000);
});
