import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Consumer } from '@vsa/common-events';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Infrastructure } from '../infrastructure.js';
import { consoleDistFolder } from '../platform/console-static.js';
import { type ApiServer, buildServer } from '../server.js';
import { OrderPlaced } from '../slices/orders/contract.js';
import { createTestInfrastructure } from '../test-infrastructure.js';
import { captureLogger, TEST_ADMIN_TOKEN, testSettings } from '../test-support.js';

// The events console in a real headless Chromium (Debian's package; .ci/run installs it),
// against a real API on a random port: PostgreSQL when DATABASE_URL is set, else PGlite.
const CHROMIUM = '/usr/bin/chromium';
const RESULTS = new URL('../../test-results/', import.meta.url).pathname;
const FAILING_GROUP = 'console-test.always-fails';

let infrastructure: Infrastructure;
let app: ApiServer;
let context: BrowserContext;
let page: Page;
let base: string;
let userDataDir: string;
let failing = true;
const browserErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with "apt-get install -y chromium"`);
  }
  const dist = consoleDistFolder();
  if (dist === undefined || !existsSync(join(dist, 'index.html'))) {
    throw new Error('The console is not built: run "pnpm --filter @vsa/console build"');
  }
  infrastructure = await createTestInfrastructure(
    process.env.DATABASE_URL === undefined ? 'pglite' : 'postgres',
  );
  let consumer: Consumer | undefined;
  app = await buildServer({
    settings: testSettings,
    logger: captureLogger().logger,
    infrastructure,
    // A test-only group that fails while `failing` is set: its events end as dead letters.
    extend: (server) => {
      server.addHook('onReady', async () => {
        consumer = infrastructure.bus.consumers.subscribe({
          group: FAILING_GROUP,
          channel: 'orders',
          types: ['OrderPlaced'],
          startFrom: 'now',
          maxAttempts: 2,
          backoff: { initialMs: 10, maxMs: 20 },
          handler() {
            if (failing) throw new Error('payment provider refused the card');
          },
        });
        await consumer.start();
      });
      server.addHook('onClose', async () => consumer?.stop());
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  mkdirSync(RESULTS, { recursive: true });
  userDataDir = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') browserErrors.push(message.text());
  });
  page.on('pageerror', (error) => browserErrors.push(String(error)));
}, 90_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await app?.close();
  await infrastructure?.close();
});

/** Waits until the locator's text contains `text` (playwright-core has no expect of its own). */
async function containsText(locator: Locator, text: string, timeout = 10_000): Promise<void> {
  await vi.waitFor(
    async () => expect(await locator.first().textContent({ timeout: 500 })).toContain(text),
    { timeout, interval: 100 },
  );
}

async function placeOrder(customer: string): Promise<string> {
  const response = await fetch(`${base}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customer, lines: [{ sku: 'CONSOLE-1', quantity: 1 }] }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

describe('the events console in headless Chromium', () => {
  it('refuses a wrong token, signs in with the right one and keeps it out of the URL', async () => {
    await page.goto(`${base}/console/`);
    await page.getByLabel('Admin token').fill('wrong-token-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await containsText(page.getByRole('alert'), 'refused');
    // The refused call is the only error the browser logs: a 401 it was meant to get.
    expect(browserErrors).toEqual([expect.stringContaining('401')]);
    browserErrors.length = 0;
    await page.getByLabel('Admin token').fill(TEST_ADMIN_TOKEN);
    // Keyboard: Enter submits the form.
    await page.getByLabel('Admin token').press('Enter');
    await page.locator('a[aria-current="page"]', { hasText: 'Channels' }).waitFor();
    expect(page.url()).not.toContain(TEST_ADMIN_TOKEN);
    expect(await page.evaluate('sessionStorage.length')).toBe(1);
  });

  it('shows an order placed through the API in the live tail of its channel', async () => {
    const orderId = await placeOrder('console-customer');
    await page.getByRole('combobox', { name: 'Channel' }).selectOption('orders');
    const table = page.getByRole('table', { name: 'Recent events of orders' });
    const row = table.getByRole('row').filter({ hasText: orderId });
    await containsText(row, 'OrderPlaced');
    const summary = row.getByText('Payload', { exact: false });
    await summary.focus();
    await page.keyboard.press('Enter');
    await containsText(row.locator('pre'), 'console-customer');
    // The reserve step runs in another slice: its event reaches the inventory channel.
    await page.getByRole('combobox', { name: 'Channel' }).selectOption('inventory');
    await page
      .getByRole('table', { name: 'Recent events of inventory' })
      .getByRole('row')
      .nth(1)
      .waitFor({ timeout: 10_000 });
    await page.getByRole('combobox', { name: 'Channel' }).selectOption('orders');
    await row.waitFor();
    await page.screenshot({ path: join(RESULTS, 'console-channels.png'), fullPage: true });
  });

  it('lists consumer groups with partitions, members, lag and a sparkline', async () => {
    await page.getByRole('link', { name: 'Consumer groups' }).click();
    const table = page.getByRole('table', { name: 'Consumer groups' });
    const row = table.getByRole('row').filter({
      has: page.getByRole('rowheader', { name: 'shipping.schedule-shipment' }),
    });
    await row.waitFor({ timeout: 10_000 });
    await row.getByRole('img', { name: /Lag of shipping.schedule-shipment/ }).waitFor();
    await table.getByRole('rowheader', { name: FAILING_GROUP }).waitFor();

    // What holds events back: a transaction that wrote an event and stays open shows with
    // its backend pid and age (PostgreSQL only: PGlite has one session, nothing can hold one).
    if (process.env.DATABASE_URL !== undefined) {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const pid = new Promise<number>((resolve, reject) => {
        infrastructure.bus
          .transaction(async (tx) => {
            const [row] = await tx.sql<{ pid: number }>`select pg_backend_pid() as pid`;
            await infrastructure.bus.publish(
              tx,
              OrderPlaced.create(
                {
                  orderId: '018f0000-0000-7000-8000-000000000001',
                  customer: 'held',
                  lines: [{ sku: 'HELD-1', quantity: 1 }],
                },
                { key: 'held' },
              ),
            );
            resolve(Number(row?.pid));
            await held;
            throw new Error('rolled back on purpose');
          })
          .catch((error: unknown) => {
            if (!String(error).includes('on purpose')) reject(error);
          });
      });
      const list = page.getByRole('list', { name: 'Open transactions holding events back' });
      await containsText(list, `pid ${await pid}`);
      await page.screenshot({ path: join(RESULTS, 'console-groups.png'), fullPage: true });
      release();
      await list.waitFor({ state: 'detached', timeout: 10_000 });
    } else {
      await page.screenshot({ path: join(RESULTS, 'console-groups.png'), fullPage: true });
    }

    // Replay asks first; Cancel (Escape) leaves the group alone.
    await row
      .getByRole('button', { name: 'Replay shipping.schedule-shipment from a time' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Replay shipping.schedule-shipment' });
    await dialog.getByLabel('Replay from (local time)').waitFor();
    await page.screenshot({ path: join(RESULTS, 'console-replay-dialog.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it('shows a dead letter with its error and payload, retries it after confirmation, and it goes', async () => {
    const orderId = await placeOrder('console-dead');
    await page.getByRole('link', { name: 'Dead letters' }).click();
    const table = page.getByRole('table', { name: 'Dead letters' });
    const row = table.getByRole('row').filter({ hasText: orderId });
    await containsText(row, 'payment provider refused the card', 15_000);
    await containsText(row, FAILING_GROUP);
    await row.getByText('Payload', { exact: false }).click();
    await containsText(row.locator('pre'), 'console-dead');
    await page.screenshot({ path: join(RESULTS, 'console-dead-letters.png'), fullPage: true });

    failing = false;
    const retry = row.getByRole('button', { name: /^Retry dead letter \d+$/ });
    const name = (await retry.getAttribute('aria-label')) as string;
    await retry.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name });
    await dialog.getByRole('button', { name: 'Retry', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.waitFor({ state: 'detached', timeout: 15_000 });

    // The first order failed in this group too: "Retry all" (after its confirmation) takes it.
    await page.getByRole('button', { name: 'Retry all' }).click();
    const all = page.getByRole('dialog', { name: 'Retry all dead letters' });
    await all.getByRole('button', { name: 'Retry all' }).click();
    await all.waitFor({ state: 'hidden' });
    await page.getByText('No dead letters.').waitFor({ timeout: 15_000 });
  });

  it('logged no console error', () => {
    expect(browserErrors).toEqual([]);
  });
});
