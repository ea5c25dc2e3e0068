/**
 * Browser-test harness: Debian's Chromium through playwright-core, with fake camera and
 * microphone. Each participant gets its own BrowserContext, so identities (IndexedDB) and
 * storage are separate, as on separate devices.
 *
 * Extra Chromium flags (e.g. `--use-file-for-fake-video-capture=<y4m>`) can be passed per page.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  // Several pages share one machine: keep background tabs rendering and decoding at full rate.
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
];

export interface LaunchOptions {
  /** Extra Chromium flags, e.g. a y4m file for the fake camera. */
  readonly args?: readonly string[];
}

export function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...BASE_ARGS, ...(options.args ?? [])],
  });
}

export interface PageOptions {
  readonly viewport?: { width: number; height: number };
  /** Scripts run in the page before the app (e.g. to simulate a browser without a feature). */
  readonly initScripts?: readonly (string | (() => void))[];
  /** Collects console errors and page errors in `PageHandle.errors`. Default true. */
  readonly collectErrors?: boolean;
  /** Receives every console line of the page (its type and text). */
  readonly onConsole?: (type: string, text: string) => void;
  /** Functions the page can call (`window[name](...)`, answered in this process). */
  readonly bindings?: Readonly<Record<string, (...args: never[]) => unknown>>;
}

export interface PageHandle {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly errors: string[];
  close(): Promise<void>;
}

export async function openPage(browser: Browser, options: PageOptions = {}): Promise<PageHandle> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    permissions: ['camera', 'microphone', 'clipboard-read', 'clipboard-write'],
  });
  for (const [name, fn] of Object.entries(options.bindings ?? {}))
    await context.exposeFunction(name, fn);
  for (const script of options.initScripts ?? []) {
    await context.addInitScript(typeof script === 'string' ? { content: script } : script);
  }
  const page = await context.newPage();
  const errors: string[] = [];
  const onConsole = options.onConsole;
  if (onConsole) page.on('console', (msg) => onConsole(msg.type(), msg.text()));
  if (options.collectErrors ?? true) {
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    });
  }
  return { context, page, errors, close: () => context.close() };
}
