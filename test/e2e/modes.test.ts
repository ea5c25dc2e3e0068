// Both encoded-transform APIs in one call: a browser that only has Chromium's legacy
// createEncodedStreams (RTCRtpScriptTransform removed) talks to one using RTCRtpScriptTransform,
// including an encrypted screen share.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, type PageHandle } from '../../calltest/browsers/chromium.js';
import {
  createRoomLink,
  joinCall,
  liveFeeds,
  waitForCall,
  waitForDiagnostics,
} from '../../calltest/app.js';
import { ensureWebBuild, startSfu, type TestSfu } from './harness/servers.js';

let browser: Browser;
let sfu: TestSfu;
const handles: PageHandle[] = [];

beforeAll(async () => {
  ensureWebBuild();
  sfu = await startSfu();
  // Lets getDisplayMedia pick the (fake) screen without a picker.
  browser = await launchBrowser({ args: ['--auto-select-desktop-capture-source=Entire screen'] });
});

afterAll(async () => {
  for (const h of handles) await h.close().catch(() => undefined);
  await browser?.close();
  await sfu?.close();
});

describe('transform APIs and screen share', () => {
  it('a legacy-streams browser and a script-transform browser see each other and a shared screen', async () => {
    const legacy = await openPage(browser, {
      initScripts: [
        () => void delete (window as { RTCRtpScriptTransform?: unknown }).RTCRtpScriptTransform,
      ],
    });
    const modern = await openPage(browser);
    handles.push(legacy, modern);
    const link = await createRoomLink(legacy.page, sfu.url);
    await joinCall(legacy.page, link, 'Legacy');
    await joinCall(modern.page, link, 'Modern');
    const [l, m] = await Promise.all([waitForCall(legacy.page, 1), waitForCall(modern.page, 1)]);
    expect(l.transformMode).toBe('streams');
    expect(m.transformMode).toBe('script');
    expect(l.securityCode).toEqual(m.securityCode);

    await modern.page.locator('[data-test=control-screen]').click();
    await expect
      .poll(() => modern.page.locator('[data-test=control-screen]').getAttribute('aria-pressed'))
      .toBe('true');
    await waitForDiagnostics(
      legacy.page,
      (d) => d.senders[0]?.sources.includes('screen') ?? false,
      {
        what: 'the screen share to arrive',
      },
    );
    await expect
      .poll(async () => (await liveFeeds(legacy.page)).map((f) => f.source).sort(), {
        timeout: 30_000,
        interval: 500,
      })
      .toEqual(['camera', 'microphone', 'screen']);
    await expect
      .poll(async () => (await liveFeeds(modern.page)).map((f) => f.source).sort(), {
        timeout: 30_000,
        interval: 500,
      })
      .toEqual(['camera', 'microphone']);

    await modern.page.locator('[data-test=control-screen]').click();
    await waitForDiagnostics(
      legacy.page,
      (d) => !(d.senders[0]?.sources.includes('screen') ?? true),
      {
        what: 'the screen share to stop',
      },
    );
  });
});
