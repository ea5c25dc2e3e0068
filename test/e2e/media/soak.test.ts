/**
 * Two minutes of the churning-call soak (bench/soak/run.ts; the 30-minute run is
 * `scripts/node tsx bench/soak.ts`): three stable Chromium pages, a visitor joining and leaving
 * every 10–20 s, and a stable page losing its network for 5 s. No visitor may fail to join, no
 * leaver may leave an SFU object behind, and no stayer may fail to decrypt a frame from another
 * stayer (REPLAY copies of frames already shown are counted apart: they are not lost frames).
 * Memory trends need the long run; this one checks the behaviour.
 */
import { describe, expect, it } from 'vitest';
import { runSoak } from '../../../bench/soak/run.js';

const SEED = Number(process.env.SOAK_SEED ?? 1203);

describe('soak (2 minutes)', () => {
  it(`churn and a network drop leave nothing behind and lose no frame (seed ${SEED})`, async () => {
    // At least three visitors and one drop however long they take on a slow machine (CI once fit
    // only two visitors into two minutes, each taking up to 50 s to join).
    const r = await runSoak({
      minutes: 2,
      reportMinutes: 1,
      seed: SEED,
      dropEveryMs: 60_000,
      minVisitors: 3,
      minDrops: 1,
    });
    console.log('soak totals', JSON.stringify({ ...r, rows: undefined }));
    expect(r.joins).toBeGreaterThanOrEqual(3);
    expect(r.joinFailureReasons).toEqual([]);
    expect(r.drops).toBeGreaterThanOrEqual(1);
    expect(r.leaverLeftovers).toBe(0);
    expect(r.undecryptable).toBe(0);
  }, 720_000);
});
