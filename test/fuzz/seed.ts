/**
 * Seeds for the fuzzers (fast-check). Every fuzz run prints its seed; `FUZZ_SEED=<n>` replays a run
 * exactly (together with the same code), and `FUZZ_SCALE=<x>` multiplies the message counts, e.g.
 * 0.1 for a quick local check or 10 for a longer hunt.
 */
import { randomInt } from 'node:crypto';

/** The seed from FUZZ_SEED, or a fresh one; printed either way so a failure names it. */
export function fuzzSeed(name: string): number {
  const raw = process.env.FUZZ_SEED;
  let seed: number;
  if (raw !== undefined && raw !== '') {
    seed = Number(raw);
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0x7fffffff)
      throw new Error(`FUZZ_SEED must be an integer 0..2147483647, got "${raw}"`);
  } else {
    seed = randomInt(0x7fffffff);
  }
  console.log(`[fuzz] ${name}: seed ${seed} (replay with FUZZ_SEED=${seed})`);
  return seed;
}

/** `n` scaled by FUZZ_SCALE (default 1), at least 1. */
export function fuzzScale(n: number): number {
  const raw = process.env.FUZZ_SCALE;
  const scale = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!(scale > 0)) throw new Error(`FUZZ_SCALE must be a positive number, got "${raw}"`);
  return Math.max(1, Math.round(n * scale));
}

/** A small deterministic PRNG (xorshift32) for filler bytes; not for anything secret. */
export function fillBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Prints rows as an aligned table. */
export function printTable(title: string, rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((s, i) => s.padEnd(width[i]!)).join(' | ')} |`;
  const out = [title, line(cols), line(width.map((w) => '-'.repeat(w)))];
  for (const r of rows) out.push(line(cols.map((c) => String(r[c]))));
  console.log(out.join('\n'));
}
