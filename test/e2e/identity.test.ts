// The device identity lives in IndexedDB between calls: pairwise codes stay the same when someone
// comes back, a verification is remembered, and "forget this device's identity" starts afresh.
// Pairwise codes belong to the pairwise key protocol, so this call runs on it (`?keys=pairwise`)
// until that protocol is removed.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useCallFixture } from './harness/callFixture.js';
import { createRoomLink, joinCall, waitForCall, waitForDiagnostics } from '../../calltest/app.js';

const env = useCallFixture();

async function pairwiseCode(page: Page): Promise<string> {
  const code = page.locator('[data-test=security-peer] [data-test=pairwise-code]');
  await code.waitFor();
  return (await code.textContent())!.trim();
}

async function leaveAndReturn(page: Page): Promise<void> {
  await page.locator('[data-test=control-leave]').click();
  await page.locator('[data-test=rejoin]').click();
  await page.locator('[data-test=prejoin]').waitFor();
}

describe('device identity', () => {
  it('keeps pairwise codes and verification across calls, until the identity is forgotten', async () => {
    const a = await env.openPage();
    const b = await env.openPage();
    const alice = a.page;
    const bob = b.page;
    const [base, secret] = (await createRoomLink(alice, env.sfu.url)).split('#');
    const link = `${base}?keys=pairwise#${secret}`;
    await joinCall(alice, link, 'Alice');
    await joinCall(bob, link, 'Bob');
    const [start] = await Promise.all([waitForCall(alice, 1), waitForCall(bob, 1)]);

    await alice.locator('[data-test=control-security]').click();
    await bob.locator('[data-test=control-security]').click();
    const first = await pairwiseCode(alice);
    expect(await pairwiseCode(bob)).toBe(first);
    await alice.locator('[data-test=verify]').check();
    await waitForDiagnostics(alice, (d) => d.senders[0]?.verified === true, {
      what: 'Bob verified',
    });

    // Bob comes back (same browser, same identity): same code, and still verified for Alice.
    await leaveAndReturn(bob);
    await bob.locator('[data-test=join]').click();
    const back = await waitForCall(alice, 1);
    await waitForDiagnostics(alice, (d) => d.senders[0]?.verified === true, {
      what: 'Bob verified again',
    });
    expect(await pairwiseCode(alice)).toBe(first);
    expect(back.senders[0]!.peerId).not.toBe(start.senders[0]!.peerId); // a new join, a new peer id

    // Bob forgets this device's identity: a new code, and Alice must verify again.
    await leaveAndReturn(bob);
    await bob.locator('details summary').click();
    await bob.locator('[data-test=forget-identity]').click();
    await bob.locator('[data-test=forget-identity-confirm]').click();
    await bob.locator('[data-test=toast]').filter({ hasText: 'forgotten' }).waitFor();
    await bob.locator('[data-test=join]').click();
    await waitForCall(alice, 1);
    await expect.poll(() => pairwiseCode(alice), { timeout: 15_000 }).not.toBe(first);
    const after = await waitForDiagnostics(
      alice,
      (d) => d.senders.length === 1 && d.senders[0]!.inRoster,
    );
    expect(after.senders[0]!.verified).toBe(false);
    expect(await alice.locator('[data-test=verify]').isChecked()).toBe(false);
  });
});
