// Joining a full room, and recovering on its own from a network drop and from a server restart:
// "Reconnecting…" shows, then the call resumes with a fresh join and fresh keys.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, type PageHandle } from '../../calltest/browsers/chromium.js';
import {
  createRoomLink,
  diagnostics,
  joinCall,
  liveFeeds,
  waitForCall,
  waitForDiagnostics,
} from '../../calltest/app.js';
import { ensureWebBuild, startSfu, type TestSfu } from './harness/servers.js';

let browser: Browser;
let sfu: TestSfu | null = null;
let handles: PageHandle[] = [];

beforeAll(async () => {
  ensureWebBuild();
  browser = await launchBrowser();
});

afterEach(async () => {
  for (const h of handles) await h.close().catch(() => undefined);
  handles = [];
  await sfu?.close();
  sfu = null;
});

afterAll(async () => {
  await browser?.close();
});

async function pages(n: number): Promise<PageHandle[]> {
  const out = await Promise.all(Array.from({ length: n }, () => openPage(browser)));
  handles.push(...out);
  return out;
}

async function twoInCall(server: TestSfu): Promise<[PageHandle, PageHandle]> {
  const [a, b] = (await pages(2)) as [PageHandle, PageHandle];
  const link = await createRoomLink(a.page, server.url);
  await joinCall(a.page, link, 'Alice');
  await joinCall(b.page, link, 'Bob');
  await Promise.all([waitForCall(a.page, 1), waitForCall(b.page, 1)]);
  return [a, b];
}

const TRANSPORT_DELAY_MS = 4000;

/** Init script: holds the page's `createTransport` signalling requests back for `ms`. */
function delayTransportRequests(ms: number): string {
  return `(() => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === 'string' && data.includes('"createTransport"')) {
      setTimeout(() => send.call(this, data), ${ms});
      return;
    }
    return send.call(this, data);
  };
})();`;
}

async function expectVideoFlows(page: Page): Promise<void> {
  await expect
    .poll(async () => (await liveFeeds(page)).filter((f) => f.kind === 'video').length, {
      timeout: 30_000,
      interval: 500,
    })
    .toBe(1);
}

describe('room full', () => {
  it('explains that the call is full and keeps the person on the pre-join page', async () => {
    sfu = await startSfu({ env: { MAX_PEERS_PER_ROOM: '1' } });
    const [a, b] = (await pages(2)) as [PageHandle, PageHandle];
    const link = await createRoomLink(a.page, sfu.url);
    await joinCall(a.page, link, 'Alice');
    await waitForDiagnostics(a.page, (d) => d.phase === 'in-call', { what: 'Alice in the call' });
    await joinCall(b.page, link, 'Bob');
    await b.page.locator('[data-test=alert][data-code=room-full]').waitFor({ timeout: 20_000 });
    expect(await b.page.locator('[data-test=join]').isDisabled()).toBe(false);
    expect((await diagnostics(a.page)).senders).toEqual([]);
  });
});

describe('recovery', () => {
  it('after the server restarts, both rejoin with fresh keys and see each other again', async () => {
    sfu = await startSfu();
    const { port, rtcPort } = sfu;
    const [a, b] = await twoInCall(sfu);
    const a0 = await diagnostics(a.page);

    await sfu.close();
    await a.page.locator('[data-test=reconnecting]').waitFor({ timeout: 10_000 });
    sfu = await startSfu({ port, rtcPort });

    const [a1, b1] = await Promise.all([waitForCall(a.page, 1), waitForCall(b.page, 1)]);
    expect(a1.selfPeerId).not.toBe(a0.selfPeerId);
    expect(a1.senders[0]!.peerId).toBe(b1.selfPeerId);
    // A new MLS group after the restart, with fresh keys: both show one code, a new one (it comes
    // from the new group's epoch authenticator). The KIDs may repeat (they name only leaf and
    // epoch, and a new group starts both afresh), not the keys behind them.
    expect(a1.securityCode).toEqual(b1.securityCode);
    expect(a1.securityCode).not.toEqual(a0.securityCode);
    expect(await a.page.locator('[data-test=reconnecting]').count()).toBe(0);
    await expectVideoFlows(a.page);
    await expectVideoFlows(b.page);
  });

  it('after a network drop on one side, it rejoins and the call goes on', async () => {
    sfu = await startSfu();
    const [a, b] = await twoInCall(sfu);
    const a0 = await diagnostics(a.page);

    await a.context.setOffline(true);
    await a.page.locator('[data-test=reconnecting]').waitFor({ timeout: 30_000 });
    await a.context.setOffline(false);

    const a1 = await waitForCall(a.page, 1, 90_000);
    expect(a1.selfPeerId).not.toBe(a0.selfPeerId);
    expect(a1.localKid).not.toBe(a0.localKid);
    await waitForCall(b.page, 1);
    await waitForDiagnostics(
      b.page,
      (d) => d.senders[0]?.peerId === a1.selfPeerId && d.senders[0].kid === a1.localKid,
      {
        what: "Bob decrypting Alice's new key",
      },
    );
    await expectVideoFlows(a.page);
    await expectVideoFlows(b.page);
  });

  it('a camera turned on while someone is still joining reaches them (its newProducer came before their transports)', async () => {
    sfu = await startSfu();
    const a = (await pages(1))[0]!;
    // Bob's transports are requested only after TRANSPORT_DELAY_MS: a producer Alice makes
    // meanwhile is announced to him before he can consume it.
    const b = await openPage(browser, {
      initScripts: [delayTransportRequests(TRANSPORT_DELAY_MS)],
    });
    handles.push(b);
    const link = await createRoomLink(a.page, sfu.url);
    await a.page.goto(link);
    await a.page.locator('[data-test=toggle-camera]').click(); // Alice joins without her camera
    await a.page.locator('[data-test=display-name]').fill('Alice');
    await a.page.locator('[data-test=join]').click();
    await waitForDiagnostics(a.page, (d) => d.phase === 'in-call', { what: 'Alice in the call' });

    await joinCall(b.page, link, 'Bob');
    // Joined (a peer id), so his transports are being held back; his keys may already be done.
    await waitForDiagnostics(b.page, (d) => d.selfPeerId !== null, { what: 'Bob joined' });
    await a.page.locator('[data-test=control-camera]').click();
    const aliceId = (await diagnostics(a.page)).selfPeerId;
    await waitForDiagnostics(b.page, (d) => d.senders.some((x) => x.peerId === aliceId), {
      what: 'Bob knows Alice',
    });
    await expectVideoFlows(b.page);
  });
});
