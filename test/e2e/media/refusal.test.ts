// Refusal, seen from the server: a page whose link lacks the room secret, a browser without
// encoded transforms (so frames could not be encrypted), and a page whose link carries another
// secret never send media. The UI refusals
// themselves are covered by uiStates.test.ts; here the SFU's own records are the witness: the
// producer tap shows no producer from them, and the server never logs them joining.
import { describe, expect, it } from 'vitest';
import { createRoomLink, waitForDiagnostics } from '../../../calltest/app.js';
import { join, useTappedCall, type Person } from './support/participants.js';

const call = useTappedCall();
const cast = call.cast;

/** Removes both encoded-transform APIs before the app loads. */
function withoutEncodedTransforms(): void {
  delete (window as { RTCRtpScriptTransform?: unknown }).RTCRtpScriptTransform;
  delete (RTCRtpSender.prototype as { createEncodedStreams?: unknown }).createEncodedStreams;
  delete (RTCRtpReceiver.prototype as { createEncodedStreams?: unknown }).createEncodedStreams;
}

function joinsLogged(): number {
  return call.sfu.logs.filter((l) => l.includes('"msg":"peer joined"')).length;
}

/** Tries every way a person could try to join from this page: the button, and Enter. */
async function tryToJoin(p: Person, link: string): Promise<void> {
  await p.page.goto(link);
  const name = p.page.locator('[data-test=display-name]');
  if ((await name.count()) > 0) {
    await name.fill(p.name);
    await name.press('Enter');
    const button = p.page.locator('[data-test=join]');
    if ((await button.count()) > 0)
      await button.click({ force: true, timeout: 2000 }).catch(() => {});
  }
  await p.page.waitForTimeout(5000);
}

describe('pages that cannot encrypt never send media', () => {
  let alice: Person;
  let link: string;

  it('control: Alice, who can encrypt, joins and the tap records her media', async () => {
    alice = await cast.person('Alice', 'red');
    link = await createRoomLink(alice.page, call.sfu.server.url);
    await join(alice, link);
    await waitForDiagnostics(
      alice.page,
      (d) => d.phase === 'in-call' && d.local.framesEncrypted > 0,
      {
        what: 'Alice in the call, sending',
      },
    );
    expect(joinsLogged()).toBe(1);
    // Alice's own producers are tapped: the tap works in this room.
    await expect
      .poll(() =>
        call.sfu
          .producers()
          .map((p) => p.source)
          .sort(),
      )
      .toEqual(['camera', 'microphone']);
    await expect
      .poll(() => call.sfu.producers().every((p) => p.packets.length > 0), { timeout: 15_000 })
      .toBe(true);
  });

  it('a link without its secret: no join, no producer, no packet', async () => {
    const bob = await cast.person('Bob', 'green');
    // The link with its last part, the secret, cut off: `/#r/<roomId>` (the room is in the fragment).
    await tryToJoin(bob, link.slice(0, link.lastIndexOf('/')));
    await bob.page.locator('[data-test=alert]').first().waitFor();
    expect(joinsLogged()).toBe(1);
    expect(call.sfu.producers().filter((p) => p.peerId !== alice.peerId)).toEqual([]);
  });

  it('a browser without encoded transforms: no join, no producer, no packet', async () => {
    const carol = await cast.person('Carol', 'blue', { initScripts: [withoutEncodedTransforms] });
    await tryToJoin(carol, link);
    expect(
      await carol.page.evaluate(() => ({
        script: 'RTCRtpScriptTransform' in window,
        streams: 'createEncodedStreams' in RTCRtpSender.prototype,
        mode: window.__blindcall?.transformMode ?? null,
      })),
    ).toEqual({ script: false, streams: false, mode: null });
    expect(await carol.page.locator('[data-test=join]').isDisabled()).toBe(true);
    expect(joinsLogged()).toBe(1);
    expect(call.sfu.producers().filter((p) => p.peerId !== alice.peerId)).toEqual([]);
  });

  it('a link with another secret of the right form: refused with a clear reason, no producer, every time', async () => {
    const dave = await cast.person('Dave', 'yellow');
    const other = 'B'.repeat(42) + 'A'; // 32 bytes, canonical base64url, not this room's secret
    await dave.page.goto(`${link.slice(0, link.lastIndexOf('/'))}/${other}`);
    await dave.page.locator('[data-test=display-name]').fill(dave.name);
    const refusal = dave.page.locator('[data-test=alert][data-code=link-secret-mismatch]');
    // Each attempt reaches the server (it cannot tell a wrong secret) and is refused by the page
    // itself, which cannot open the room's GroupInfo; trying again changes nothing.
    for (const [attempt, how] of [
      [1, 'Enter'],
      [2, 'button'],
    ] as const) {
      if (how === 'Enter') await dave.page.locator('[data-test=display-name]').press('Enter');
      else await dave.page.locator('[data-test=join]').click();
      await expect.poll(joinsLogged, { timeout: 30_000 }).toBe(1 + attempt);
      // back on the form, with no engine left running, and the reason shown
      await expect
        .poll(() => dave.page.evaluate(() => window.__blindcall?.phase), { timeout: 30_000 })
        .toBe('idle');
      await refusal.waitFor({ timeout: 30_000 });
      expect(call.sfu.producers().filter((p) => p.peerId !== alice.peerId)).toEqual([]);
    }
  });
});
