// A call on MLS (the default; the page opened with `?keys=mls` to say so) in real Chromium. Two and then
// three people each see and hear every other sender's own picture, which the frame worker
// decrypted with SFrame keys from the MLS exporter; when one leaves, the other two commit her
// Remove and still see each other on the new epoch. Every page shows the same MLS room code, in its
// header (the first group) and its security panel (all four).
import { describe, expect, it } from 'vitest';
import { createRoomLink, waitForCall } from '../../../calltest/app.js';
import { seesAndHears, waitToSeeAndHear } from '../../../calltest/media/perception.js';
import { join, useTappedCall, type Person } from './support/participants.js';

const call = useTappedCall();
const cast = call.cast;

function onMls(link: string): string {
  const [base, secret] = link.split('#');
  return `${base}?keys=mls#${secret}`;
}

async function expectEveryoneSeesAndHearsEveryone(people: readonly Person[]): Promise<void> {
  for (const receiver of people) {
    const others = people.filter((p) => p !== receiver);
    const seen = await waitToSeeAndHear(receiver.page, others);
    for (const [j, p] of seen.entries())
      expect(seesAndHears(p, others[j]!.colour), `${receiver.name} ← ${others[j]!.name}`).toBe(
        true,
      );
  }
}

/** The MLS room code each page's model holds. */
async function roomCodes(people: readonly Person[]): Promise<(string | null)[]> {
  return Promise.all(
    people.map((p) => p.page.evaluate(() => window.__blindcall?.roomCode ?? null)),
  );
}

describe('a call on MLS', () => {
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let link: string;

  it('two, then three people see and hear each other on MLS keys, with one room code', async () => {
    alice = await cast.person('Alice Redfern', 'red');
    bob = await cast.person('Bob Greenhalgh', 'green');
    link = onMls(await createRoomLink(alice.page, call.sfu.server.url));
    await join(alice, link);
    await join(bob, link);
    await Promise.all([waitForCall(alice.page, 1), waitForCall(bob.page, 1)]);
    await expectEveryoneSeesAndHearsEveryone([alice, bob]);

    carol = await cast.person('Carol Blaumann', 'blue');
    await join(carol, link);
    await Promise.all([alice, bob, carol].map((p) => waitForCall(p.page, 2)));
    await expectEveryoneSeesAndHearsEveryone([alice, bob, carol]);
    const codes = await roomCodes([alice, bob, carol]);
    expect(codes[0]).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
    expect(new Set(codes).size).toBe(1);
    const page = carol.page;
    expect(await page.locator('[data-test=header-code]').textContent()).toContain(
      codes[0]!.slice(0, 5),
    );
    await page.locator('[data-test=control-security]').click();
    expect(await page.locator('[data-test=security-digits]').innerText()).toBe(codes[0]);
    await page.locator('[data-test=control-security]').click();
  });

  it('after one leaves, the others commit her removal and still see each other', async () => {
    const before = (await roomCodes([alice]))[0];
    await cast.remove(carol);
    await Promise.all([waitForCall(alice.page, 1), waitForCall(bob.page, 1)]);
    await expect
      .poll(async () => (await roomCodes([alice]))[0], { timeout: 20_000 })
      .not.toBe(before);
    await expect
      .poll(async () => new Set(await roomCodes([alice, bob])).size, { timeout: 20_000 })
      .toBe(1);
    await expectEveryoneSeesAndHearsEveryone([alice, bob]);
  });
});
