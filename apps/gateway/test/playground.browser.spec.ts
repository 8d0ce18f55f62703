import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The web playground (apps/gateway/src/playground) in headless Chromium, against the real
 * stack: every backend with its bundled ONNX models, video jobs over Kafka, and the gateway
 * (test/stack.ts). Each page picks a model, generates, and must show a non-blank result without
 * a console or page error; a screenshot of each lands in test-artifacts/playground/<page>.png.
 *
 * CHROMIUM_PATH overrides /usr/bin/chromium (tools/install.sh installs Debian's); with
 * PLAYGROUND_GATEWAY_URL set the spec uses that running gateway instead of starting a stack.
 */

/*
 * The callbacks handed to page.evaluate / $eval run in Chromium, not in Node. The project
 * compiles without the DOM lib, so the little of the browser they touch is declared here, for
 * this file only.
 */
interface PageElement {
  readonly tagName: string;
  readonly dataset: Record<string, string | undefined>;
  readonly textContent: string | null;
  removeAttribute(name: string): void;
}
interface PageSelect extends PageElement {
  readonly options: ArrayLike<PageElement>;
}
interface PageMedia extends PageElement {
  readonly currentTime: number;
  readonly videoWidth: number;
  readonly videoHeight: number;
  play(): Promise<void>;
}
interface PageImage extends PageElement {
  readonly naturalWidth: number;
  readonly naturalHeight: number;
  decode(): Promise<void>;
}
interface PageContext2D {
  drawImage(source: unknown, x: number, y: number, width: number, height: number): void;
  getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray };
}
interface PageCanvas extends PageElement {
  width: number;
  height: number;
  getContext(kind: '2d', options?: { willReadFrequently?: boolean }): PageContext2D | null;
}
interface PageModelViewer extends PageElement {
  readonly modelIsVisible: boolean;
  toBlob(options?: { mimeType?: string }): Promise<Blob>;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  createElement(tag: 'canvas'): PageCanvas;
};
declare function createImageBitmap(source: Blob): Promise<{ width: number; height: number }>;

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'playground');
const GENERATION_TIMEOUT_MS = 120_000;

let browser: Browser | undefined;
let gatewayUrl = '';
let stopStack: (() => Promise<void>) | undefined;
let stackOutput: () => string = () => '';
/** Why the browser or the stack did not start: every test fails with it (none is skipped). */
let setupError: Error | undefined;

async function setUp(): Promise<void> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the playground browser tests need it. Install it with ` +
        '`bash tools/install.sh` (apt-get install chromium) or point CHROMIUM_PATH at a Chromium binary.',
    );
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--autoplay-policy=no-user-gesture-required',
      // WebGL (model-viewer) on the CPU: SwiftShader through ANGLE.
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ],
  });
  const external = process.env['PLAYGROUND_GATEWAY_URL'];
  if (external) {
    gatewayUrl = external.replace(/\/+$/, '');
  } else {
    const { startStack } = await import('./stack');
    const stack = await startStack();
    gatewayUrl = stack.gatewayUrl;
    stopStack = () => stack.stop();
    stackOutput = () => stack.output();
  }
}

beforeAll(async () => {
  try {
    await setUp();
  } catch (error) {
    setupError = error instanceof Error ? error : new Error(String(error));
  }
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stopStack?.();
}, 60_000);

/** A fresh page that records every console error, page error and failed (HTTP >= 400) response. */
async function open(
  path: string,
): Promise<{ page: Page; context: BrowserContext; problems: string[] }> {
  if (setupError) throw setupError;
  if (!browser) throw new Error('the browser did not start');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400)
      problems.push(`HTTP ${response.status()} ${response.request().method()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? '';
    // A blob: URL revoked while a replaced <img> still loads is not a failure of the page.
    if (!request.url().startsWith('blob:'))
      problems.push(`request failed: ${request.url()} ${failure}`);
  });
  await page.goto(`${gatewayUrl}/${path}`);
  return { page, context, problems };
}

/** Waits for the models to load, then selects the one named `name` (by its option's data-name). */
async function chooseModel(page: Page, name: string): Promise<void> {
  await page.waitForSelector('#generate:enabled', { timeout: 30_000 });
  const index = await page.$eval(
    '#model',
    (select, wanted) =>
      Array.from((select as unknown as PageSelect).options).findIndex(
        (o) => o.dataset['name'] === wanted,
      ),
    name,
  );
  if (index < 0) {
    const offered = await page.$$eval('#model option', (os) => os.map((o) => o.textContent));
    throw new Error(`model ${name} is not offered; the page lists ${offered.join(', ')}`);
  }
  await page.selectOption('#model', { index });
}

/** The data-<key> attribute of the element `selector` matches. */
function dataOf(page: Page, selector: string, key: string): Promise<string | undefined> {
  return page.$eval(selector, (el, k) => (el as unknown as PageElement).dataset[k], key);
}

/** Waits until data-<key> of `selector` is one of `values` (or the page shows an error). */
async function waitForData(
  page: Page,
  selector: string,
  key: string,
  values: string[],
  timeout = GENERATION_TIMEOUT_MS,
): Promise<string | undefined> {
  await page.waitForFunction(
    ([sel, k, wanted]) => {
      const data = document.querySelector(sel as string)?.dataset ?? {};
      return (wanted as string[]).includes(data[k as string] ?? '') || data['state'] === 'error';
    },
    [selector, key, values] as const,
    { timeout },
  );
  return dataOf(page, selector, key);
}

/** Plays the <video> or <audio> `selector` matches and waits until its clock has moved. */
async function playUntilTimeMoves(page: Page, selector: string): Promise<void> {
  await page.$eval(selector, (el) => (el as unknown as PageMedia).play());
  await page.waitForFunction(
    (sel) => ((document.querySelector(sel) as PageMedia | null)?.currentTime ?? 0) > 0,
    selector,
    { timeout: 15_000 },
  );
}

/** Waits until the status line (`statusSelector`) reaches done; an error state fails with its text. */
async function waitDone(page: Page, statusSelector = '#status', errorSelector = '#error') {
  await page.waitForFunction(
    (selector) => {
      const state = document.querySelector(selector)?.dataset['state'];
      return state === 'done' || state === 'error' || state === 'cancelled';
    },
    statusSelector,
    { timeout: GENERATION_TIMEOUT_MS },
  );
  const state = await dataOf(page, statusSelector, 'state');
  if (state !== 'done') {
    const text = await page.textContent(statusSelector);
    const error = await page.textContent(errorSelector).catch(() => '');
    throw new Error(`generation ended ${state}: ${text} ${error ?? ''}`);
  }
}

interface PixelStats {
  width: number;
  height: number;
  /** Distinct RGBA values (capped at 1000). */
  distinct: number;
  /** Luminance range, 0 … 255. */
  range: number;
}

/**
 * Pixel statistics of what the selected element shows, read in the page: an <img> or <video>
 * (its current frame) drawn into a canvas, a <canvas> read directly, a <model-viewer> through
 * its own toBlob() render.
 */
async function pixels(page: Page, selector: string): Promise<PixelStats> {
  return page.$eval(selector, async (element) => {
    const el = element as unknown as PageElement;
    let source: unknown;
    let width: number;
    let height: number;
    if (el.tagName === 'IMG') {
      const img = el as PageImage;
      await img.decode();
      source = img;
      width = img.naturalWidth;
      height = img.naturalHeight;
    } else if (el.tagName === 'VIDEO') {
      const video = el as PageMedia;
      source = video;
      width = video.videoWidth;
      height = video.videoHeight;
    } else if (el.tagName === 'CANVAS') {
      const canvas = el as PageCanvas;
      source = canvas;
      width = canvas.width;
      height = canvas.height;
    } else if (el.tagName === 'MODEL-VIEWER') {
      const viewer = el as PageModelViewer;
      const bitmap = await createImageBitmap(await viewer.toBlob({ mimeType: 'image/png' }));
      source = bitmap;
      width = bitmap.width;
      height = bitmap.height;
    } else {
      throw new Error(`cannot read the pixels of <${el.tagName.toLowerCase()}>`);
    }
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(source, 0, 0, width, height);
    const data = ctx.getImageData(0, 0, width, height).data;
    const seen = new Set<number>();
    let lo = 255;
    let hi = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (seen.size < 1000)
        seen.add(
          ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0,
        );
      const alpha = data[i + 3]! / 255;
      const lum = (0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!) * alpha;
      if (lum < lo) lo = lum;
      if (lum > hi) hi = lum;
    }
    return { width, height, distinct: seen.size, range: Math.round(hi - lo) };
  });
}

function expectNonBlank(stats: PixelStats, what: string): void {
  expect(stats.width * stats.height, `${what}: has no pixels`).toBeGreaterThan(0);
  expect(
    stats.distinct,
    `${what}: every pixel is the same (${JSON.stringify(stats)})`,
  ).toBeGreaterThan(1);
  expect(stats.range, `${what}: nearly blank (${JSON.stringify(stats)})`).toBeGreaterThan(16);
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

function expectNoProblems(problems: string[]): void {
  expect(problems, `console/page/network errors:\n${problems.join('\n')}`).toEqual([]);
}

/** Runs `body` on a fresh page and closes it; a failure carries the stack's output. */
async function onPage(
  path: string,
  body: (page: Page, problems: string[]) => Promise<void>,
): Promise<void> {
  const { page, context, problems } = await open(path);
  try {
    await body(page, problems);
  } catch (error) {
    const output = stackOutput();
    if (error instanceof Error && output)
      error.message += `\n--- stack output (tail)\n${output.slice(-4000)}`;
    throw error;
  } finally {
    await context.close();
  }
}

describe('playground (headless Chromium, real stack)', () => {
  it('overview: lists every backend up with its models', async () => {
    await onPage('', async (page, problems) => {
      await waitDone(page);
      expect(await page.textContent('#status')).toContain('5 of 5 backends up');
      for (const service of ['image', 'video', 'timeseries', 'audio', 'shape'])
        expect(
          await page.$$eval(`[data-service="${service}"] [data-models] li`, (lis) => lis.length),
          service,
        ).toBeGreaterThan(0);
      await screenshot(page, 'index');
      expectNoProblems(problems);
    });
  });

  it('image: VAR previews per scale stream in, then the final images', async () => {
    await onPage('image.html', async (page, problems) => {
      await chooseModel(page, 'var-mnist');
      await page.fill('#class-label', '7');
      await page.fill('#num-images', '2');
      await page.fill('#seed', '11');
      await page.click('#generate');
      await waitDone(page);
      expect(await page.locator('#previews img').count()).toBeGreaterThan(1);
      expectNonBlank(await pixels(page, '#preview'), 'latest preview');
      const images = page.locator('#images img.result');
      expect(await images.count()).toBe(2);
      for (let i = 0; i < 2; i++)
        expectNonBlank(
          await pixels(page, `#images figure:nth-child(${i + 1}) img`),
          `image ${i + 1}`,
        );
      await screenshot(page, 'image');
      expectNoProblems(problems);
    });
  });

  it('image: a request the service refuses shows its google.rpc field violations', async () => {
    await onPage('image.html', async (page, problems) => {
      await chooseModel(page, 'var-mnist');
      // The page limits the class to the model's range; lift that to reach the service's check.
      await page.$eval('#class-label', (input) =>
        (input as unknown as PageElement).removeAttribute('max'),
      );
      await page.fill('#class-label', '99');
      await page.click('#generate');
      await page.waitForSelector('#error:not([hidden]) .violations li', { timeout: 30_000 });
      expect(await page.textContent('#error')).toMatch(/INVALID_ARGUMENT/);
      expect(await page.textContent('#error .violations')).toMatch(/class_label|classLabel/);
      expect(await page.getAttribute('#class-label', 'aria-invalid')).toBe('true');
      expect(await dataOf(page, '#status', 'state')).toBe('error');
      // The 400 is the one expected failure (Chromium also logs it to the console).
      expect(problems.filter((p) => !/\b400\b/.test(p))).toEqual([]);
    });
  });

  it('video: frames as they arrive, then the MP4 plays', async () => {
    await onPage('video.html', async (page, problems) => {
      await chooseModel(page, 'nbp-mmnist');
      await page.fill('#digits', '3,7');
      await page.fill('#frames', '8');
      await page.fill('#seed', '5');
      await page.selectOption('#format', 'mp4');
      await page.click('#generate');
      await waitDone(page);
      expect(await page.locator('#frames-strip img').count()).toBe(8);
      expectNonBlank(await pixels(page, '#frame'), 'latest frame');
      expectNonBlank(await pixels(page, '#frames-strip figure:first-child img'), 'first frame');
      await playUntilTimeMoves(page, '#clip-box video');
      expectNonBlank(await pixels(page, '#clip-box video'), 'clip frame');
      await screenshot(page, 'video');
      expectNoProblems(problems);
    });
  });

  it('video job: submit, watch progress to SUCCEEDED, download and play the output', async () => {
    await onPage('video.html', async (page, problems) => {
      await chooseModel(page, 'nbp-mmnist');
      await page.fill('#digits', '2');
      await page.fill('#seed', '9');
      await page.fill('#job-frames', '16');
      await page.fill('#job-chunk', '4');
      await page.selectOption('#job-format', 'mp4');
      await page.click('#job-submit');
      await waitForData(page, '#job-status', 'jobState', ['JOB_STATE_SUCCEEDED']);
      expect(await page.textContent('#job-status')).toMatch(/succeeded · 4\/4 chunks/);
      expect(await page.locator('#job-events li').count()).toBeGreaterThan(1);
      await page.click('#job-download');
      await page.waitForSelector('#job-output[data-state="loaded"] video', { timeout: 30_000 });
      await playUntilTimeMoves(page, '#job-output video');
      expectNonBlank(await pixels(page, '#job-output video'), 'job output frame');
      await screenshot(page, 'video-job');
      expectNoProblems(problems);
    });
  });

  it('video job: a long job shows progress and ends CANCELLED when cancelled', async () => {
    await onPage('video.html', async (page, problems) => {
      await chooseModel(page, 'nbp-mmnist');
      await page.fill('#digits', '4');
      await page.fill('#job-frames', '4000');
      await page.fill('#job-chunk', '4');
      await page.click('#job-submit');
      // Progress: running with at least one chunk done.
      await page.waitForFunction(
        () => {
          const text = document.querySelector('#job-status')!.textContent ?? '';
          return /running · [1-9]\d*\/\d+ chunks/.test(text);
        },
        null,
        { timeout: GENERATION_TIMEOUT_MS },
      );
      await page.click('#job-cancel');
      const final = await waitForData(
        page,
        '#job-status',
        'jobState',
        ['JOB_STATE_CANCELLED', 'JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED'],
        60_000,
      );
      expect(final, (await page.textContent('#job-status')) ?? '').toBe('JOB_STATE_CANCELLED');
      expect(await page.isDisabled('#job-download')).toBe(true);
      expectNoProblems(problems);
    });
  });

  it('audio: playback starts from the first PCM chunk, then the WAV plays', async () => {
    await onPage('audio.html', async (page, problems) => {
      await chooseModel(page, 'musicgen-notes');
      await page.fill('#seconds', '0.5');
      await page.fill('#seed', '3');
      await page.click('#generate');
      await waitDone(page);
      expect(await page.getAttribute('#stream-info', 'data-started')).toBe('true');
      // The WebAudio clock has played streamed samples.
      await page.waitForFunction(
        () => Number(document.querySelector('#stream-info')?.dataset['playedSeconds']) > 0,
        null,
        { timeout: 15_000 },
      );
      expectNonBlank(await pixels(page, '#waveform'), 'waveform');
      await playUntilTimeMoves(page, '#player');
      await screenshot(page, 'audio');
      expectNoProblems(problems);
    });
  });

  it('shape: level previews, then the GLB in <model-viewer> renders', async () => {
    await onPage('shape.html', async (page, problems) => {
      await chooseModel(page, 'shape-octree');
      await page.fill('#seed', '4');
      await page.click('#generate');
      await waitDone(page);
      expect(await page.locator('#levels img:not([hidden])').count()).toBeGreaterThan(1);
      expectNonBlank(await pixels(page, '#levels figure:last-child img'), 'finest level preview');
      expect(await page.getAttribute('#viewer', 'data-loaded')).toBe('true');
      await page.waitForFunction(
        () => (document.querySelector('#viewer') as PageModelViewer | null)?.modelIsVisible,
        null,
        { timeout: 30_000 },
      );
      expectNonBlank(await pixels(page, '#viewer'), 'model-viewer render');
      await screenshot(page, 'shape');
      expectNoProblems(problems);
    });
  });

  it('timeseries: the pretrained forecaster draws history, point forecast and quantile band', async () => {
    await onPage('timeseries.html', async (page, problems) => {
      await chooseModel(page, 'chronos-corpus');
      await page.fill('#horizon', '12');
      await page.fill('#paths', '20');
      await page.fill('#seed', '2');
      await page.click('#generate');
      await waitDone(page);
      expect(await page.getAttribute('#chart', 'data-drawn')).toBe('true');
      expectNonBlank(await pixels(page, '#chart'), 'chart');
      expect(await page.textContent('#facts')).toMatch(/CHRONOS/);
      await screenshot(page, 'timeseries');
      expectNoProblems(problems);
    });
  });
});
