import type { Page } from 'puppeteer-core';
import type { Stack } from '../../local/stack.ts';
import { launchChromium, type Chromium } from '../helpers/chromium.ts';
import { useTestStack } from '../helpers/test-stack.ts';

/** The page's DOM, as the functions passed to page.waitForFunction see it (the project has no DOM lib). */
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

const text = (page: Page, selector: string) =>
  page.$eval(selector, (e) => (e as unknown as { innerText: string }).innerText.trim());

describe('local console (headless Chromium)', () => {
  const current = useTestStack('console-stack-', {}, 90_000);
  let stack: Stack;
  let chromium: Chromium;
  let page: Page;

  beforeAll(async () => {
    stack = current();
    chromium = await launchChromium();
    page = await chromium.browser.newPage();
    page.setDefaultTimeout(30_000);
  }, 90_000);

  afterAll(async () => {
    await chromium?.close();
  });

  it('shows the demo pipeline ACTIVE with its step history', async () => {
    await page.goto(`${stack.api}/console`);
    const id = stack.demo!.pipeline.id;
    const row = `tr[data-pipeline-id="${id}"]`;
    await page.waitForSelector(`${row} .status.ACTIVE`);
    const steps = await page.$$eval(`${row} li[data-step]`, (items) => items.map((i) => i.getAttribute('data-step')));
    expect(steps).toEqual(expect.arrayContaining(['ValidateCluster', 'CreateTopic', 'MarkActive']));
    expect(steps.at(-1)).toBe('MarkActive');
  }, 60_000);

  it('counts the events accepted, in Kafka and delivered to S3, and previews the object they landed in', async () => {
    const events = Array.from({ length: 7 }, (_, i) => ({
      event_id: `console-${i}`,
      event_type: 'click',
      timestamp: Date.now(),
      app_id: 'demo-app',
    }));
    const res = await fetch(`${stack.api}/collect?appId=demo-app`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    expect(res.status).toBe(200);
    const row = `tr[data-pipeline-id="${stack.demo!.pipeline.id}"]`;
    // The page refreshes itself every 2 s: wait for the counts to reach what was sent.
    await page.waitForFunction(
      (r) =>
        document.querySelector(`${r} .delivered`)?.textContent === '7' &&
        document.querySelector(`${r} .lag`)?.textContent === '0',
      { timeout: 45_000 },
      row,
    );
    expect(await text(page, `${row} .accepted`)).toBe('7');
    expect(await text(page, `${row} .in-kafka`)).toBe('7');

    await page.waitForSelector('#objects button[data-key^="events/app_id=demo-app/"]');
    await page.click('#objects button[data-key^="events/app_id=demo-app/"]');
    await page.waitForFunction(() => document.querySelector('#preview')?.textContent?.includes('console-0'));
    const preview = await text(page, '#preview');
    for (const e of events) expect(preview).toContain(`"event_id":"${e.event_id}"`);
    expect(await text(page, '#preview-title')).toContain('first 7 of 7 lines');
  }, 90_000);

  it('creates a pipeline from the form and shows it reaching ACTIVE, and shows a refusal with its reason', async () => {
    await page.type('#projectId', 'console-shop');
    await page.type('#appIds', 'console-web, console-ios');
    expect(await page.$eval('#clusterArn', (e) => (e as unknown as { value: string }).value)).toBe(stack.clusterArn);
    await page.click('#create-form button[type=submit]');
    await page.waitForFunction(() =>
      /^202: pipeline \S+ is CREATING/.test(document.querySelector('#create-result')?.textContent ?? ''),
    );
    const id = (await text(page, '#create-result')).split(' ')[2]!;
    await page.waitForSelector(`tr[data-pipeline-id="${id}"] .status.ACTIVE`, { timeout: 60_000 });

    // The same project again: the API refuses it and the page says why.
    await page.click('#create-form button[type=submit]');
    await page.waitForFunction(() => /^409: /.test(document.querySelector('#create-result')?.textContent ?? ''));
    expect(await text(page, '#create-result')).toContain('console-shop');

    // And the API agrees with what the page shows.
    const listed = (await (await fetch(`${stack.api}/pipelines`)).json()) as {
      pipelines: { id: string; status: string }[];
    };
    expect(listed.pipelines.find((p) => p.id === id)?.status).toBe('ACTIVE');
  }, 120_000);

  it('is served only by the local stack, read-only, and refuses keys outside the bucket', async () => {
    expect((await fetch(`${stack.api}/console/api/object?key=..%2F..%2Fkafka`)).status).toBe(404);
    expect((await fetch(`${stack.api}/console/api/object`)).status).toBe(400);
    expect((await fetch(`${stack.api}/console`, { method: 'POST' })).status).toBe(405);
  });
});
