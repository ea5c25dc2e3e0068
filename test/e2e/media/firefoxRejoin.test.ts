// Three people, two browsers: Chromium, Firefox (its own generated fake camera) and Chromium.
// Firefox leaves and rejoins; the two who stay never see an undecryptable frame, and the
// rejoined Firefox, with a new worker and new keys, decrypts both of them again.
import { describe, expect, it } from 'vitest';
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
  // SKIPPED, unfinished. The rejoin now goes through the Rejoin button (a goto() to the same link
  // was only a fragment change, so no pre-join page came). In the one run since (2026-12-01, load
  // average 30–50 from other work on this 2-core machine) the three-way call, the leave and the
  // rejoin passed and the rejoined Firefox saw both others live, but Alice's page then showed no
  // advancing remote video for 30 s. Not yet run on a quiet machine; the cause is not known.
  it.skip('stayers decrypt every frame; the rejoined Firefox decrypts again; Firefox’s generated camera advances', async () => {
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
        if (p !== frida)
          expect(s.failures, `undecryptable frames at ${p.name} from ${from}`).toBe(0);
        expect(s.framesDecrypted).toBeGreaterThan(0);
      }
    }
    console.log(rows.join('\n'));
  }, 420_000);
});
