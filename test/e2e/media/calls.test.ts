// Calls of two and three in real Chromium with generated fake cameras (one colour per sender,
// frame number in a stripe) and the fake microphone's beep: every receiver sees every other
// sender's own picture, moving forward, and hears their beeps. Then, on the same call, the
// blind-SFU checks of blindSfu.ts run on what the SFU forwarded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoomLink, waitForCall } from '../harness/call.js';
import { ensureWebBuild } from '../harness/servers.js';
import { seesAndHears, waitToSeeAndHear } from './support/perception.js';
import { Cast, join, startTappedSfu, type Person, type TappedSfu } from './support/participants.js';

let sfu: TappedSfu;
const cast = new Cast();

beforeAll(async () => {
  ensureWebBuild();
  sfu = await startTappedSfu();
});

afterAll(async () => {
  await cast.closeAll();
  await sfu?.close();
});

async function expectEveryoneSeesAndHearsEveryone(people: readonly Person[]): Promise<void> {
  const seen = await Promise.all(
    people.map((receiver) =>
      waitToSeeAndHear(
        receiver.page,
        people.filter((p) => p !== receiver),
      ),
    ),
  );
  for (const [i, receiver] of people.entries()) {
    const others = people.filter((p) => p !== receiver);
    console.log(`${receiver.name} perceives: ${JSON.stringify(seen[i])}`);
    for (const [j, p] of seen[i]!.entries()) {
      expect(p, `${receiver.name} sees and hears ${others[j]!.name}`).toMatchObject({
        colour: others[j]!.colour,
      });
      expect(seesAndHears(p, others[j]!.colour), `${receiver.name} ← ${others[j]!.name}`).toBe(
        true,
      );
    }
  }
}

describe('calls with fake cameras and microphones', () => {
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let link: string;

  it('two people: each sees the other’s picture (colour, advancing frame numbers) and hears the beeps', async () => {
    alice = await cast.person('Alice Redfern', 'red');
    bob = await cast.person('Bob Greenhalgh', 'green');
    link = await createRoomLink(alice.page, sfu.server.url);
    await join(alice, link);
    await join(bob, link);
    await Promise.all([waitForCall(alice.page, 1), waitForCall(bob.page, 1)]);
    await expectEveryoneSeesAndHearsEveryone([alice, bob]);
  });

  it('three people: everyone sees and hears both others', async () => {
    carol = await cast.person('Carol Blaumann', 'blue');
    await join(carol, link);
    await Promise.all([alice, bob, carol].map((p) => waitForCall(p.page, 2)));
    await expectEveryoneSeesAndHearsEveryone([alice, bob, carol]);
  });
});
