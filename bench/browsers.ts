/**
 * `npx tsx bench/browsers.ts`: per-frame SFrame cost inside the frame worker of Chromium and of
 * Firefox, side by side in one two-person call (Chromium ↔ Firefox) through the real SFU. Prints a
 * table; asserts nothing.
 *
 * Both pages run the app's own worker behind bench/e2e/frameTiming.ts's instrumentation, which
 * times each frame inside the app's transform. The instrumentation starts the worker from a blob,
 * which the client's Content Security Policy forbids (`worker-src 'self'`); Chromium can be told
 * to bypass it, Firefox over WebDriver BiDi cannot. So this benchmark, and only it, serves a copy
 * of the built client with the CSP <meta> removed, to both browsers alike.
 *
 * Clocks: Chromium's worker `performance.now()` is coarsened to 100 µs; Firefox's to 1 ms unless
 * `privacy.reduceTimerPrecision` is off, which this benchmark's Firefox sets (its clock then has
 * microseconds). Means over many frames are comparable; Chromium's medians of small frames are not.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRoomLink, diagnostics, waitForCall } from '../calltest/app.js';
import type { Driver } from '../calltest/browsers/driver.js';
import { ensureWebBuild, startSfu } from '../test/e2e/harness/servers.js';
import { joinAs, MixedCast } from '../test/e2e/media/support/mixedCast.js';
import { Cast } from '../test/e2e/media/support/participants.js';
import { frameCostCells, table } from './e2e/tables.js';
import { frameTimingScript, type FrameTimingStats } from './e2e/frameTiming.js';

const QUICK = process.env.BENCH_QUICK === '1';
/** How long both send after they decrypt each other; the instrumentation keeps the last 4000. */
const WINDOW_MS = QUICK ? 5000 : 20_000;
const SETTLE_MS = 4000;

/** A copy of the built client without its CSP <meta> (see the header), removed on exit. */
function webRootWithoutCsp(): { root: string; remove: () => void } {
  const built = ensureWebBuild();
  const root = mkdtempSync(path.join(tmpdir(), 'blindcall-bench-web-'));
  cpSync(built, root, { recursive: true });
  const index = path.join(root, 'index.html');
  const html = readFileSync(index, 'utf8');
  const stripped = html.replace(/<meta[^>]*http-equiv="Content-Security-Policy"[^>]*>/i, '');
  if (stripped === html) throw new Error('the built index.html has no CSP <meta> to remove');
  writeFileSync(index, stripped);
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

function frameTiming(driver: Driver): Promise<FrameTimingStats[]> {
  return driver.evaluate(
    () =>
      (window as typeof window & { __frameTiming?: () => FrameTimingStats[] }).__frameTiming?.() ??
      [],
  );
}

/** The frames measured between two readings (the instrumentation keeps the last 4000 samples). */
function since(
  before: readonly FrameTimingStats[],
  after: readonly FrameTimingStats[],
): FrameTimingStats[] {
  return after.map((a) => {
    const b = before.find((x) => x.key === a.key);
    const frames = a.frames - (b?.frames ?? 0);
    if (frames > a.samples.length) throw new Error(`${a.key}: more frames than samples kept`);
    return {
      key: a.key,
      frames,
      samples: a.samples.slice(a.samples.length - frames),
      bytesDelta: a.bytesDelta - (b?.bytesDelta ?? 0),
      bytesIn: a.bytesIn - (b?.bytesIn ?? 0),
    };
  });
}

export async function main(): Promise<void> {
  const web = webRootWithoutCsp();
  const sfu = await startSfu({ webRoot: web.root, env: { LOG_LEVEL: 'warn' } });
  const cast = new MixedCast(new Cast());
  const started = Date.now();
  try {
    const measure = frameTimingScript('measure');
    const alice = await cast.chromium('Alice', 'red', [measure]);
    const frida = await cast.firefox('Frida', {
      colour: 'blue',
      initScripts: [measure],
      prefs: { 'privacy.reduceTimerPrecision': false },
    });
    const link = await createRoomLink(alice.person!.page, sfu.url);
    await joinAs(alice, link);
    await joinAs(frida, link);
    await Promise.all([waitForCall(alice.driver, 1), waitForCall(frida.driver, 1)]);
    // Frames that arrive before their key wait in the pipe (up to 3 s, FramePipe's KEY_WAIT_MS),
    // and that wait would count as decrypt time: measure only frames after it.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const before = await Promise.all([frameTiming(alice.driver), frameTiming(frida.driver)]);
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const [da, df] = [await diagnostics(alice.driver), await diagnostics(frida.driver)];
    const versions = [alice.person!.browser.version(), await cast.firefoxVersion(frida)];
    const rows: (string | number)[][] = [];
    for (const [i, name, driver] of [
      [0, `Chromium ${versions[0]}`, alice.driver],
      [1, `Firefox ${versions[1]?.replace(/^firefox\//, '')}`, frida.driver],
    ] as const) {
      const after = await frameTiming(driver);
      for (const s of since(before[i], after).sort((a, b) => a.key.localeCompare(b.key))) {
        const [role, media] = s.key.split('/');
        rows.push([
          name,
          `${role === 'send' ? 'encrypt' : 'decrypt'} ${media}`,
          ...frameCostCells(s.samples, s.frames, s.bytesDelta),
        ]);
      }
    }
    console.log(
      `\nSFrame per frame inside the frame worker, Chromium ↔ Firefox call (${WINDOW_MS / 1000} s after both ` +
        'decrypt each other; time a frame spends in the app’s transform)\n' +
        table(
          [
            'browser',
            'transform',
            'frames',
            'mean µs',
            'p50 µs',
            'p95 µs',
            'p99 µs',
            'bytes out − in',
          ],
          rows,
          2,
        ) +
        `\nframes decrypted: Alice ← Frida ${da.senders[0]?.framesDecrypted ?? 0}, Frida ← Alice ` +
        `${df.senders[0]?.framesDecrypted ?? 0}; dropped: Alice ${JSON.stringify(da.senders[0]?.failuresByReason ?? {})}, ` +
        `Frida ${JSON.stringify(df.senders[0]?.failuresByReason ?? {})}`,
    );
  } finally {
    await cast.closeAll();
    await sfu.close();
    web.remove();
  }
  console.log(`\n(bench/browsers.ts took ${Math.round((Date.now() - started) / 1000)} s)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
