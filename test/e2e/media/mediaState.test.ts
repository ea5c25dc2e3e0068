// Mute and camera-off on the sender's word, not the server's. Bob's client announces which of its
// sources are on in its MLS application messages; Alice's page shows that, and when the server
// itself pauses Bob's camera (something only the server can do: here it is made hostile in-process,
// mediasoup's own producer.pause()), she does not see "Bob turned his camera off" but "camera on,
// but the server is not forwarding it".
import { describe, expect, it } from 'vitest';
import { diagnostics } from '../../../calltest/app.js';
import { screenshot } from '../harness/screenshots.js';
import { aliceAndBob, useTappedCall, type Person } from './support/participants.js';

const call = useTappedCall();

/** Bob's sources as Alice's page shows them (diagnostics: on, by whom, withheld). */
async function bobAtAlice(alice: Person, bob: Person) {
  const d = await diagnostics(alice.page);
  return d.senders.find((s) => s.peerId === bob.peerId)?.media ?? null;
}

/** Bob's producer of `source`, on the server: what only a hostile server would touch. */
function serverProducer(bob: Person, source: string) {
  for (const room of call.sfu.server.sfu.registry.rooms.values()) {
    const peer = room.peers.get(bob.peerId!);
    if (!peer) continue;
    for (const p of peer.producers.values()) if (p.appData.source === source) return p;
  }
  throw new Error(`no ${source} producer of Bob on the server`);
}

describe('media state announced end to end', () => {
  let alice: Person;
  let bob: Person;

  it("shows Bob's own word for his microphone and camera", async () => {
    ({ alice, bob } = await aliceAndBob(call));
    await expect
      .poll(() => bobAtAlice(alice, bob), { timeout: 20_000 })
      .toMatchObject({
        microphone: { on: true, by: 'sender', withheld: false },
        camera: { on: true, by: 'sender', withheld: false },
        screen: { on: false, by: 'sender', withheld: false },
      });

    await bob.page.locator('[data-test=control-mic]').click();
    await expect
      .poll(() => bobAtAlice(alice, bob), { timeout: 10_000 })
      .toMatchObject({ microphone: { on: false, by: 'sender', withheld: false } });
    const tile = alice.page.locator(`[data-test=tile][data-peer="${bob.peerId}"]`).first();
    await expect.poll(() => tile.getAttribute('aria-label')).toContain('microphone off');
    expect(await tile.locator('[data-test=tile-media-note]').count()).toBe(0);
  });

  it('a camera the server pauses on its own shows as withheld by the server, not as off', async () => {
    const camera = serverProducer(bob, 'camera');
    await camera.pause(); // the server's doing: Bob's client still sends and says "on"
    const tile = alice.page.locator(`[data-test=tile][data-peer="${bob.peerId}"]`).first();
    const note = tile.locator('[data-test=tile-media-note]');
    await note.waitFor({ timeout: 15_000 });
    expect(await note.innerText()).toBe('Camera on, but the server is not forwarding it');
    expect(await bobAtAlice(alice, bob)).toMatchObject({
      camera: { on: true, by: 'sender', withheld: true },
    });
    // no picture to show, but not "camera off": that would put the server's act in Bob's name
    expect(await tile.getAttribute('aria-label')).not.toContain('camera off');
    await screenshot(alice.page, 'media-withheld-by-server');

    await camera.resume();
    await note.waitFor({ state: 'detached', timeout: 15_000 });
    expect(await bobAtAlice(alice, bob)).toMatchObject({
      camera: { on: true, by: 'sender', withheld: false },
    });
  });

  it('Bob turning his camera off is his own word: off, with no note', async () => {
    await bob.page.locator('[data-test=control-camera]').click();
    await expect
      .poll(() => bobAtAlice(alice, bob), { timeout: 10_000 })
      .toMatchObject({ camera: { on: false, by: 'sender', withheld: false } });
    const tile = alice.page.locator(`[data-test=tile][data-peer="${bob.peerId}"]`).first();
    await expect.poll(() => tile.getAttribute('aria-label')).toContain('camera off');
    // past the grace in which a pause and the announcement may still cross
    await alice.page.waitForTimeout(3500);
    expect(await tile.locator('[data-test=tile-media-note]').count()).toBe(0);
  });
});
