/**
 * People in a media test: each with their own Chromium (their own fake camera colour), one page,
 * the media probe installed, and optionally more init scripts. `closeAll()` in afterEach/afterAll.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { openPage, type PageHandle } from '../../../../calltest/browsers/chromium.js';
import {
  createRoomLink,
  diagnostics,
  joinCall,
  waitForCall,
  type Diagnostics,
} from '../../../../calltest/app.js';
import { ensureWebBuild, startSfu, type TestSfu } from '../../harness/servers.js';
import { setLogSink, type LogSink } from '../../../../sfu/logger.js';
import type { TappedProducer } from '../../../../sfu/testing/ProducerTap.js';
import { launchCamera, type Colour } from '../../../../calltest/media/fakeMedia.js';
import { probeScript } from '../../../../calltest/media/mediaProbe.js';

export interface Person {
  readonly name: string;
  readonly colour: Colour;
  readonly browser: Browser;
  readonly handle: PageHandle;
  readonly page: Page;
  /** Set once joined: the peer id the SFU gave this person. */
  peerId: string | null;
  /** Every signalling frame this page sent or received (the client uses WebSocket only). */
  readonly signalling: (string | Buffer)[];
  /** The page's most recent console lines (any level), to explain a failed join. */
  readonly console: string[];
}

/** Console lines kept per person. */
const CONSOLE_LINES = 100;

export interface PersonOptions {
  readonly initScripts?: readonly (string | (() => void))[];
  readonly browserArgs?: readonly string[];
  readonly viewport?: { width: number; height: number };
  /** What the media probe follows; by default video and audio. */
  readonly probe?: { audio?: boolean };
  /**
   * Benchmarks only: turn off the page's Content Security Policy so an init script may start the
   * frame worker from a blob (bench/e2e/frameTiming.ts). Tests never set it.
   */
  readonly bypassCSP?: boolean;
}

/** openPage() with the page's CSP off (benchmarks only). */
async function openPageWithoutCsp(
  browser: Browser,
  initScripts: readonly (string | (() => void))[],
  viewport = { width: 1280, height: 800 },
): Promise<PageHandle> {
  const context = await browser.newContext({
    viewport,
    permissions: ['camera', 'microphone'],
    bypassCSP: true,
  });
  for (const script of initScripts) {
    await context.addInitScript(typeof script === 'string' ? { content: script } : script);
  }
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return { context, page, errors, close: () => context.close() };
}

export class Cast {
  readonly people: Person[] = [];

  async person(name: string, colour: Colour, options: PersonOptions = {}): Promise<Person> {
    const browser = await launchCamera(colour, options.browserArgs);
    const initScripts = [probeScript(options.probe), ...(options.initScripts ?? [])];
    const handle = options.bypassCSP
      ? await openPageWithoutCsp(browser, initScripts, options.viewport)
      : await openPage(browser, {
          initScripts,
          ...(options.viewport ? { viewport: options.viewport } : {}),
        });
    const p: Person = {
      name,
      colour,
      browser,
      handle,
      page: handle.page,
      peerId: null,
      signalling: [],
      console: [],
    };
    handle.page.on('console', (msg) => {
      p.console.push(`${msg.type()}: ${msg.text()}`);
      if (p.console.length > CONSOLE_LINES) p.console.shift();
    });
    handle.page.on('websocket', (ws) => {
      ws.on('framesent', (f) => p.signalling.push(f.payload));
      ws.on('framereceived', (f) => p.signalling.push(f.payload));
    });
    this.people.push(p);
    return p;
  }

  async remove(p: Person): Promise<void> {
    const i = this.people.indexOf(p);
    if (i >= 0) this.people.splice(i, 1);
    await p.handle.close().catch(() => undefined);
    await p.browser.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    for (const p of [...this.people]) await this.remove(p);
  }
}

/**
 * Joins and records the peer id once the page has one. Throws, with what the page showed and
 * logged, if the join failed (the pre-join page shows an alert) or never got a peer id.
 */
export async function join(p: Person, link: string, timeoutMs = 60_000): Promise<void> {
  await joinCall(p.page, link, p.name);
  const deadline = Date.now() + timeoutMs;
  let d: Diagnostics | null = null;
  while (Date.now() < deadline) {
    d = await diagnostics(p.page);
    if (d.selfPeerId && d.phase !== 'connecting') {
      p.peerId = d.selfPeerId;
      return;
    }
    const alerts = await p.page
      .locator('[data-test=alert]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-code') ?? '?'));
    if (alerts.length > 0) throw joinFailure(p, `the page shows ${alerts.join(', ')}`, d);
    await p.page.waitForTimeout(100);
  }
  throw joinFailure(p, `no peer id after ${timeoutMs} ms`, d);
}

function joinFailure(p: Person, what: string, d: Diagnostics | null): Error {
  return new Error(
    `${p.name} could not join: ${what}; phase ${d?.phase ?? '?'}, events ` +
      `${JSON.stringify(d?.events ?? [])}; console:\n${p.console.join('\n')}\n` +
      `page errors: ${JSON.stringify(p.handle.errors)}`,
  );
}

export interface TappedSfu {
  readonly server: TestSfu;
  /** Every server log line since start (debug level). */
  readonly logs: string[];
  producers(): TappedProducer[];
  close(): Promise<void>;
}

/** The real SFU with the test-only producer tap, logging everything (debug) into `logs`. */
export async function startTappedSfu(): Promise<TappedSfu> {
  const logs: string[] = [];
  const sink: LogSink = { write: (line) => void logs.push(line) };
  const previous = setLogSink(sink);
  const server = await startSfu({ env: { BLINDCALL_TEST_HOOKS: '1', LOG_LEVEL: 'debug' } });
  const tap = server.sfu.tap;
  if (!tap) throw new Error('the SFU started without its test tap');
  return {
    server,
    logs,
    producers: () => [...tap.producers.values()],
    close: async () => {
      await server.close();
      setLogSink(previous);
    },
  };
}

/** A test file's tapped SFU and cast: started before its tests, closed after them. */
export interface TappedCall {
  readonly cast: Cast;
  /** Available once the file's `beforeAll` has run. */
  readonly sfu: TappedSfu;
}

export function useTappedCall(): TappedCall {
  const cast = new Cast();
  let sfu: TappedSfu | null = null;
  beforeAll(async () => {
    ensureWebBuild();
    sfu = await startTappedSfu();
  });
  afterAll(async () => {
    await cast.closeAll();
    await sfu?.close();
  });
  return {
    cast,
    get sfu(): TappedSfu {
      if (sfu === null) throw new Error('the tapped SFU has not started yet');
      return sfu;
    },
  };
}

/** Waits until the tap has seen packets of every `sources` producer of each of `people`. */
export async function waitForTappedMedia(
  sfu: TappedSfu,
  people: readonly Person[],
  sources: readonly string[] = ['camera', 'microphone'],
  timeoutMs = 30_000,
): Promise<void> {
  const missing = (): string[] =>
    people.flatMap((p) =>
      sources
        .filter(
          (source) =>
            !sfu
              .producers()
              // Enough packets for at least ten whole frames of every stream.
              .some((t) => t.peerId === p.peerId && t.source === source && t.packets.length >= 60),
        )
        .map((source) => `${p.name}'s ${source}`),
    );
  const deadline = Date.now() + timeoutMs;
  while (missing().length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const left = missing();
  if (left.length > 0) throw new Error(`the SFU never forwarded ${left.join(', ')}`);
}

/** Alice (red) and Bob (green) in a new room of `call`'s SFU, each decrypting the other. */
export async function aliceAndBob(
  call: TappedCall,
): Promise<{ alice: Person; bob: Person; link: string }> {
  const alice = await call.cast.person('Alice', 'red');
  const bob = await call.cast.person('Bob', 'green');
  const link = await createRoomLink(alice.page, call.sfu.server.url);
  await join(alice, link);
  await join(bob, link);
  await Promise.all([waitForCall(alice.page, 1), waitForCall(bob.page, 1)]);
  return { alice, bob, link };
}
