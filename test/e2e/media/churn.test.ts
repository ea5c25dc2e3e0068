// Churn: while Alice and Bob stay in a call, Carol joins and leaves ten times (each join a fresh
// page load: a new peer, new keys, a rekey for the stayers on every leave). What the stayers see
// of each other is measured in their pages (requestVideoFrameCallback timestamps): every stream a
// stayer receives must decrypt without a single failure, the picture must still be the other's,
// and it must never stop for good. Every freeze over one second is reported with the picture
// widths around it (a change: a simulcast failover), but fails the test only beyond
// MAX_FREEZE_MS, because tests carry no wall-clock thresholds beyond generous ones.
//
// The pages' media probe does not listen to audio here (the churn checks video only): its
// ScriptProcessor wakes each page's main thread every 256 samples (~190 times a second) per remote
// stream, which on this 2-core machine, with three pages and the SFU, starved the very pictures
// being measured. Measured here: with it listening, 25 of 33 runs had no freeze over 1 s and the
// others froze for 1.0–1.5 s; without, 31 of 32 runs had no freeze over 1 s (longest gaps 300–933
// ms) and one froze for 1,017 ms. What remains are simulcast failovers: when the stayers start
// receiving the newcomer, Chrome's uplink estimate in both stayers' browsers can fall from ~1
// Mbit/s to ~150 kbit/s at once, with no packet loss, and Chrome stops their 320 px layer; the SFU
// moves the receivers to 160 px (LayerWatch, keyFrameNeeded) within 500–1,000 ms. In six joins of a
// newcomer who sent no video, that happened once, in one stayer.
//
// Each page's own camera preview is followed the same way, as a control: a remote freeze during
// which the page itself presented nothing is CPU starvation of that page, reported but not held
// against the call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRoomLink,
  diagnostics,
  joinCall,
  waitForCall,
  waitForDiagnostics,
  type Diagnostics,
} from '../../../calltest/app.js';
import { ensureWebBuild, startSfu, type TestSfu } from '../harness/servers.js';
import {
  pictureCheck,
  probeReport,
  resetProbe,
  type ProbeReport,
} from '../../../calltest/media/mediaProbe.js';
import { Cast, join, type Person } from './support/participants.js';

const CYCLES = 10;
/** A freeze this long means the picture did not come back by itself: a failure on any machine. */
const MAX_FREEZE_MS = 5000;

/** The churn checks video only; listening to audio would cost each page an AudioContext. */
const QUIET = { probe: { audio: false } } as const;

let sfu: TestSfu;
const cast = new Cast();

beforeAll(async () => {
  ensureWebBuild();
  sfu = await startSfu();
});

afterAll(async () => {
  await cast.closeAll();
  await sfu?.close();
});

/** Decrypt failures per sender at `d`, keyed by sender peer id. */
function failuresBySender(d: Diagnostics): Map<string, number> {
  return new Map(d.senders.map((s) => [s.peerId, s.failures]));
}

interface Freeze {
  readonly ms: number;
  readonly end: number;
  /** Picture width before → after (a change: a simulcast layer switch). */
  readonly widths: string;
  /** The page's own camera preview also presented no frame for at least half of this time. */
  readonly pageStalled: boolean;
}

/** Gaps over one second in `peerId`'s camera, each checked against the self-view's gaps. */
function freezes(report: ProbeReport, peerId: string): Freeze[] {
  const remote = report.video.find((v) => v.peerId === peerId && v.source === 'camera');
  const self = report.video.find((v) => v.peerId === 'self' && v.source === 'camera');
  return (remote?.longGaps ?? [])
    .filter(([a, b]) => b - a > 1000)
    .map(([a, b, w0, w1]) => {
      const overlap = (self?.longGaps ?? []).reduce(
        (n, [c, d]) => n + Math.max(0, Math.min(b, d) - Math.max(a, c)),
        0,
      );
      return {
        ms: Math.round(b - a),
        end: b,
        widths: `${w0}→${w1}`,
        pageStalled: overlap >= (b - a) / 2,
      };
    });
}

describe('churn', () => {
  it(`a third person joins and leaves ${CYCLES} times: the two who stay never fail to decrypt, and their pictures always come back`, async () => {
    const alice = await cast.person('Alice', 'red', QUIET);
    const bob = await cast.person('Bob', 'green', QUIET);
    const carol: Person = await cast.person('Carol', 'blue', QUIET);
    const link = await createRoomLink(alice.page, sfu.url);
    await join(alice, link);
    await join(bob, link);
    await Promise.all([waitForCall(alice.page, 1), waitForCall(bob.page, 1)]);
    // Settle before the baseline: frames sent before the two had each other's keys wait up to 3 s
    // in the frame worker for a key that may never come (a key the sender ratcheted away from
    // before the other could receive it), and only then count as failures.
    await alice.page.waitForTimeout(3500);
    const start = Date.now();
    await Promise.all([resetProbe(alice.page), resetProbe(bob.page)]);
    const [a0, b0] = await Promise.all([diagnostics(alice.page), diagnostics(bob.page)]);
    /**
     * Failures from before the churn (the first join of the two, see the report) are the
     * baseline; the churn must add none.
     */
    const baseline = new Map([
      ['Alice ← Bob', failuresBySender(a0).get(bob.peerId!) ?? 0],
      ['Bob ← Alice', failuresBySender(b0).get(alice.peerId!) ?? 0],
    ]);

    /** Most failures added during the churn per "receiver ← sender". */
    const worst = new Map<string, number>();
    const note = (who: string, d: Diagnostics): void => {
      for (const [peer, n] of failuresBySender(d)) {
        const name =
          peer === alice.peerId ? 'Alice' : peer === bob.peerId ? 'Bob' : `Carol(${peer})`;
        const key = `${who} ← ${name}`;
        worst.set(key, Math.max(worst.get(key) ?? 0, n - (baseline.get(key) ?? 0)));
      }
    };
    const timings: string[] = [];
    for (let i = 0; i < CYCLES; i++) {
      const t0 = Date.now();
      await carol.page.goto('about:blank');
      await joinCall(carol.page, link, 'Carol');
      const [a, b] = await Promise.all([
        waitForCall(alice.page, 2),
        waitForCall(bob.page, 2),
        waitForCall(carol.page, 2),
      ]);
      const joined = Date.now() - t0;
      note('Alice', a);
      note('Bob', b);
      await carol.page.locator('[data-test=control-leave]').click();
      const [a1, b1] = await Promise.all(
        [alice, bob].map((p) =>
          waitForDiagnostics(p.page, (d) => d.senders.length === 1, {
            what: 'Carol gone',
            timeoutMs: 20_000,
          }),
        ),
      );
      note('Alice', a1!);
      note('Bob', b1!);
      const pair = [
        a1!.senders.find((x) => x.peerId === bob.peerId)?.failuresByReason,
        b1!.senders.find((x) => x.peerId === alice.peerId)?.failuresByReason,
      ];
      timings.push(
        `#${i + 1} at ${Math.round((t0 - start) / 100) / 10} s: in call with keys after ${joined} ms, ` +
          `gone after ${Date.now() - t0 - joined} ms; Alice←Bob, Bob←Alice failures ${JSON.stringify(pair)}`,
      );
    }
    await alice.page.waitForTimeout(1500);
    const [aEnd, bEnd] = await Promise.all([diagnostics(alice.page), diagnostics(bob.page)]);
    note('Alice', aEnd);
    note('Bob', bEnd);
    const [ra, rb] = await Promise.all([probeReport(alice.page), probeReport(bob.page)]);
    const aliceSeesBob = ra.video.find((v) => v.peerId === bob.peerId && v.source === 'camera');
    const bobSeesAlice = rb.video.find((v) => v.peerId === alice.peerId && v.source === 'camera');
    const at = (t: number | null | undefined): string =>
      t ? `${Math.round((t - start) / 100) / 10} s in` : '-';
    const gaps = (v: typeof aliceSeesBob): string =>
      JSON.stringify(
        (v?.longGaps ?? []).map(
          ([s, e, w0, w1]) => `${Math.round(e - s)} ms ${w0}→${w1} (${at(e)})`,
        ),
      );
    const aFreezes = freezes(ra, bob.peerId!);
    const bFreezes = freezes(rb, alice.peerId!);
    const show = (f: Freeze[]): string =>
      JSON.stringify(
        f.map((x) => ({ ms: x.ms, at: at(x.end), widths: x.widths, pageStalled: x.pageStalled })),
      );
    console.log(
      [
        `churn: ${CYCLES} join/leave cycles in ${Math.round((Date.now() - start) / 1000)} s`,
        ...timings,
        `Alice sees Bob: ${aliceSeesBob?.frames} frames, longest gap ${aliceSeesBob?.maxGapMs} ms (${at(aliceSeesBob?.maxGapAt)})`,
        `Bob sees Alice: ${bobSeesAlice?.frames} frames, longest gap ${bobSeesAlice?.maxGapMs} ms (${at(bobSeesAlice?.maxGapAt)})`,
        `freezes over 1 s — Alice sees Bob: ${show(aFreezes)}; Bob sees Alice: ${show(bFreezes)}`,
        `all gaps over 0.5 s — Alice sees Bob: ${gaps(aliceSeesBob)}; Bob sees Alice: ${gaps(bobSeesAlice)}`,
        `decrypt failures before the churn: ${JSON.stringify(Object.fromEntries(baseline))} ` +
          `(Alice ${JSON.stringify(a0.senders[0]?.failuresByReason)}, Bob ${JSON.stringify(b0.senders[0]?.failuresByReason)})`,
        `most decrypt failures added during the churn: ${JSON.stringify(Object.fromEntries(worst))}`,
      ].join('\n'),
    );

    expect(aliceSeesBob?.frames).toBeGreaterThan(100);
    expect(bobSeesAlice?.frames).toBeGreaterThan(100);
    // A freeze of the remote picture while the page's own camera preview was frozen too is the
    // machine starving the page (2 shared cores), not the call: reported above, not counted.
    const counted = (f: Freeze): boolean => !f.pageStalled && f.ms > MAX_FREEZE_MS;
    expect(aFreezes.filter(counted)).toEqual([]);
    expect(bFreezes.filter(counted)).toEqual([]);
    const recent = ra.now - 4000;
    expect(pictureCheck(aliceSeesBob, 'green', recent).colour).toBe('green');
    expect(pictureCheck(bobSeesAlice, 'red', recent).colour).toBe('red');
    // Every stream a stayer receives, the other stayer's and each newcomer's (whose first frames
    // may overtake its key and wait for it in the frame worker), decrypts without a failure.
    for (const [stream, n] of worst) expect(n, stream).toBe(0);
  });
});
