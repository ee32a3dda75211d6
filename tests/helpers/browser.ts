// Drives Debian's chromium (playwright-core, no downloaded browser) over pages of a running service, at the widths
// a reader meets: a laptop and a phone. One browser per test file; one context per page and width.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** git-ignored: for a reviewer to look at after a run */
export const SCREENSHOTS = new URL('../../screenshots/', import.meta.url).pathname;
export const WIDTHS = [1280, 390] as const;

/** A page the tests visit: its path, the status it answers with, and a Chinese text it shows. */
export interface PageCase {
  name: string;
  path: string;
  status: number;
  /** text in Chinese on the page, whose rendering font is checked; none for a page with no Chinese on it */
  chinese?: string;
}

export interface OpenBrowser {
  browser: Browser;
  close: () => Promise<void>;
}

/** Fails with what to install when chromium is missing: the browser tests are part of npm test, not optional. */
export async function launchChromium(): Promise<OpenBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the browser tests need Debian's chromium and fonts-noto-cjk `
      + '(apt-get install chromium fonts-noto-cjk; .ci/run installs them), or CHROMIUM_PATH set to a Chromium binary');
  }
  const profile = await mkdtemp(join(tmpdir(), 'tributary-chromium-'));
  // launchPersistentContext is the one way to give playwright a user-data-dir; the contexts of the tests are
  // made from the browser it belongs to.
  const persistent = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const browser = persistent.browser()!;
  return {
    browser,
    close: async () => {
      await persistent.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface Visit {
  context: BrowserContext;
  page: Page;
  status: number;
  /** console messages of type error and uncaught exceptions, as they came */
  errors: string[];
}

/** Opens one page at one width in a context of its own (clipboard permissions granted for the copy buttons). */
const BLANK_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export async function visit(browser: Browser, base: string, pageCase: PageCase, width: number): Promise<Visit> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  // The summaries' images live on the sources' hosts, which tests do not reach (127.0.0.1 only): they get a blank
  // pixel, so a console error can only be the service's own.
  const origin = new URL(base).origin;
  await context.route((target) => target.origin !== origin, (route) => route.fulfill({ status: 200, contentType: 'image/gif', body: BLANK_GIF }));
  const page = await context.newPage();
  const errors: string[] = [];
  const url = `${base}${pageCase.path}`;
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // the browser reports a page's own error status as a failed load: expected for the error pages
    if (pageCase.status >= 400 && message.location().url === url && message.text().includes(`status of ${pageCase.status}`)) return;
    errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  const response = await page.goto(url, { waitUntil: 'load' });
  await page.evaluate(() => document.fonts.ready);
  return { context, page, status: response?.status() ?? 0, errors };
}

/** How far the page reaches past the viewport on the right (0: no horizontal scrolling). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/**
 * The fonts Chromium actually drew the element holding `text` with (CSS.getPlatformFontsForNode): a CJK font when the
 * text is readable, none of them when it fell back to boxes (tofu).
 */
export async function fontsRendering(page: Page, text: string): Promise<string[]> {
  const marked = await page.evaluate((wanted) => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.textContent?.includes(wanted) && node.parentElement) {
        node.parentElement.setAttribute('data-font-probe', '');
        return true;
      }
    }
    return false;
  }, text);
  if (!marked) throw new Error(`no element shows "${text}"`);
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '[data-font-probe]' });
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    return fonts.map((font) => font.familyName);
  } finally {
    await cdp.detach();
    await page.evaluate(() => document.querySelector('[data-font-probe]')?.removeAttribute('data-font-probe'));
  }
}

/**
 * Clicks the copy button `selector` and returns what the clipboard then holds (the feed URL it should copy).
 * For the feed pages' subscribe boxes.
 */
export async function copiedBy(page: Page, selector: string): Promise<string> {
  await page.evaluate(() => navigator.clipboard.writeText(''));
  await page.click(selector);
  return page.evaluate(() => navigator.clipboard.readText());
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
