// The server labels every track (camera, screen, microphone), and could show someone's camera as
// their screen share or the reverse. The sender authenticates the source in every frame's SFrame
// AAD; a receiver opens a frame only under the label of the track it was given. Here the server is
// made hostile in-process: it relabels Bob's camera producer as a screen share before Carol
// arrives. Carol gets a "screen" track whose frames all fail as WRONG_LABEL, and is never shown
// Bob's camera as his screen; Alice, who consumed before the lie, still sees his camera.
import { describe, expect, it } from 'vitest';
import { diagnostics, mediaStats } from '../../../calltest/app.js';
import { aliceAndBob, join, useTappedCall } from './support/participants.js';

const call = useTappedCall();
const cast = call.cast;

describe('source labels bound end to end', () => {
  it('a camera the server relabels as a screen share is refused (WRONG_LABEL), never shown', async () => {
    const { alice, bob, link } = await aliceAndBob(call);

    const room = [...call.sfu.server.sfu.registry.rooms.values()][0]!;
    const camera = [...room.peers.get(bob.peerId!)!.producers.values()].find(
      (p) => p.appData.source === 'camera',
    )!;
    camera.appData.source = 'screen'; // the lie, told to whoever consumes from now on

    const carol = await cast.person('Carol', 'blue');
    await join(carol, link);
    await expect
      .poll(
        async () => {
          const bobAtCarol = (await diagnostics(carol.page)).senders.find(
            (s) => s.peerId === bob.peerId,
          );
          return {
            sources: [...(bobAtCarol?.sources ?? [])].sort(),
            wrongLabel: (bobAtCarol?.failuresByReason.WRONG_LABEL ?? 0) > 20,
          };
        },
        { timeout: 30_000 },
      )
      .toEqual({ sources: ['microphone', 'screen'], wrongLabel: true });
    const bobAtCarol = (await diagnostics(carol.page)).senders.find(
      (s) => s.peerId === bob.peerId,
    )!;
    expect(bobAtCarol.framesDecrypted).toBeGreaterThan(0); // his microphone is fine
    const screenFeed = (await mediaStats(carol.page)).find(
      (f) => f.peerId === bob.peerId && f.source === 'screen',
    )!;
    expect(screenFeed.framesDecoded).toBe(0); // not one camera frame shown as his screen
    console.log(
      `Bob's camera relabelled as screen: Carol refused ${bobAtCarol.failuresByReason.WRONG_LABEL} frames as WRONG_LABEL, decoded ${screenFeed.framesDecoded}`,
    );
    // Alice consumed before the lie: her camera track of Bob still decrypts and plays
    const bobAtAlice = (await mediaStats(alice.page)).find(
      (f) => f.peerId === bob.peerId && f.source === 'camera',
    )!;
    expect(bobAtAlice.framesDecoded).toBeGreaterThan(0);
  });
});
