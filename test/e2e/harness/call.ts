/**
 * Driving the app like a person would (click, type) and reading its state through the
 * documented diagnostic surface `window.__blindcall` (ids, key ids and counters only).
 */
import type { Page } from 'playwright-core';
import type { BlindcallDiagnostics, FeedDiagnostics } from '../../../web/call/debugSurface.js';
import { sleep, type InPage } from './driver.js';

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
