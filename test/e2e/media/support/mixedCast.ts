/**
 * People of a mixed-browser call: Chromium people from the media tests' Cast (their own y4m
 * camera colour), Firefox people each in their own firefox-esr process (prefs are per process),
 * optionally with a known picture and beep (support/firefoxMedia.ts) instead of Firefox's
 * generated camera. Every person is driven through the same `Driver`.
 */
import type { Browser as Firefox } from 'puppeteer-core';
import { afterAll } from 'vitest';
import {
  playwrightDriver,
  sleep,
  type BrowserName,
  type Driver,
} from '../../../../calltest/browsers/driver.js';
import { diagnostics, type Diagnostics } from '../../../../calltest/app.js';
import {
  launchFirefox,
  openFirefoxPage,
  type FirefoxPageHandle,
} from '../../../../calltest/browsers/firefox.js';
import type { Colour } from '../../../../calltest/media/fakeMedia.js';
import { knownMediaScript } from '../../../../calltest/media/firefoxMedia.js';
import { probeScript } from '../../../../calltest/media/mediaProbe.js';
import type { Cast, Person, TappedCall } from './participants.js';

export interface Participant {
  readonly name: string;
  /** The colour receivers should see; null for Firefox's own generated camera. */
  readonly colour: Colour | null;
  readonly browserName: BrowserName;
  readonly driver: Driver;
  peerId: string | null;
  readonly console: readonly string[];
  readonly errors: readonly string[];
  /** The Chromium person behind this participant, if it is one. */
  readonly person: Person | null;
}

export interface FirefoxOptions {
  /** Paint this colour with frame numbers (and beep); without it, Firefox's own fake camera. */
  readonly colour?: Colour;
  readonly prefs?: Readonly<Record<string, boolean | number | string>>;
  readonly initScripts?: readonly string[];
  readonly probe?: { audio?: boolean };
  /** Run headful on this X display (calltest/browsers/virtualDisplay.ts), to share a screen. */
  readonly display?: string;
}

export class MixedCast {
  private readonly firefoxes = new Map<
    Participant,
    { browser: Firefox; handle: FirefoxPageHandle }
  >();

  constructor(private readonly cast: Cast) {}

  async chromium(
    name: string,
    colour: Colour,
    initScripts: readonly string[] = [],
  ): Promise<Participant> {
    const person = await this.cast.person(name, colour, { initScripts });
    return {
      name,
      colour,
      browserName: 'chromium',
      driver: playwrightDriver(person.page),
      get peerId() {
        return person.peerId;
      },
      set peerId(id) {
        person.peerId = id;
      },
      console: person.console,
      errors: person.handle.errors,
      person,
    };
  }

  async firefox(name: string, options: FirefoxOptions = {}): Promise<Participant> {
    const browser = await launchFirefox(options.prefs, options.display);
    const handle = await openFirefoxPage(browser, {
      initScripts: [
        probeScript(options.probe),
        ...(options.colour ? [knownMediaScript(options.colour)] : []),
        ...(options.initScripts ?? []),
      ],
    });
    const p: Participant = {
      name,
      colour: options.colour ?? null,
      browserName: 'firefox',
      driver: handle.driver,
      peerId: null,
      console: handle.console,
      errors: handle.errors,
      person: null,
    };
    this.firefoxes.set(p, { browser, handle });
    return p;
  }

  async remove(p: Participant): Promise<void> {
    if (p.person) return this.cast.remove(p.person);
    const ff = this.firefoxes.get(p);
    this.firefoxes.delete(p);
    await ff?.handle.close().catch(() => undefined);
    await ff?.browser.close().catch(() => undefined);
  }

  /** The Firefox process's own version string, e.g. "firefox/153.8.0esr". */
  firefoxVersion(p: Participant): Promise<string> | null {
    return this.firefoxes.get(p)?.browser.version() ?? null;
  }

  async closeAll(): Promise<void> {
    for (const p of [...this.firefoxes.keys()]) await this.remove(p);
    await this.cast.closeAll();
  }
}

/**
 * A MixedCast for one test file, whose Firefox processes are closed after the file's tests: they
 * are not children the Chromium Cast knows of, and left running they outlive the test run.
 */
export function useMixedCast(call: TappedCall): MixedCast {
  const cast = new MixedCast(call.cast);
  afterAll(() => cast.closeAll());
  return cast;
}

/**
 * Joins from the pre-join page and records the peer id; throws with what the page showed. With
 * `{ rejoin: true }` it starts from the page shown after Leave and presses Rejoin, as a person would (a
 * goto() to the same link is only a fragment change there: the page would not reload).
 */
export async function joinAs(
  p: Participant,
  link: string | { rejoin: true },
  timeoutMs = 60_000,
): Promise<void> {
  if (typeof link === 'string') await p.driver.goto(link);
  else await p.driver.click('[data-test=rejoin]');
  await p.driver.fill('[data-test=display-name]', p.name);
  await p.driver.click('[data-test=join]');
  const deadline = Date.now() + timeoutMs;
  let d: Diagnostics | null = null;
  while (Date.now() < deadline) {
    d = await diagnostics(p.driver);
    if (d.selfPeerId && d.phase !== 'connecting') {
      p.peerId = d.selfPeerId;
      return;
    }
    const alerts = await p.driver.alerts();
    if (alerts.length > 0) throw joinFailure(p, `the page shows ${alerts.join(', ')}`, d);
    await sleep(100);
  }
  // Busy (disabled, "Joining…") means the join started and hangs; enabled means it never started.
  const form = await p.driver
    .isDisabled('[data-test=join]')
    .then((disabled) => (disabled ? 'the Join button is busy' : 'the Join button is enabled'))
    .catch(() => 'no Join button');
  throw joinFailure(p, `no peer id after ${timeoutMs} ms (${form})`, d);
}

function joinFailure(p: Participant, what: string, d: Diagnostics | null): Error {
  return new Error(
    `${p.name} (${p.browserName}) could not join: ${what}; phase ${d?.phase ?? '?'}, events ` +
      `${JSON.stringify(d?.events ?? [])}; console:\n${p.console.join('\n')}\n` +
      `page errors: ${JSON.stringify(p.errors)}`,
  );
}
