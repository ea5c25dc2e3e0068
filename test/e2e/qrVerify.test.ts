// Verifying someone by their QR code: Alice's security panel draws a QR code; it decodes (jsQR)
// to her whole identity key, whose fingerprint is the one her panel prints. Bob's camera films
// that code (a y4m made from what was decoded off Alice's screen); "Scan someone's code" in his
// panel marks Alice verified. Carol's camera films the code of a key nobody in the call has: her
// panel says so, as an alert, and verifies nobody.
import { randomBytes } from 'node:crypto';
import jsQRModule from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createRoomLink, joinCall, waitForCall, waitForDiagnostics } from '../../calltest/app.js';
import { launchBrowser, openPage } from '../../calltest/browsers/chromium.js';
import { identityFingerprint, identityQrText, parseIdentityQr } from '../../shared/mls/index.js';
import { useCallFixture } from './harness/callFixture.js';
import { qrCameraFile } from './harness/qrCamera.js';
import { screenshot } from './harness/screenshots.js';

const jsQR = jsQRModule.default;
const env = useCallFixture();
const browsers: Browser[] = [];
afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => undefined);
});

/** A page in a browser of its own whose camera films the QR code of `text`. */
async function filming(text: string): Promise<Page> {
  const browser = await launchBrowser({
    args: [`--use-file-for-fake-video-capture=${qrCameraFile(text)}`],
  });
  browsers.push(browser);
  return (await openPage(browser)).page;
}

/** Decodes the QR code `page` shows in its security panel, from a screenshot of it. */
async function readOwnQr(page: Page): Promise<string | null> {
  const png = await page.locator('[data-test=own-qr]').screenshot();
  const blank = await env.browser.newPage(); // about:blank: no CSP in the way of a data: image
  try {
    const px = await blank.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      return {
        w: c.width,
        h: c.height,
        data: Array.from(g.getImageData(0, 0, c.width, c.height).data),
      };
    }, png.toString('base64'));
    return jsQR(Uint8ClampedArray.from(px.data), px.w, px.h)?.data ?? null;
  } finally {
    await blank.close();
  }
}

async function scan(page: Page): Promise<{ result: string | null; text: string }> {
  await page.locator('[data-test=scan-code]').click();
  const out = page.locator('[data-test=scan-result]');
  await out.waitFor({ timeout: 20_000 });
  return { result: await out.getAttribute('data-result'), text: (await out.textContent()) ?? '' };
}

describe('QR code verification (MLS)', () => {
  it('a scanned QR code carries the whole identity key and verifies its owner; a stranger’s code is flagged', async () => {
    const alice = (await env.openPage()).page;
    const link = await createRoomLink(alice, env.sfu.url);
    await joinCall(alice, link, 'Alice');
    await alice.locator('[data-test=control-security]').click();
    const ownFp = (await alice.locator('[data-test=own-fingerprint]').textContent())!.trim();
    const text = await readOwnQr(alice);
    expect(text, 'Alice’s QR code decodes').not.toBeNull();
    const aliceKey = parseIdentityQr(text!);
    expect(identityFingerprint(aliceKey).full).toBe(ownFp);
    console.log(`own QR code: ${await screenshot(alice, 'qr-own-code')}`);

    const bob = await filming(text!);
    await joinCall(bob, link, 'Bob');
    await Promise.all([waitForCall(alice, 1), waitForCall(bob, 1)]);
    await bob.locator('[data-test=control-security]').click();
    expect(await bob.locator('[data-test=verify]').isChecked()).toBe(false);
    const bobScan = await scan(bob);
    expect(bobScan.result).toBe('verified');
    expect(bobScan.text).toContain('Alice');
    expect(await bob.locator('[data-test=verify]').isChecked()).toBe(true);
    await waitForDiagnostics(bob, (d) => d.senders[0]?.verified === true, {
      what: 'Alice verified',
    });
    console.log(`Bob scanned Alice: ${await screenshot(bob, 'qr-scan-verified')}`);

    const stranger = identityQrText(new Uint8Array(randomBytes(32)));
    const carol = await filming(stranger);
    await joinCall(carol, link, 'Carol');
    await Promise.all([alice, bob, carol].map((p) => waitForCall(p, 2)));
    await carol.locator('[data-test=control-security]').click();
    const carolScan = await scan(carol);
    expect(carolScan.result).toBe('unknown');
    expect(await carol.locator('[data-test=scan-result]').getAttribute('role')).toBe('alert');
    const d = await waitForDiagnostics(carol, (x) => x.senders.length === 2);
    expect(d.senders.map((s) => s.verified)).toEqual([false, false]);
    console.log(`Carol scanned a stranger: ${await screenshot(carol, 'qr-scan-unknown')}`);
  });
});
