// Real calls in Chromium with fake camera and microphone, through the real SFU: people see and
// hear each other through end-to-end encryption, agree on the security code, chat, and the keys
// change when someone leaves. Recovery after an SFU restart or a network drop: recovery.test.ts.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useCallFixture } from './harness/callFixture.js';
import {
  createRoomLink,
  diagnostics,
  joinCall,
  liveFeeds,
  waitForCall,
  waitForDiagnostics,
  type Diagnostics,
} from '../../calltest/app.js';
import { screenshot } from './harness/screenshots.js';

const env = useCallFixture();

async function participant(viewport?: { width: number; height: number }): Promise<Page> {
  const handle = await env.openPage(viewport ? { viewport } : {});
  return handle.page;
}

/** Tile names shown on a page (decrypted from the roster), excluding our own tile. */
function remoteTileNames(page: Page): Promise<string[]> {
  return page.locator('[data-test=tile]:not([data-self]) [data-test=tile-name]').allTextContents();
}

async function expectSeesAndHears(page: Page, peers: number): Promise<void> {
  await expect
    .poll(
      async () => {
        const live = await liveFeeds(page);
        return {
          video: live.filter((f) => f.kind === 'video').length,
          audio: live.filter((f) => f.kind === 'audio').length,
        };
      },
      { timeout: 30_000, interval: 500 },
    )
    .toEqual({ video: peers, audio: peers });
}

describe('a call of two, then three', () => {
  let alice: Page;
  let bob: Page;
  let carol: Page;
  let link: string;

  it('two people see and hear each other, with the same security code and decrypted names', async () => {
    alice = await participant();
    bob = await participant();
    link = await createRoomLink(alice, env.sfu.url);
    await screenshot(alice, 'home');
    await alice.goto(link);
    await alice.locator('[data-test=display-name]').fill('Alice');
    await alice.locator('[data-test=preview-video]').waitFor();
    await screenshot(alice, 'prejoin');
    await alice.locator('[data-test=join]').click();
    await joinCall(bob, link, 'Bob');

    const [a, b] = await Promise.all([waitForCall(alice, 1), waitForCall(bob, 1)]);
    expect(a.transformMode).toBe('script');
    expect(a.securityCode).not.toBeNull();
    expect(a.securityCode).toEqual(b.securityCode);
    expect(a.senders[0]!.peerId).toBe(b.selfPeerId);
    expect(a.senders[0]!.kid).toBe(b.localKid);
    expect(await remoteTileNames(alice)).toEqual(['Bob']);
    expect(await remoteTileNames(bob)).toEqual(['Alice']);
    await expectSeesAndHears(alice, 1);
    await expectSeesAndHears(bob, 1);

    // Steady state: frames keep decrypting and no new failures appear.
    const before = await diagnostics(bob);
    await bob.waitForTimeout(2000);
    const after = await diagnostics(bob);
    expect(after.senders[0]!.framesDecrypted).toBeGreaterThan(before.senders[0]!.framesDecrypted);
    expect(after.senders[0]!.failures).toBe(before.senders[0]!.failures);
  });

  it('chat is delivered, and muting shows on the other side', async () => {
    await alice.locator('[data-test=control-chat]').click();
    await alice.locator('[data-test=chat-input]').fill('hello from Alice <b>not bold</b>');
    await alice.locator('[data-test=chat-send]').click();
    await bob.locator('[data-test=control-chat]').click();
    await expect
      .poll(() => bob.locator('[data-test=chat-message] .text').allTextContents(), {
        timeout: 10_000,
      })
      .toEqual(['hello from Alice <b>not bold</b>']);
    expect(await bob.locator('[data-test=chat-message] b').count()).toBe(0);

    await alice.locator('[data-test=grid]').click({ position: { x: 5, y: 5 } });
    await alice.keyboard.press('m');
    await expect
      .poll(() => alice.locator('[data-test=control-mic]').getAttribute('aria-pressed'))
      .toBe('false');
    await bob.locator('[data-test=control-people]').click();
    await expect
      .poll(
        () => bob.locator(`[data-test=participant][data-peer] .visually-hidden`).allTextContents(),
        { timeout: 10_000 },
      )
      .toContain('microphone off');
    await alice.keyboard.press('m');
    await expect
      .poll(() => alice.locator('[data-test=control-mic]').getAttribute('aria-pressed'))
      .toBe('true');
  });

  it('a third person (at phone width) joins: everyone sees and hears everyone, one security code', async () => {
    carol = await participant({ width: 390, height: 844 });
    await joinCall(carol, link, 'Carol');
    const all = await Promise.all([
      waitForCall(alice, 2),
      waitForCall(bob, 2),
      waitForCall(carol, 2),
    ]);
    const codes = new Set(all.map((d) => JSON.stringify(d.securityCode)));
    expect(codes.size).toBe(1);
    for (const page of [alice, bob, carol]) await expectSeesAndHears(page, 2);
    expect((await remoteTileNames(carol)).sort()).toEqual(['Alice', 'Bob']);

    await bob.locator('[data-test=control-security]').click();
    await bob.locator('[data-test=security-code]').waitFor();
    await screenshot(bob, 'call-security-panel');
    await bob.locator('[data-test=control-security]').click();
    await screenshot(alice, 'call-grid-three');
    await screenshot(carol, 'call-phone-width');
  });

  it('when one leaves, the others switch keys within moments and their video keeps playing', async () => {
    const [a0, b0, c0] = await Promise.all([
      diagnostics(alice),
      diagnostics(bob),
      diagnostics(carol),
    ]);
    const clicked = Date.now();
    await carol.locator('[data-test=control-leave]').click();
    // Each page's own timeline (wall-clock ms, same machine): when the server told it Carol left,
    // and when its own sending key changed after that.
    const timeline = await Promise.all(
      [
        [alice, a0],
        [bob, b0],
      ].map(async ([page, before]) => {
        const d = await waitForDiagnostics(
          page as Page,
          (x) => x.localKid !== (before as Diagnostics).localKid,
          {
            timeoutMs: 10_000,
            what: 'a new key',
          },
        );
        const left = d.events.find((e) => e.type === 'peerLeft' && e.peerId === c0.selfPeerId);
        const key = d.events.find(
          (e) => e.type === 'localKey' && left !== undefined && e.at >= left.at,
        );
        expect(left).toBeDefined();
        expect(key).toBeDefined();
        return { left: left!.at - clicked, rekeyed: key!.at - left!.at };
      }),
    );
    console.log(
      'after Leave was clicked: ' +
        ['alice', 'bob']
          .map(
            (n, i) =>
              `${n} was told at +${timeline[i]!.left} ms and sent with a new key ${timeline[i]!.rekeyed} ms later`,
          )
          .join('; '),
    );
    await carol.locator('[data-test=left]').waitFor();

    const [a1, b1] = await Promise.all([waitForCall(alice, 1), waitForCall(bob, 1)]);
    expect(a1.securityCode).toEqual(b1.securityCode);
    expect(a1.securityCode).not.toEqual(a0.securityCode);
    // Each now decrypts the other's frames with the other's new key, and the picture moves.
    await waitForDiagnostics(alice, (d) => d.senders[0]?.kid === b1.localKid, {
      what: "Bob's new key in use",
    });
    await waitForDiagnostics(bob, (d) => d.senders[0]?.kid === a1.localKid, {
      what: "Alice's new key in use",
    });
    await expectSeesAndHears(alice, 1);
    await expectSeesAndHears(bob, 1);
  });
});
