/**
 * What a browser test does to a page, whichever browser runs it: Chromium pages come from
 * playwright-core, Firefox pages from puppeteer-core (WebDriver BiDi). Helpers that only read
 * the page take an `InPage` (both libraries' pages are one); tests that also click and type take
 * a `Driver`.
 */
import type { Page as PlaywrightPage } from 'playwright-core';
import type { Page as PuppeteerPage } from 'puppeteer-core';

/** `page.evaluate`, as both playwright-core and puppeteer-core pages have it. */
export interface InPage {
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
}

export type BrowserName = 'chromium' | 'firefox';

export interface Driver extends InPage {
  readonly browserName: BrowserName;
  goto(url: string): Promise<void>;
  /** Types into the element (selectors reach into shadow roots). */
  fill(selector: string, text: string): Promise<void>;
  click(selector: string): Promise<void>;
  inputValue(selector: string): Promise<string>;
  isDisabled(selector: string): Promise<boolean>;
  /** `data-code` of every alert the page shows. */
  alerts(): Promise<string[]>;
  screenshot(file: string): Promise<void>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function playwrightDriver(page: PlaywrightPage): Driver {
  return {
    browserName: 'chromium',
    evaluate: page.evaluate.bind(page) as InPage['evaluate'],
    goto: async (url) => void (await page.goto(url)),
    fill: (selector, text) => page.locator(selector).fill(text),
    click: (selector) => page.locator(selector).click(),
    inputValue: (selector) => page.locator(selector).inputValue(),
    isDisabled: (selector) => page.locator(selector).isDisabled(),
    alerts: () =>
      page
        .locator('[data-test=alert]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-code') ?? '?')),
    screenshot: async (file) => void (await page.screenshot({ path: file })),
  };
}

/** Puppeteer's `pierce/` selectors look into open shadow roots, like playwright's CSS engine. */
const pierce = (selector: string): string => `pierce/${selector}`;

export function puppeteerDriver(page: PuppeteerPage): Driver {
  return {
    browserName: 'firefox',
    evaluate: (fn: (arg?: unknown) => unknown, arg?: unknown) => page.evaluate(fn, arg),
    goto: async (url) => void (await page.goto(url)),
    fill: (selector, text) => page.locator(pierce(selector)).fill(text),
    click: (selector) => page.locator(pierce(selector)).click(),
    inputValue: async (selector) => {
      const el = await page.locator(pierce(selector)).waitHandle();
      return el.evaluate((e) => (e as HTMLInputElement).value);
    },
    isDisabled: async (selector) => {
      const el = await page.locator(pierce(selector)).waitHandle();
      return el.evaluate((e) => (e as HTMLButtonElement).disabled);
    },
    alerts: async () => {
      const els = await page.$$(pierce('[data-test=alert]'));
      return Promise.all(els.map((e) => e.evaluate((x) => x.getAttribute('data-code') ?? '?')));
    },
    screenshot: async (file) => void (await page.screenshot({ path: file })),
  };
}
