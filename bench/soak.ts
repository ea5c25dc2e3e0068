/**
 * Soak: a churning call in real Chromium against a real SFU, for a long time, with its figures
 * printed. Not part of the default `npm run bench`; `npm test` runs two minutes of it
 * (test/e2e/media/soak.test.ts).
 *
 *   npx tsx bench/soak.ts [--minutes 30] [--report-minutes 5] [--seed N]
 *
 * Three stable pages stay in one call; every 10–20 s one more page joins, waits until it
 * decrypts everyone, stays a few seconds and leaves (its SFU objects must then be gone); every
 * few minutes one stable page loses its network for 5 s and rejoins on its own. Every report
 * period it prints the SFU's RSS and heap, the worker's RSS, open objects (/metrics and
 * mediasoup's dump()), each stable page's JS heap, stayer-to-stayer frames that could not be
 * decrypted, REPLAY copies (second copies of frames already shown, which are not lost frames: see
 * soak/sampler.ts) and the longest freeze (a stayer's frames not arriving at another stayer, drop
 * recoveries excluded). The engine is soak/run.ts.
 */
import { runSoak } from './soak/run.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!(v > 0)) throw new Error(`--${name} needs a positive number`);
  return v;
}

const result = await runSoak({
  minutes: arg('minutes', 30),
  reportMinutes: arg('report-minutes', 5),
  seed: arg('seed', Date.now() % 2 ** 31),
});
console.log('soak totals', JSON.stringify({ ...result, rows: undefined }));
