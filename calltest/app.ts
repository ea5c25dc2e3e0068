/**
 * Driving the app like a person would (click, type) and reading its state through the
 * documented diagnostic surface `window.__blindcall` (ids, key ids and counters only).
 */
import type { Page } from 'playwright-core';
import type { BlindcallDiagnostics, FeedDiagnostics } from '../web/call/debugSurface.js';
import { sleep, type Driver, type InPage } from './browsers/driver.js';

export type Diagnostics = Omit<BlindcallDiagnostics, 'mediaStats'>;

/** A fresh room link `…/r/<roomId>#<secret>`, made the way the home page makes it. */
export async function createRoomLink(page: Page, baseUrl: string): Promise<string> {
  await page.goto(baseUrl);
  await page.locator('[data-test=new-call]').click();
  return page.locator('[data-test=invite-link]').inputValue();
}

export async function joinCall(page: Page, link: string, name: string): Promise<void> {
  await page.goto(link);
  await page.locator('[data-test=display-name]').fill(name);
  // Join is enabled once the name is there; devices may still be opening, which is fine.
  await page.locator('[data-test=join]').click();
}

export async function diagnostics(page: InPage): Promise<Diagnostics> {
  return page.evaluate(() => {
    const d = window.__blindcall!;
    return {
      transformMode: d.transformMode,
      phase: d.phase,
      selfPeerId: d.selfPeerId,
      localKid: d.localKid,
      securityCode: d.securityCode,
      selfFingerprint: d.selfFingerprint ?? null,
      local: d.local,
      senders: d.senders,
      warnings: d.warnings,
      events: d.events,
    };
  });
}

export function mediaStats(page: InPage): Promise<FeedDiagnostics[]> {
  return page.evaluate(() => window.__blindcall!.mediaStats());
}

/** Polls `check` on the page's diagnostics until it returns true (or times out). */
export async function waitForDiagnostics(
  page: InPage,
  check: (d: Diagnostics) => boolean,
  { timeoutMs = 30_000, intervalMs = 100, what = 'condition' } = {},
): Promise<Diagnostics> {
  const deadline = Date.now() + timeoutMs;
  let last: Diagnostics | null = null;
  while (Date.now() < deadline) {
    last = await diagnostics(page);
    if (check(last)) return last;
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}; last diagnostics: ${JSON.stringify(last)}`);
}

/** In the call, with every one of `others` peers keyed and sending decryptable frames. */
export function waitForCall(
  page: InPage,
  others: number,
  timeoutMs = 60_000,
): Promise<Diagnostics> {
  return waitForDiagnostics(
    page,
    (d) =>
      d.phase === 'in-call' &&
      d.senders.length === others &&
      d.senders.every((s) => s.inRoster && s.framesDecrypted > 0),
    { timeoutMs, what: `in-call with ${others} decrypting peers` },
  );
}

/** Feeds whose counters grow between two samples `ms` apart: the picture moves, the sound plays. */
export async function liveFeeds(page: InPage, ms = 1500): Promise<FeedDiagnostics[]> {
  const before = await mediaStats(page);
  await sleep(ms);
  const after = await mediaStats(page);
  return after.filter((a) => {
    const b = before.find((x) => x.peerId === a.peerId && x.source === a.source);
    if (!b) return false;
    return a.kind === 'video'
      ? a.framesDecoded > b.framesDecoded && a.frameWidth > 0
      : a.totalAudioEnergy > b.totalAudioEnergy;
  });
}

/** A join that did not happen: what the page showed (alert codes) or how long it waited. */
export class JoinError extends Error {
  override readonly name = 'JoinError';
  constructor(
    message: string,
    /** `data-code` of each alert the pre-join page showed (e.g. NO_TRANSFORMS). */
    readonly alerts: readonly string[],
    readonly last: Diagnostics | null,
  ) {
    super(message);
  }
}

/**
 * Opens `link`, types the name and clicks Join, in any browser; resolves with the peer id the
 * SFU gave once the page has one, or throws a JoinError with the alerts the page shows.
 */
export async function joinWithDriver(
  driver: Driver,
  link: string,
  name: string,
  timeoutMs = 60_000,
): Promise<string> {
  await driver.goto(link);
  await driver.fill('[data-test=display-name]', name);
  await driver.click('[data-test=join]');
  const deadline = Date.now() + timeoutMs;
  let d: Diagnostics | null = null;
  while (Date.now() < deadline) {
    d = await diagnostics(driver);
    if (d.selfPeerId && d.phase !== 'connecting') return d.selfPeerId;
    const alerts = await driver.alerts();
    if (alerts.length > 0)
      throw new JoinError(`the page shows ${alerts.join(', ')} (phase ${d.phase})`, alerts, d);
    await sleep(100);
  }
  throw new JoinError(`no peer id after ${timeoutMs} ms (phase ${d?.phase ?? '?'})`, [], d);
}

/** `createRoomLink` in any browser: the deployment's home page makes the room. */
export async function newRoomLink(driver: Driver, baseUrl: string): Promise<string> {
  await driver.goto(baseUrl);
  await driver.click('[data-test=new-call]');
  return driver.inputValue('[data-test=invite-link]');
}
