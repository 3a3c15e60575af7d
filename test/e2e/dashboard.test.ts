import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchIdFor, sha256Hex } from '../../domain/batch.js';
import { type DashboardServer, startDashboardServer } from '../../infra/local/dashboard/dashboard-server.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { waitForBatch } from '../../infra/local/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

function fastq(sample: string, count: number): string {
  let text = '';
  for (let index = 1; index <= count; index += 1) text += `@${sample}:${index}\nACGTACGTNN\n+\nIIIIIIIIII\n`;
  return text;
}

describe('the local dashboard in a browser', () => {
  let stack: LocalStack;
  let stateDir: string;
  let dashboard: DashboardServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'gwm-dashboard-'));
    stack = await startLocalStack({ stateDir, reconcileEveryMs: 0, writeEndpointsFile: false });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
    await stack?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  /** Uploads a manifest of `samples` (fastq-stats, no QC) and waits until its batch has finished. */
  async function runBatch(name: string, samples: string[]) {
    const { inputBucket, outputBucket, manifestBucket } = stack.endpoints;
    const put = (bucket: string, key: string, body: string) =>
      stack.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    for (const sample of samples) {
      await put(inputBucket, `${name}/${sample}_R1.fastq`, fastq(sample, 4));
      await put(inputBucket, `${name}/${sample}_R2.fastq`, fastq(sample, 4));
    }
    const manifest = JSON.stringify({
      schemaVersion: 'gwm.manifest/v1',
      batch: { name },
      defaults: { profile: 'fastq-stats', outputUri: `s3://${outputBucket}/${name}/` },
      samples: samples.map((id) => ({
        id,
        inputs: {
          fastq1: `s3://${inputBucket}/${name}/${id}_R1.fastq`,
          fastq2: `s3://${inputBucket}/${name}/${id}_R2.fastq`,
        },
      })),
    });
    await put(manifestBucket, `manifests/${name}.json`, manifest);
    const batchId = batchIdFor(manifestBucket, `manifests/${name}.json`, sha256Hex(manifest));
    const done = await waitForBatch(stack.deps, batchId, { timeoutMs: 60_000 });
    await stack.settle();
    return { batchId, batch: done.batch };
  }

  const legendValue = (page: Page, widget: string, series: string) =>
    page
      .locator(`[data-widget="${widget}"] [data-series="${series}"] .value`)
      .textContent({ timeout: 5_000 });

  it('shows the real numbers of a batch, and of the next one without being reloaded', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: the dashboard is checked in Debian's Chromium (apt-get install -y chromium; .ci/run installs it)`,
      );
    }
    // Prepare: a batch of three samples finished on the embedded runtime, the dashboard over its state folder
    const first = await runBatch('dash-one', ['S1', 'S2', 'S3']);
    expect(first.batch?.status).toBe('COMPLETED');
    dashboard = await startDashboardServer({ stateDir, table: stack.deps, port: 0, refreshSeconds: 1 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });

    // Act
    await page.goto(dashboard.url);

    // Assess: the launches the handlers counted, the batch's completion time from its EMF record and the table
    expect(await legendValue(page, 'launches', 'registered')).toBe('3');
    expect(await legendValue(page, 'launches', 'runs started')).toBe('3');
    expect(await legendValue(page, 'launches', 'runs completed')).toBe('3');
    expect(await legendValue(page, 'launches', 'runs failed')).toBe('–');
    expect(await legendValue(page, 'failure-rate', 'failed / finished')).toBe('0');
    expect(await legendValue(page, 'startrun', 'runs started')).toBe('3');
    expect(await legendValue(page, 'batch-completion', 'batches finished')).toBe('1');
    const longest = Number(await legendValue(page, 'batch-completion', 'longest'));
    const expected =
      (Date.parse(first.batch?.finishedAt ?? '') - Date.parse(first.batch?.registeredAt ?? '')) / 1000;
    expect(longest).toBeGreaterThan(0);
    expect(longest).toBeCloseTo(expected, 1);
    const row = page.locator(`[data-widget="batch-completion"] tr[data-batch="${first.batchId}"]`);
    expect(await row.locator('.status').textContent()).toBe('COMPLETED');
    expect(await row.locator('.succeeded').textContent()).toBe('3');
    expect(Number(await row.locator('.completion').getAttribute('data-seconds'))).toBeCloseTo(expected, 3);
    const completed = page.locator('[data-widget="launches-waiting"] tr[data-status="COMPLETED"] .count');
    expect(await completed.textContent()).toBe('3');
    expect(await page.locator('[data-widget="launches-waiting"] tr[data-status="QUEUED"]').count()).toBe(0);
    // AWS-only widgets say so instead of showing a number
    expect(await page.locator('[data-widget="dynamodb-throttles"] .note').textContent()).toContain(
      'not on the embedded runtime',
    );

    // Act: a second batch while the page stays open
    const before = await page.locator('.grid').getAttribute('data-generated-at');
    const second = await runBatch('dash-two', ['S4']);

    // Assess: the page refreshed itself to the new totals
    await expect.poll(() => legendValue(page, 'launches', 'runs completed'), { timeout: 10_000 }).toBe('4');
    expect(await page.locator('.grid').getAttribute('data-generated-at')).not.toBe(before);
    // The aggregator's record is journaled when its call returns, which may be a refresh later
    await expect
      .poll(() => legendValue(page, 'batch-completion', 'batches finished'), { timeout: 10_000 })
      .toBe('2');
    await expect
      .poll(() => page.locator(`tr[data-batch="${second.batchId}"] .succeeded`).textContent(), {
        timeout: 10_000,
      })
      .toBe('1');
    await expect.poll(() => completed.textContent(), { timeout: 10_000 }).toBe('4');
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'dashboard.png'))).toBe(true);
  });
});
