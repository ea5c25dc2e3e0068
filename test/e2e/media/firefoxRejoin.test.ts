// Three people, two browsers: Chromium, Firefox (its own generated fake camera) and Chromium.
// Firefox leaves and rejoins; the two who stay never see an undecryptable frame, and the
// rejoined Firefox, with a new worker and new keys, decrypts both of them again.
import { describe, expect, it } from 'vitest';
import { sleep } from '../../../calltest/browsers/driver.js';
import {
  createRoomLink,
  diagnostics,
  liveFeeds,
  waitForCall,
  waitForDiagnostics,
} from '../../../calltest/app.js';
import { joinAs, useMixedCast, type Participant } from './support/mixedCast.js';
import { useTappedCall } from './support/participants.js';

const call = useTappedCall();
const cast = useMixedCast(call);

/** Remote video feeds of `p` whose decoded frame count grows, by peer id. */
async function liveVideoFrom(p: Participant): Promise<string[]> {
  return (await liveFeeds(p.driver, 2000))
    .filter((f) => f.kind === 'video')
    .map((f) => f.peerId)
    .sort();
}

describe('Chromium + Firefox + Chromium, Firefox leaves and rejoins', () => {
  // The two who stay are judged from a baseline taken once all three decrypt each other: frames
  // of the first joins may be dropped as UNKNOWN_KID (see firefox.test.ts, two-way), the leave
  // and the rejoin must add no undecryptable frame between the stayers, and the rejoined
  // Firefox's own frames may only have join-window drops (UNKNOWN_KID) at them.
  // A REPLAY drop is not an undecryptable frame: it is a second copy of a (KID, counter) that was
  // already decrypted and shown (a sender never reuses a counter), which the replay window
  // refuses. They are printed, not counted. Until 2026-12-02 a counter older than the replay window
  // was reported as REPLAY too; that is TOO_OLD now, a lost frame, and it is counted. (One CI
  // rehearsal on a loaded machine had REPLAY drops at a stayer from the rejoined Firefox, under the
  // old, mixed code; 16 runs since under a parallel typecheck + lint loop showed no TOO_OLD and
  // one pair of REPLAY copies, between two Chromiums.)
  it('stayers decrypt every frame; the rejoined Firefox decrypts again; Firefox’s generated camera advances', async () => {
    const alice = await cast.chromium('Alice', 'red');
    const frida = await cast.firefox('Frida', { probe: { audio: false } });
    const bob = await cast.chromium('Bob', 'green');
    const link = await createRoomLink(alice.person!.page, call.sfu.server.url);
    await joinAs(alice, link);
    await joinAs(frida, link);
    await joinAs(bob, link);
    await Promise.all([alice, frida, bob].map((p) => waitForCall(p.driver, 2)));
    console.log('step: all three in the call');
    const ids = (ps: Participant[]): string[] => ps.map((p) => p.peerId!).sort();
    await expect.poll(() => liveVideoFrom(alice), { timeout: 30_000 }).toEqual(ids([frida, bob]));
    await expect.poll(() => liveVideoFrom(bob), { timeout: 30_000 }).toEqual(ids([alice, frida]));
    await expect.poll(() => liveVideoFrom(frida), { timeout: 30_000 }).toEqual(ids([alice, bob]));
    console.log('step: all see live video');
    const firstFrida = frida.peerId!;
    await sleep(3500); // frames waiting for a key are dropped after 3 s (FramePipe KEY_WAIT_MS)
    /** Frames `p` could not decrypt from `from`: every drop but REPLAY copies. */
    const failuresFrom = async (p: Participant, from: Participant): Promise<number> => {
      const s = (await diagnostics(p.driver)).senders.find((x) => x.peerId === from.peerId);
      return Object.entries(s?.failuresByReason ?? {})
        .filter(([reason]) => reason !== 'REPLAY')
        .reduce((sum, [, n]) => sum + n, 0);
    };
    const baseline = [await failuresFrom(alice, bob), await failuresFrom(bob, alice)];

    await frida.driver.click('[data-test=control-leave]');
    for (const p of [alice, bob]) {
      await waitForDiagnostics(p.driver, (d) => d.senders.every((s) => s.peerId !== firstFrida), {
        what: `${p.name} without Frida`,
      });
    }
    console.log('step: Frida left');
    await joinAs(frida, { rejoin: true });
    expect(frida.peerId).not.toBe(firstFrida);
    await Promise.all([alice, frida, bob].map((p) => waitForCall(p.driver, 2)));
    await expect.poll(() => liveVideoFrom(frida), { timeout: 30_000 }).toEqual(ids([alice, bob]));
    await expect.poll(() => liveVideoFrom(alice), { timeout: 30_000 }).toEqual(ids([frida, bob]));
    await expect.poll(() => liveVideoFrom(bob), { timeout: 30_000 }).toEqual(ids([alice, frida]));

    console.log('step: rejoined, all see live video');
    const rows: string[] = [];
    for (const p of [alice, bob, frida]) {
      const d = await diagnostics(p.driver);
      for (const s of d.senders) {
        const from = [alice, bob, frida].find((x) => x.peerId === s.peerId)?.name ?? s.peerId;
        rows.push(
          `${p.name} ← ${from}: ${s.framesDecrypted} decrypted, ${JSON.stringify(s.failuresByReason)} dropped`,
        );
        if (p !== frida && s.peerId === frida.peerId)
          expect(
            Object.keys(s.failuresByReason).filter((r) => r !== 'UNKNOWN_KID' && r !== 'REPLAY'),
          ).toEqual([]);
        expect(s.framesDecrypted).toBeGreaterThan(0);
      }
    }
    console.log(
      `stayers' drops from each other at the baseline: ${baseline.join(', ')}\n${rows.join('\n')}`,
    );
    expect(
      [await failuresFrom(alice, bob), await failuresFrom(bob, alice)],
      'undecryptable frames between the stayers, Alice ← Bob and Bob ← Alice',
    ).toEqual(baseline);
  }, 420_000);
});
