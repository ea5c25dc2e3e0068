/**
 * A test file's SFU and one shared browser: started before its tests, closed after them together
 * with every page opened through `openPage`.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import {
  launchBrowser,
  openPage,
  type PageHandle,
  type PageOptions,
} from '../../../calltest/browsers/chromium.js';
import { ensureWebBuild, startSfu, type TestSfu } from './servers.js';

export interface CallFixture {
  /** Available once the file's `beforeAll` has run. */
  readonly sfu: TestSfu;
  readonly browser: Browser;
  /** A new page (its own context) in the shared browser, closed after the file. */
  openPage(options?: PageOptions): Promise<PageHandle>;
}

export function useCallFixture(): CallFixture {
  let sfu: TestSfu | null = null;
  let browser: Browser | null = null;
  const handles: PageHandle[] = [];
  beforeAll(async () => {
    ensureWebBuild();
    sfu = await startSfu();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const h of handles) await h.close().catch(() => undefined);
    await browser?.close();
    await sfu?.close();
  });
  const started = <T>(value: T | null, what: string): T => {
    if (value === null) throw new Error(`the ${what} has not started yet`);
    return value;
  };
  return {
    get sfu(): TestSfu {
      return started(sfu, 'SFU');
    },
    get browser(): Browser {
      return started(browser, 'browser');
    },
    async openPage(options?: PageOptions): Promise<PageHandle> {
      const handle = await openPage(started(browser, 'browser'), options);
      handles.push(handle);
      return handle;
    },
  };
}
