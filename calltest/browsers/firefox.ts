/**
 * Firefox for browser tests: Debian's firefox-esr driven by puppeteer-core over WebDriver BiDi
 * (no geckodriver, no downloaded browser). Fake camera and microphone, loopback ICE and autoplay
 * come from prefs, which apply to a whole browser process; each page gets its own browser context,
 * so identities (IndexedDB) and storage are separate, as on separate devices.
 *
 * getUserMedia needs a secure context: pages must be on http://127.0.0.1 (the test SFU's URL).
 */
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';
import { puppeteerDriver, type Driver } from './driver.js';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export const FIREFOX_PREFS: Readonly<Record<string, boolean | number | string>> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // Camera and microphone allowed for every origin. Without a grant (the prompt is skipped, not
  // answered), Firefox gathers ICE candidates only on the default route's interface (RFC 8828
  // mode 2, "use only default local addresses: yes" in its nICEr log), never on loopback, so it
  // cannot pair with the test SFU's 127.0.0.1 candidates: ICE fails and no media flows.
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  // No sound card here: without cubeb's mock backend every AudioContext stays 'suspended', so the
  // media probe hears nothing and a Web Audio microphone (support/firefoxMedia.ts) is silent.
  'media.cubeb.force_mock_context': true,
  // Several pages share one machine: keep background pages' timers at full rate.
  'dom.min_background_timeout_value': 4,
};

/** Switches RTCRtpScriptTransform off (a Firefox that cannot encrypt frames). */
export const NO_SCRIPT_TRANSFORM_PREFS = { 'media.peerconnection.scripttransform.enabled': false };

/**
 * `display`: run headful on this X display (a VirtualDisplay) instead of headless, for a test that
 * shares a screen: headless Firefox has none to capture.
 */
export function launchFirefox(
  prefs: Readonly<Record<string, boolean | number | string>> = {},
  display?: string,
): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: display === undefined,
    ...(display === undefined ? {} : { env: { ...process.env, DISPLAY: display } }),
    extraPrefsFirefox: { ...FIREFOX_PREFS, ...prefs },
  });
}

export interface FirefoxPageOptions {
  readonly viewport?: { width: number; height: number };
  /** Scripts run in every document of the page before the app's own. */
  readonly initScripts?: readonly (string | (() => void))[];
  /** Functions the page can call (`window[name](...)`, answered in this process). */
  readonly bindings?: Readonly<Record<string, (...args: never[]) => unknown>>;
}

export interface FirefoxPageHandle {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly driver: Driver;
  /** Page errors and console errors. */
  readonly errors: string[];
  /** The most recent console lines, any level. */
  readonly console: string[];
  close(): Promise<void>;
}

const CONSOLE_LINES = 100;

export async function openFirefoxPage(
  browser: Browser,
  options: FirefoxPageOptions = {},
): Promise<FirefoxPageHandle> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(options.viewport ?? { width: 1280, height: 800 });
  for (const [name, fn] of Object.entries(options.bindings ?? {}))
    await page.exposeFunction(name, fn);
  for (const script of options.initScripts ?? []) {
    await page.evaluateOnNewDocument(
      typeof script === 'string' ? script : `(${script.toString()})()`,
    );
  }
  const errors: string[] = [];
  const lines: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${String(err)}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    lines.push(`${msg.type()}: ${msg.text()}`);
    if (lines.length > CONSOLE_LINES) lines.shift();
  });
  return {
    context,
    page,
    driver: puppeteerDriver(page),
    errors,
    console: lines,
    close: () => context.close(),
  };
}

/** "Mozilla Firefox 153.8.0esr", as the browser reports it. */
export async function firefoxVersion(browser: Browser): Promise<string> {
  return browser.version();
}
