// Per-person verification on MLS: each person's security panel shows their own identity
// fingerprint, and everyone else's panel shows that same fingerprint for them (Signal-style: one
// fingerprint per person, not one code per pair). A verification is remembered on the device
// across calls; when someone later joins under a verified contact's name with another identity
// key, a blocking alert explains it before anything else can be done in the call.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createRoomLink, joinCall, waitForCall, waitForDiagnostics } from '../../calltest/app.js';
import { useCallFixture } from './harness/callFixture.js';
import { screenshot } from './harness/screenshots.js';

const env = useCallFixture();

const FINGERPRINT = /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/;

async function ownFingerprint(page: Page): Promise<string> {
  const fp = page.locator('[data-test=own-fingerprint]');
  await fp.waitFor();
  return (await fp.textContent())!.trim();
}

/** The fingerprint `page`'s panel shows for its one other participant. */
async function theirFingerprint(page: Page): Promise<string> {
  const fp = page.locator('[data-test=security-peer] [data-test=fingerprint]');
  await fp.waitFor();
  return (await fp.textContent())!.trim();
}

async function leaveAndReturn(page: Page): Promise<void> {
  await page.locator('[data-test=control-leave]').click();
  await page.locator('[data-test=rejoin]').click();
  await page.locator('[data-test=prejoin]').waitFor();
}

describe('identity fingerprints (MLS)', () => {
  it('shows each person’s own fingerprint to everyone, remembers a verification, and blocks on a changed identity', async () => {
    const alice = (await env.openPage()).page;
    const bob = (await env.openPage()).page;
    const link = await createRoomLink(alice, env.sfu.url);
    await joinCall(alice, link, 'Alice');
    await joinCall(bob, link, 'Bob');
    await Promise.all([waitForCall(alice, 1), waitForCall(bob, 1)]);
    await alice.locator('[data-test=control-security]').click();
    await bob.locator('[data-test=control-security]').click();

    const bobsOwn = await ownFingerprint(bob);
    expect(bobsOwn).toMatch(FINGERPRINT);
    expect(await theirFingerprint(alice)).toBe(bobsOwn);
    expect(await theirFingerprint(bob)).toBe(await ownFingerprint(alice));
    expect(await ownFingerprint(alice)).not.toBe(bobsOwn);

    await alice.locator('[data-test=verify]').check();
    await waitForDiagnostics(alice, (d) => d.senders[0]?.verified === true, {
      what: 'Bob verified',
    });

    // Bob comes back with the same identity: the same fingerprint, still verified, no alert.
    await leaveAndReturn(bob);
    await bob.locator('[data-test=join]').click();
    await waitForCall(alice, 1);
    await waitForDiagnostics(alice, (d) => d.senders[0]?.verified === true, {
      what: 'Bob verified again',
    });
    expect(await theirFingerprint(alice)).toBe(bobsOwn);
    expect(await alice.locator('[data-test=identity-alert]').count()).toBe(0);

    // Bob forgets this device's identity: someone called Bob with another key. Alice's call is
    // covered by an explained alert until she answers it.
    await leaveAndReturn(bob);
    await bob.locator('details summary').click();
    await bob.locator('[data-test=forget-identity]').click();
    await bob.locator('[data-test=forget-identity-confirm]').click();
    await bob.locator('[data-test=toast]').filter({ hasText: 'forgotten' }).waitFor();
    await bob.locator('[data-test=join]').click();
    const alert = alice.locator('[data-test=identity-alert]');
    await alert.waitFor({ timeout: 20_000 });
    const after = await waitForDiagnostics(alice, (d) => d.senders[0]?.inRoster === true);
    expect(await alert.getAttribute('data-peer')).toBe(after.senders[0]!.peerId);
    expect(await alert.getAttribute('role')).toBe('alertdialog');
    expect(await alert.textContent()).toContain('Bob’s identity has changed');
    expect(after.senders[0]!.verified).toBe(false);
    console.log(`identity alert: ${await screenshot(alice, 'identity-changed-alert')}`);
    // The alert is modal: the call's controls under it cannot be reached by a click.
    await expect(
      alice.locator('[data-test=control-leave]').click({ timeout: 1000, trial: true }),
    ).rejects.toThrow();

    await bob.locator('[data-test=control-security]').click();
    await alice.locator('[data-test=identity-alert-compare]').click();
    expect(await alert.count()).toBe(0);
    await expect.poll(() => theirFingerprint(alice)).not.toBe(bobsOwn);
    expect(await theirFingerprint(alice)).toBe(await ownFingerprint(bob));
    expect(await alice.locator('[data-test=verify]').isChecked()).toBe(false);
  });
});
