/**
 * The official Clickstream Analytics Web SDK (`@aws/clickstream-web`), bundled with esbuild into a
 * page served from another origin than the API, in headless Chromium (Debian's `chromium`,
 * driven by puppeteer-core), sends to the local stack; every event it sent, and one
 * `navigator.sendBeacon`, must be found in S3. Outside `npm test` (it needs the chromium
 * package): `npm run test:browser`, which .ci/run runs after installing chromium with apt.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { Browser } from 'puppeteer-core';
import type { Stack } from '../../local/stack.ts';
import { launchChromium, type Chromium } from '../helpers/chromium.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { readLocalObjects, waitFor } from '../helpers/local-s3.ts';

const CUSTOM_EVENTS = 20;

async function bundleSdk(): Promise<string> {
  const out = await build({
    stdin: {
      contents:
        "import { ClickstreamAnalytics, SendMode } from '@aws/clickstream-web'; Object.assign(window, { ClickstreamAnalytics, SendMode });",
      resolveDir: process.cwd(),
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/** The web site: its own origin (http://localhost:<port>), serving the page and the SDK bundle. */
async function startSite(sdk: string): Promise<{ server: Server; origin: string }> {
  const page =
    '<!doctype html><html><head><title>shop</title><script src="/sdk.js"></script></head><body><h1>shop</h1></body></html>';
  const server = createServer((req, res) => {
    if (req.url === '/sdk.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
}

describe('browser: the official Clickstream Web SDK in headless Chromium', () => {
  let started: TestStack;
  let stack: Stack;
  let site: { server: Server; origin: string };
  let chromium: Chromium;
  let browser: Browser;

  beforeAll(async () => {
    chromium = await launchChromium();
    browser = chromium.browser;
    started = await startTestStack('browser-stack-', { secondClusterBrokers: 0 });
    stack = started.stack;
    site = await startSite(await bundleSdk());
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await new Promise((resolve) => site?.server.close(resolve));
    await started?.close();
  });

  it('sends every recorded event cross-origin with credentials, and all of them reach S3', async () => {
    expect(new URL(site.origin).origin).not.toBe(new URL(stack.api).origin);
    const page = await browser.newPage();
    const sent = new Set<string>();
    const statuses: number[] = [];
    const failures: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().startsWith(`${stack.api}/collect`)) {
        for (const event of JSON.parse(request.postData() ?? '[]') as { event_id: string }[]) sent.add(event.event_id);
      }
    });
    page.on('response', (response) => {
      if (response.request().method() === 'POST' && response.url().startsWith(`${stack.api}/collect`))
        statuses.push(response.status());
    });
    page.on('requestfailed', (request) =>
      failures.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`),
    );
    page.on('console', (message) => {
      if (message.type() === 'error') failures.push(`console: ${message.text()}`);
    });

    await page.goto(`${site.origin}/`);
    await page.evaluate(
      (endpoint, count) => {
        const w = globalThis as unknown as {
          ClickstreamAnalytics: { init(c: object): boolean; record(e: object): void };
          SendMode: { Immediate: string };
        };
        w.ClickstreamAnalytics.init({
          appId: 'demo-app',
          endpoint,
          sendMode: w.SendMode.Immediate,
          isLogEvents: false,
        });
        for (let i = 0; i < count; i++)
          w.ClickstreamAnalytics.record({
            name: 'button_click',
            attributes: { n: i, big: 12345678901234567 },
          });
      },
      `${stack.api}/collect`,
      CUSTOM_EVENTS,
    );

    // Every SDK request answered 200 (a CORS failure shows as a failed request instead).
    await waitFor(
      async () =>
        sent.size >= CUSTOM_EVENTS && statuses.length > 0 && statuses.length === [...sent].length ? true : undefined,
      30_000,
      'the SDK to send its events',
    );
    expect(failures).toEqual([]);
    expect(statuses.every((s) => s === 200)).toBe(true);

    // navigator.sendBeacon: text/plain, credentialed, no preflight.
    const beaconId = `beacon-${Date.now()}`;
    const queued = await page.evaluate(
      (url, id) =>
        (navigator as unknown as { sendBeacon(url: string, data: string): boolean }).sendBeacon(
          url,
          JSON.stringify([{ event_id: id, event_type: 'beacon', timestamp: Date.now(), app_id: 'demo-app' }]),
        ),
      `${stack.api}/collect?appId=demo-app`,
      beaconId,
    );
    expect(queued).toBe(true);
    sent.add(beaconId);

    const stored = await waitFor(
      async () => {
        const found = (await readLocalObjects(stack.s3Dir, stack.bucket, 'events/')).filter(({ event }) =>
          sent.has(event.event_id),
        );
        return new Set(found.map(({ event }) => event.event_id)).size === sent.size ? found : undefined;
      },
      60_000,
      `${sent.size} browser events in S3`,
    );
    const custom = stored.filter(({ event }) => event.event_type === 'button_click');
    expect(custom).toHaveLength(CUSTOM_EVENTS);
    expect(stored.find(({ event }) => event.event_type === 'button_click')!.event).toMatchObject({
      app_id: 'demo-app',
      platform: 'Web',
      request_platform: 'Web',
    });
    expect(stored.some(({ event }) => event.event_id === beaconId)).toBe(true);
    await page.close();
  }, 120_000);

  it('answers the preflight of an allowed origin with that origin and credentials', async () => {
    const res = await fetch(`${stack.api}/collect?appId=demo-app`, {
      method: 'OPTIONS',
      headers: {
        origin: site.origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,user-agent',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(site.origin);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toBe('Origin');
  });
});
