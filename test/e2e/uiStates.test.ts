// UI states a person can run into before a call, in real Chromium against the built client:
// the invite link, bad links, a browser without encoded transforms, camera/microphone problems,
// and a server that cannot be reached. No signalling server is involved (a static server serves
// the client), which is exactly the "server unreachable" situation.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  openPage,
  type PageHandle,
  type PageOptions,
} from '../../calltest/browsers/chromium.js';
import { ensureWebBuild, startStaticServer, type StaticServer } from './harness/servers.js';

let browser: Browser;
let server: StaticServer;
const handles: PageHandle[] = [];

beforeAll(async () => {
  ensureWebBuild();
  server = await startStaticServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const h of handles) await h.close();
  await browser?.close();
  await server?.close();
});

async function page(options: PageOptions = {}): Promise<PageHandle['page']> {
  const handle = await openPage(browser, options);
  handles.push(handle);
  return handle.page;
}

const SECRET = 'A'.repeat(42) + 'E'; // 32 bytes, canonical base64url

function alertCodes(p: PageHandle['page']): Promise<string[]> {
  return p
    .locator('[data-test=alert]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-code') ?? ''));
}

describe('home', () => {
  it('New call shows a copyable invite link whose secret is only in the fragment', async () => {
    const p = await page();
    await p.goto(server.url);
    await p.locator('[data-test=new-call]').click();
    const link = await p.locator('[data-test=invite-link]').inputValue();
    const url = new URL(link);
    expect(url.origin).toBe(server.url);
    // The page request is `/` for every room: room and secret are only in the fragment.
    expect(url.pathname).toBe('/');
    expect(url.search).toBe('');
    expect(url.hash).toMatch(/^#r\/[A-Za-z0-9_-]{16}\/[A-Za-z0-9_-]{43}$/);
    await p.locator('[data-test=copy-link]').click();
    expect(await p.evaluate(() => navigator.clipboard.readText())).toBe(link);
    await expect.poll(() => p.locator('[data-test=toast]').textContent()).toContain('copied');
    // A second call gets a different room and secret.
    await p.locator('[data-test=new-call]').click();
    expect(await p.locator('[data-test=invite-link]').inputValue()).not.toBe(link);
  });

  it('"Join this call" opens the pre-join page of that room', async () => {
    const p = await page();
    await p.goto(server.url);
    await p.locator('[data-test=new-call]').click();
    const link = await p.locator('[data-test=invite-link]').inputValue();
    await p.locator('[data-test=open-call]').click();
    await p.locator('[data-test=prejoin]').waitFor();
    // The secret was read and taken out of the address bar.
    expect(p.url()).toBe(link.slice(0, link.lastIndexOf('/')));
  });
});

describe('links', () => {
  it('explains a link without a secret, and one with a damaged secret', async () => {
    const p = await page();
    await p.goto(`${server.url}/r/someRoom`);
    expect(await alertCodes(p)).toEqual(['link-without-secret']);
    await p.goto(`${server.url}/r/someRoom#not-a-secret`);
    expect(await alertCodes(p)).toEqual(['link-bad-secret']);
    expect(await p.locator('[data-test=join]').count()).toBe(0);
  });
});

describe('pre-join', () => {
  it('previews the camera, lists devices and toggles camera and microphone before joining', async () => {
    const p = await page();
    await p.goto(`${server.url}/r/room1#${SECRET}`);
    await p.locator('[data-test=preview-video]').waitFor();
    // The device lists fill in when enumerateDevices() answers, which may be after the preview.
    await expect.poll(() => p.locator('[data-test=pick-camera] option').count()).toBeGreaterThan(0);
    await expect
      .poll(() => p.locator('[data-test=pick-microphone] option').count())
      .toBeGreaterThan(0);
    await p.locator('[data-test=toggle-camera]').click();
    await expect
      .poll(() => p.locator('[data-test=toggle-camera]').getAttribute('aria-pressed'))
      .toBe('false');
    expect(await p.locator('[data-test=preview-video]').count()).toBe(0);
    await p.locator('[data-test=toggle-microphone]').click();
    await expect
      .poll(() => p.locator('[data-test=toggle-microphone]').getAttribute('aria-pressed'))
      .toBe('false');
    expect(await alertCodes(p)).toEqual([]);
    // Join needs a name.
    expect(await p.locator('[data-test=join]').isDisabled()).toBe(true);
    await p.locator('[data-test=display-name]').fill('Ada');
    expect(await p.locator('[data-test=join]').isDisabled()).toBe(false);
  });

  it('refuses to join in a browser without encoded transforms', async () => {
    const p = await page({
      initScripts: [
        () => {
          delete (window as { RTCRtpScriptTransform?: unknown }).RTCRtpScriptTransform;
          delete (RTCRtpSender.prototype as { createEncodedStreams?: unknown })
            .createEncodedStreams;
        },
      ],
    });
    await p.goto(`${server.url}/r/room1#${SECRET}`);
    await p.locator('[data-test=display-name]').fill('Ada');
    expect(await alertCodes(p)).toContain('no-encoded-transforms');
    expect(await p.locator('[data-test=join]').isDisabled()).toBe(true);
  });

  it('explains a denied camera permission and still lets you join with the microphone', async () => {
    const p = await page({
      initScripts: [
        () => {
          const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
          navigator.mediaDevices.getUserMedia = (c?: MediaStreamConstraints) =>
            c?.video ? Promise.reject(new DOMException('denied', 'NotAllowedError')) : original(c);
        },
      ],
    });
    await p.goto(`${server.url}/r/room1#${SECRET}`);
    await expect.poll(() => alertCodes(p)).toEqual(['camera-denied']);
    await p.locator('[data-test=display-name]').fill('Ada');
    expect(await p.locator('[data-test=join]').isDisabled()).toBe(false);
  });

  it('explains a denied microphone permission', async () => {
    const p = await page({
      initScripts: [
        () => {
          const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
          navigator.mediaDevices.getUserMedia = (c?: MediaStreamConstraints) =>
            c?.audio ? Promise.reject(new DOMException('denied', 'NotAllowedError')) : original(c);
        },
      ],
    });
    await p.goto(`${server.url}/r/room1#${SECRET}`);
    await expect.poll(() => alertCodes(p)).toEqual(['microphone-denied']);
  });

  it('explains that there is no camera and no microphone', async () => {
    const p = await page({
      initScripts: [
        () => {
          navigator.mediaDevices.getUserMedia = () =>
            Promise.reject(new DOMException('none', 'NotFoundError'));
          navigator.mediaDevices.enumerateDevices = () => Promise.resolve([]);
        },
      ],
    });
    await p.goto(`${server.url}/r/room1#${SECRET}`);
    await expect.poll(() => alertCodes(p)).toEqual(['camera-missing', 'microphone-missing']);
    expect(await p.locator('[data-test=pick-camera]').count()).toBe(0);
  });

  it('shows progress, then explains that the server cannot be reached', async () => {
    const p = await page();
    await p.goto(`${server.url}/r/room1#${SECRET}`);
    await p.locator('[data-test=display-name]').fill('Ada');
    await p.locator('[data-test=join]').click();
    await p.locator('[data-test=progress][data-phase=connecting]').waitFor();
    await p.locator('[data-test=alert][data-code=server-unreachable]').waitFor({ timeout: 20_000 });
    // The name typed is still there (it is not remembered on the device), so Join works again.
    expect(await p.locator('[data-test=display-name]').inputValue()).toBe('Ada');
    expect(await p.locator('[data-test=join]').isDisabled()).toBe(false);
    expect(await p.evaluate(() => window.__blindcall?.phase)).toBe('idle');
  });
});
