// The client hosted apart from the SFU, and the link's secret leaving no trace, in real Chromium:
// - a call between two pages served by a static origin the SFU allows, while a page from an
//   unlisted origin is refused; no page request names the room;
// - after joining, the secret is in neither the address bar nor any session-history entry, the
//   invite link can still be copied in the call, and a reload asks for the link again;
// - the display name is stored only when the person ticks "Remember my name".
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientServer } from '../../sfu/http/ClientServer.js';
import { launchBrowser, openPage, type PageHandle } from '../../calltest/browsers/chromium.js';
import { createRoomLink, joinCall, waitForDiagnostics } from '../../calltest/app.js';
import { ensureWebBuild, startSfu, type TestSfu } from './harness/servers.js';
import type { Browser } from 'playwright-core';

let browser: Browser;
let sfu: TestSfu;
let allowed: ClientServer;
let unlisted: ClientServer;
const handles: PageHandle[] = [];

beforeAll(async () => {
  const root = ensureWebBuild();
  // The SFU's address is known only once it listens, and it must know the allowed origin first.
  allowed = await ClientServer.start({ root, sfuUrl: 'http://127.0.0.1:1' });
  unlisted = await ClientServer.start({ root, sfuUrl: 'http://127.0.0.1:1' });
  sfu = await startSfu({ env: { ALLOWED_ORIGINS: allowed.url } });
  allowed.sfuUrl = sfu.url;
  unlisted.sfuUrl = sfu.url;
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const h of handles) await h.close().catch(() => undefined);
  await browser?.close();
  await sfu?.close();
  await allowed?.close();
  await unlisted?.close();
});

async function page(): Promise<Page> {
  const handle = await openPage(browser);
  handles.push(handle);
  // Generous: the machine is shared (two cores, several engineers' browsers).
  handle.page.setDefaultTimeout(90_000);
  handle.page.setDefaultNavigationTimeout(90_000);
  return handle.page;
}

function errorsOf(p: Page): string[] {
  return handles.find((h) => h.page === p)?.errors ?? [];
}

/** Closes this test's pages (two cores: pages left sending video slow the next test). */
afterEach(async () => {
  for (const h of handles.splice(0)) await h.close().catch(() => undefined);
});

/** Every URL in the page's session history (Chromium's own list, not what the page claims). */
async function historyUrls(p: Page): Promise<string[]> {
  const cdp = await p.context().newCDPSession(p);
  const { entries } = (await cdp.send('Page.getNavigationHistory')) as {
    entries: { url: string }[];
  };
  await cdp.detach();
  return entries.map((e) => e.url);
}

function alertCodes(p: Page): Promise<string[]> {
  return p
    .locator('[data-test=alert]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-code') ?? ''));
}

describe('a client hosted apart from the SFU', () => {
  it('calls through an allowed origin, refuses an unlisted one, and no request names the room', async () => {
    const [ada, bob, eve] = [await page(), await page(), await page()];
    const requests: string[] = [];
    for (const p of [ada, bob, eve]) p.on('request', (r) => requests.push(r.url()));

    const link = await createRoomLink(ada, allowed.url);
    const url = new URL(link);
    expect(url.origin).toBe(allowed.url);
    const roomId = url.hash.split('/')[1]!;
    await joinCall(ada, link, 'Ada');
    await joinCall(bob, link, 'Bob');
    for (const p of [ada, bob]) {
      await waitForDiagnostics(
        p,
        (d) => d.phase === 'in-call' && d.senders.some((s) => s.inRoster && s.framesDecrypted > 0),
        { what: 'the other participant’s decrypted frames', timeoutMs: 60_000 },
      );
    }
    // The about panel shows which SFU the client was configured with.
    await ada.locator('[data-test=header-code]').click();
    expect(await ada.locator('[data-test=sfu-url]').textContent()).toBe(sfu.url);

    // The same link on an origin the SFU does not list: the handshake is refused.
    const refusedBefore = sfu.sfu.origins.refused;
    await joinCall(eve, `${unlisted.url}/${url.hash}`, 'Eve');
    await expect.poll(() => alertCodes(eve), { timeout: 30_000 }).toContain('server-unreachable');
    expect(sfu.sfu.origins.refused).toBeGreaterThan(refusedBefore);
    expect([...errorsOf(ada), ...errorsOf(bob)]).toEqual([]);

    const toClients = requests.filter(
      (r) => r.startsWith(allowed.url) || r.startsWith(unlisted.url),
    );
    expect(toClients.length).toBeGreaterThan(0);
    for (const r of toClients) {
      // What reaches a server: the path and query. The fragment never leaves the browser.
      const { pathname, search } = new URL(r);
      expect(pathname + search, r).not.toContain(roomId);
    }
  });
});

describe('the link’s secret', () => {
  it('is gone from the address bar and history after join, and copyable in the call', async () => {
    const p = await page();
    const link = await createRoomLink(p, sfu.url);
    const secret = new URL(link).hash.split('/')[2]!;
    expect(secret).toHaveLength(43);
    await p.locator('[data-test=open-call]').click(); // pushState to the link, as a person would
    await p.locator('[data-test=display-name]').fill('Ada');
    await p.locator('[data-test=join]').click();
    await waitForDiagnostics(p, (d) => d.phase === 'in-call', {
      what: 'in call',
      timeoutMs: 60_000,
    });

    expect(await p.evaluate(() => location.href)).not.toContain(secret);
    const entries = await historyUrls(p);
    expect(entries.length).toBeGreaterThanOrEqual(2); // home, then the room
    for (const u of entries) expect(u).not.toContain(secret);
    expect(entries.at(-1)).toBe(`${sfu.url}/#r/${new URL(link).hash.split('/')[1]}`);

    await p.locator('[data-test=copy-invite]').click();
    expect(await p.evaluate(() => navigator.clipboard.readText())).toBe(link);

    // Memory only: a reload has no secret and asks for the link again.
    expect(errorsOf(p)).toEqual([]);
    await p.reload();
    expect(await alertCodes(p)).toEqual(['link-without-secret']);
  });

  it('remembers the display name only when asked to', async () => {
    const p = await page();
    const link = await createRoomLink(p, sfu.url);
    await joinCall(p, link, 'Ada');
    await waitForDiagnostics(p, (d) => d.phase === 'in-call', {
      what: 'in call',
      timeoutMs: 60_000,
    });
    expect(await p.evaluate(() => JSON.stringify(localStorage))).not.toContain('Ada');

    await p.goto('about:blank'); // a new page load, not a fragment change within the call
    await p.goto(link);
    expect(await p.locator('[data-test=remember-name]').isChecked()).toBe(false);
    await p.locator('[data-test=display-name]').fill('Grace');
    await p.locator('[data-test=remember-name]').check();
    await p.locator('[data-test=join]').click();
    await waitForDiagnostics(p, (d) => d.phase === 'in-call', {
      what: 'in call',
      timeoutMs: 60_000,
    });
    expect(await p.evaluate(() => localStorage.getItem('blindcall:displayName'))).toBe('Grace');

    // The choice shows the next time, and unticking it forgets the name.
    await p.goto('about:blank');
    await p.goto(link);
    expect(await p.locator('[data-test=display-name]').inputValue()).toBe('Grace');
    expect(await p.locator('[data-test=remember-name]').isChecked()).toBe(true);
    await p.locator('[data-test=remember-name]').uncheck();
    await p.locator('[data-test=join]').click();
    await waitForDiagnostics(p, (d) => d.phase === 'in-call', {
      what: 'in call',
      timeoutMs: 60_000,
    });
    expect(await p.evaluate(() => localStorage.getItem('blindcall:displayName'))).toBeNull();
  });
});
