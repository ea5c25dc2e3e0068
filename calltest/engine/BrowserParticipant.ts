/**
 * One browser participant of a call test: its own browser process (fake camera and microphone
 * files apply per process), one page with the media and WebRTC probes installed before the app,
 * joined through the app's own pre-join page. It samples what the page reports (the diagnostic
 * surface, the probes) and keeps what the checks need: timings, counters per sender over time,
 * picture heights seen.
 */
import type { Browser as Chromium } from 'playwright-core';
import type { Browser as Firefox } from 'puppeteer-core';
import { diagnostics, joinWithDriver, type Diagnostics } from '../app.js';
import { launchBrowser, openPage } from '../browsers/chromium.js';
import { playwrightDriver, type Driver } from '../browsers/driver.js';
import {
  ImpairedLink,
  isImpaired,
  NO_IMPAIRMENT,
  type Impairment,
  type LinkCounters,
} from '../network/ImpairedLink.js';
import { RELAY_BINDING, relayScript } from '../network/relayScript.js';
import { launchFirefox, openFirefoxPage } from '../browsers/firefox.js';
import { cameraFile } from '../media/fakeMedia.js';
import { knownMediaScript } from '../media/firefoxMedia.js';
import { toneFile, type MediaIdentity } from '../media/identity.js';
import { probeReport, probeScript, resetProbe, type ProbeReport } from '../media/mediaProbe.js';
import { webrtcProbeScript, webrtcReport, type WebrtcReport } from '../media/webrtcProbe.js';
import type { ParticipantKind } from '../report/Report.js';

/** One sample of one sender's counters at a receiver. */
export interface SenderSample {
  readonly t: number;
  readonly framesDecrypted: number;
  readonly failures: number;
}

export class BrowserParticipant {
  /** The peer id the SFU gave it (a new one after each reconnect). */
  peerId: string | null = null;
  /** Every peer id it had, so its old ones are not taken for strangers. */
  readonly peerIds = new Set<string>();
  joinClickAt: number | null = null;
  joinMs: number | null = null;
  firstFrameMs: number | null = null;
  joinError: string | null = null;
  last: Diagnostics | null = null;
  /** Every peer id this page's call ever listed, with whether it was in the roster. */
  readonly seenPeers = new Map<string, boolean>();
  readonly history = new Map<string, SenderSample[]>();
  /** Picture heights seen per sender peer id. */
  readonly heights = new Map<string, Set<number>>();
  /** Sending and receiving tracks seen over the run, and those without an encoded transform. */
  tracksSeen = 0;
  readonly bareTracks = new Set<string>();
  webrtcStart: WebrtcReport | null = null;
  webrtcEnd: WebrtcReport | null = null;
  left = false;
  /** Its impaired link, if the run impairs it. */
  link: ImpairedLink | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    readonly name: string,
    readonly kind: ParticipantKind,
    readonly identity: MediaIdentity,
    readonly driver: Driver,
    readonly errors: string[],
    private readonly closeBrowser: () => Promise<void>,
    link: ImpairedLink | null = null,
  ) {
    this.link = link;
  }

  /** What its impaired link relayed and dropped, or null if it is not impaired. */
  linkCounters(): LinkCounters | null {
    return this.link?.counters() ?? null;
  }

  static async launch(
    name: string,
    kind: ParticipantKind,
    identity: MediaIdentity,
    extraInitScripts: readonly string[] = [],
    impairment: Impairment = NO_IMPAIRMENT,
  ): Promise<BrowserParticipant> {
    const logLevel = pageLogLevel();
    const link = isImpaired(impairment) ? new ImpairedLink(impairment, linkSeed(name)) : null;
    const bindings: Record<string, (ip: string, port: number) => unknown> = link
      ? { [RELAY_BINDING]: (ip: string, port: number) => link.relay(ip, port) }
      : {};
    const initScripts = [
      ...(link ? [relayScript()] : []),
      probeScript(),
      webrtcProbeScript(),
      ...(logLevel === null
        ? []
        : [`localStorage.setItem('blindcall:log', ${JSON.stringify(logLevel)})`]),
      ...extraInitScripts,
    ];
    if (kind === 'chromium') {
      const browser: Chromium = await launchBrowser({
        args: [
          `--use-file-for-fake-video-capture=${await cameraFile(identity.colour)}`,
          `--use-file-for-fake-audio-capture=${toneFile(identity.toneHz)}`,
        ],
      });
      try {
        const handle = await openPage(browser, {
          initScripts,
          bindings,
          ...(logLevel === null
            ? {}
            : { onConsole: (type, text) => process.stdout.write(`[${name}] ${type} ${text}\n`) }),
        });
        return new BrowserParticipant(
          name,
          kind,
          identity,
          playwrightDriver(handle.page),
          handle.errors,
          () => browser.close(),
          link,
        );
      } catch (err) {
        link?.close();
        await browser.close().catch(() => undefined);
        throw err;
      }
    }
    const browser: Firefox = await launchFirefox();
    try {
      const handle = await openFirefoxPage(browser, {
        initScripts: [...initScripts, knownMediaScript(identity.colour, identity.toneHz)],
        bindings,
      });
      return new BrowserParticipant(
        name,
        kind,
        identity,
        handle.driver,
        handle.errors,
        () => browser.close(),
        link,
      );
    } catch (err) {
      link?.close();
      await browser.close().catch(() => undefined);
      throw err;
    }
  }

  /** Joins the call; records the time to join, or why it failed (never throws). */
  async join(link: string, timeoutMs: number): Promise<boolean> {
    this.joinClickAt = Date.now();
    try {
      this.peerId = await joinWithDriver(this.driver, link, this.name, timeoutMs);
      this.peerIds.add(this.peerId);
      this.joinMs = Date.now() - this.joinClickAt;
      return true;
    } catch (err) {
      this.joinError = err instanceof Error ? err.message : String(err);
      return false;
    }
  }

  /** Reads the page once and keeps what the checks need. */
  async sample(): Promise<Diagnostics | null> {
    if (this.peerId === null || this.left) return null;
    const d = await diagnostics(this.driver);
    const t = Date.now();
    this.last = d;
    if (d.selfPeerId !== null && d.selfPeerId !== this.peerId) {
      this.peerId = d.selfPeerId;
      this.peerIds.add(d.selfPeerId);
    }
    for (const s of d.senders) {
      this.seenPeers.set(s.peerId, (this.seenPeers.get(s.peerId) ?? false) || s.inRoster);
      let h = this.history.get(s.peerId);
      if (!h) this.history.set(s.peerId, (h = []));
      h.push({ t, framesDecrypted: s.framesDecrypted, failures: s.failures });
      if (this.firstFrameMs === null && s.framesDecrypted > 0 && this.joinClickAt !== null)
        this.firstFrameMs = t - this.joinClickAt;
    }
    return d;
  }

  /** Records the picture heights the page shows now (one per simulcast layer it is sent). */
  async sampleMedia(): Promise<ProbeReport | null> {
    if (this.peerId === null || this.left) return null;
    const report = await probeReport(this.driver);
    for (const v of report.video) {
      if (v.peerId === 'self' || v.source !== 'camera' || v.height === 0) continue;
      let set = this.heights.get(v.peerId);
      if (!set) this.heights.set(v.peerId, (set = new Set()));
      set.add(v.height);
    }
    return report;
  }

  /** The start of the measured window: probe counters reset, WebRTC totals noted. */
  async startMeasuring(): Promise<void> {
    if (this.peerId === null) return;
    await resetProbe(this.driver);
    this.webrtcStart = await this.sampleWebrtc();
  }

  async endMeasuring(): Promise<void> {
    if (this.peerId === null || this.left) return;
    this.webrtcEnd = await this.sampleWebrtc();
  }

  /** Reads the WebRTC probe and keeps every track seen without an encoded transform. */
  async sampleWebrtc(): Promise<WebrtcReport> {
    const r = await webrtcReport(this.driver);
    const tracks = [
      ...r.senders.map((e, i) => ({ ...e, id: `send ${e.kind} ${i}` })),
      ...r.receivers.map((e, i) => ({ ...e, id: `receive ${e.kind} ${i}` })),
    ];
    this.tracksSeen = Math.max(this.tracksSeen, tracks.length);
    for (const t of tracks) if (!t.transformed) this.bareTracks.add(t.id);
    return r;
  }

  probe(): Promise<ProbeReport> {
    return probeReport(this.driver);
  }

  webrtc(): Promise<WebrtcReport> {
    return webrtcReport(this.driver);
  }

  async toggle(control: 'camera' | 'screen'): Promise<void> {
    await this.driver.click(`[data-test=control-${control}]`);
  }

  /** Leaves the call through the app's own Leave button (the room is left, not abandoned). */
  async leave(): Promise<void> {
    if (this.peerId === null || this.left) return;
    this.left = true;
    await this.driver.click('[data-test=control-leave]').catch(() => undefined);
  }

  /** Idempotent: leaves, then closes the browser process. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await withTimeout(this.leave(), 5000);
      await this.closeBrowser().catch(() => undefined);
      this.link?.close();
    })();
    return this.closing;
  }
}

/** A link's drop pattern follows from the participant's name, so a rerun drops alike. */
function linkSeed(name: string): number {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/**
 * BLINDCALL_CALLTEST_LOG=debug|info|warn also sets the app's log level in each Chromium page and
 * prints its console lines, named by participant (the app logs ids and codes only, never keys,
 * names or chat). Unset, a page's console stays out of the run's output.
 */
function pageLogLevel(): 'debug' | 'info' | 'warn' | null {
  const level = process.env['BLINDCALL_CALLTEST_LOG'];
  return level === 'debug' || level === 'info' || level === 'warn' ? level : null;
}
