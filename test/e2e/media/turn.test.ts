// An encrypted call through TURN only: a real coturn started on free loopback ports
// (test/integration/harness/coturn.ts: private and loopback peers denied, only the SFU's
// 127.0.0.1 allowed back in), an SFU with TURN_URLS/TURN_SECRET, and two Chromium pages that
// open the invite link with `?ice=relay`, so their transports may use relay candidates only.
// Each sees the other's own picture and hears the beeps, frames are encrypted and decrypted,
// and every connection's selected candidate pair is a relay candidate talking to the SFU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoomLink, diagnostics, waitForCall } from '../../../calltest/app.js';
import { seesAndHears, waitToSeeAndHear } from '../../../calltest/media/perception.js';
import { startCoturn, type Coturn } from '../../integration/harness/coturn.js';
import { ensureWebBuild, startSfu, type TestSfu } from '../harness/servers.js';
import { iceProbeScript, selectedPairs, type SelectedPair } from './support/iceProbe.js';
import { Cast, join, type Person } from './support/participants.js';

const cast = new Cast();
let coturn: Coturn;
let sfu: TestSfu;

beforeAll(async () => {
  ensureWebBuild();
  coturn = await startCoturn();
  sfu = await startSfu({
    env: { TURN_URLS: coturn.urls.join(','), TURN_SECRET: coturn.secret },
  });
});
afterAll(async () => {
  await cast.closeAll();
  await sfu?.close();
  await coturn?.close();
});

/** The invite link with `?ice=relay` before the fragment (the room secret stays in the `#`). */
function relayOnly(link: string): string {
  const url = new URL(link);
  url.searchParams.set('ice', 'relay');
  return url.toString();
}

async function waitForRelayPairs(p: Person): Promise<SelectedPair[]> {
  const deadline = Date.now() + 30_000;
  let pairs: SelectedPair[] = [];
  while (Date.now() < deadline) {
    pairs = await selectedPairs(p.page);
    if (pairs.length >= 2 && pairs.every((x) => x.localType !== null && x.bytesReceived > 0))
      return pairs;
    await p.page.waitForTimeout(250);
  }
  return pairs;
}

describe('a call through TURN (iceTransportPolicy relay)', () => {
  it('two people see and hear each other through coturn, encrypted, on relay candidates only', async () => {
    const alice = await cast.person('Alice Redfern', 'red', { initScripts: [iceProbeScript()] });
    const bob = await cast.person('Bob Greenhalgh', 'green', { initScripts: [iceProbeScript()] });
    const link = relayOnly(await createRoomLink(alice.page, sfu.url));
    expect(new URL(link).hash.length).toBeGreaterThan(1);
    await join(alice, link);
    await join(bob, link);
    await Promise.all([waitForCall(alice.page, 1), waitForCall(bob.page, 1)]);

    const [aliceSees, bobSees] = await Promise.all([
      waitToSeeAndHear(alice.page, [bob]),
      waitToSeeAndHear(bob.page, [alice]),
    ]);
    console.log(`through TURN: Alice perceives ${JSON.stringify(aliceSees)}`);
    console.log(`through TURN: Bob perceives ${JSON.stringify(bobSees)}`);
    expect(seesAndHears(aliceSees[0]!, 'green'), 'Alice ← Bob').toBe(true);
    expect(seesAndHears(bobSees[0]!, 'red'), 'Bob ← Alice').toBe(true);

    // Encrypted end to end: each encrypted its own frames and decrypted the other's.
    for (const [p, other] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      const d = await diagnostics(p.page);
      expect(d.local.framesEncrypted, `${p.name} encrypts`).toBeGreaterThan(0);
      const sender = d.senders.find((s) => s.peerId === other.peerId);
      expect(sender?.framesDecrypted, `${p.name} decrypts ${other.name}`).toBeGreaterThan(0);
    }

    // Every connection (send and receive) took a relay pair to the SFU's WebRTC port.
    for (const p of [alice, bob]) {
      const pairs = await waitForRelayPairs(p);
      console.log(`${p.name}'s selected pairs: ${JSON.stringify(pairs)}`);
      expect(pairs.length, `${p.name}'s connections`).toBeGreaterThanOrEqual(2);
      for (const pair of pairs) {
        expect(pair).toMatchObject({
          policy: 'relay',
          turnServers: 1,
          connectionState: 'connected',
          localType: 'relay',
          localAddress: '127.0.0.1',
          remoteAddress: '127.0.0.1',
          remotePort: sfu.rtcPort,
        });
        expect(pair.bytesReceived).toBeGreaterThan(0);
      }
    }
  });
});
