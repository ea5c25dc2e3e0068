// The call header's security state, as a person sees it: "Encrypted · not verified" until they
// compare fingerprints, "everyone verified" once they did, and a warning naming who the server
// said sent a forged key message (here the server is made hostile in-process and sends Alice a
// garbled MLS message "from Bob"). Screenshots of each state go to test-results/screenshots.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { waitForDiagnostics } from '../../../calltest/app.js';
import { screenshot } from '../harness/screenshots.js';
import { aliceAndBob, useTappedCall, type Person } from './support/participants.js';

const call = useTappedCall();

function headerState(p: Person): Promise<string | null> {
  return p.page.locator('[data-test=call-state]').getAttribute('data-security');
}

describe('the header says how far the call can be trusted', () => {
  let alice: Person;
  let bob: Person;

  it('not verified, until Alice compares and checks Bob: then everyone verified', async () => {
    ({ alice, bob } = await aliceAndBob(call));
    await expect.poll(() => headerState(alice), { timeout: 10_000 }).toBe('unverified');
    expect(await alice.page.locator('[data-test=call-state]').innerText()).toContain(
      'not verified',
    );
    console.log(`unverified: ${await screenshot(alice.page, 'header-unverified')}`);

    await alice.page.locator('[data-test=control-security]').click();
    await alice.page.locator('[data-test=verify]').check();
    await waitForDiagnostics(alice.page, (d) => d.senders[0]?.verified === true, {
      what: 'Bob verified',
    });
    await alice.page.locator('[data-test=control-security]').click();
    await expect.poll(() => headerState(alice)).toBe('verified');
    expect(await alice.page.locator('[data-test=call-state]').innerText()).toContain(
      'everyone verified',
    );
    console.log(`verified: ${await screenshot(alice.page, 'header-verified')}`);
  });

  it('a forged key message the server relays "from Bob" turns it into a warning that names him', async () => {
    const room = [...call.sfu.server.sfu.registry.rooms.values()][0]!;
    const aliceOnServer = room.peers.get(alice.peerId!)!;
    aliceOnServer.notify('mlsMessage', { envelope: randomBytes(300), from: bob.peerId! });
    await expect.poll(() => headerState(alice), { timeout: 10_000 }).toBe('warning');
    const state = alice.page.locator('[data-test=call-state]');
    expect(await state.textContent()).toContain(
      'Bob sent a key message that fails authentication or does not parse',
    );
    console.log(`warning: ${await screenshot(alice.page, 'header-warning')}`);
    // Bob's own header is not affected: the forgery went to Alice only
    expect(await headerState(bob)).toBe('unverified');
  });
});
