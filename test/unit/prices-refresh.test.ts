import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../../cli/io.js';
import { buildCliProgram, runProgram } from '../../cli/program.js';
import { instancePrice, parsePriceList, storagePrice } from '../../domain/cost/price-list.js';
import { priceListFromProducts } from '../../domain/cost/price-list-products.js';

/** One `GetProducts` entry in the aws_v1 shape the Price List API returns for AmazonOmics. */
function product(
  region: string,
  resourceType: string,
  unit: string,
  usd: string,
  extra: Record<string, string> = {},
): string {
  const sku = `${region}-${resourceType}`
    .replace(/[^A-Za-z0-9]/g, '')
    .toUpperCase()
    .slice(0, 16);
  return JSON.stringify({
    product: {
      productFamily: 'Compute',
      attributes: {
        regionCode: region,
        servicecode: 'AmazonOmics',
        locationType: 'AWS Region',
        resourceType,
        usagetype: `${region.toUpperCase()}-${resourceType}`,
        workflowType: 'Private',
        servicename: 'AWS HealthOmics',
        ...extra,
      },
      sku,
    },
    serviceCode: 'AmazonOmics',
    terms: {
      OnDemand: {
        [`${sku}.JRTCKXETXF`]: {
          priceDimensions: {
            [`${sku}.JRTCKXETXF.6YS6EN2CT7`]: {
              unit,
              endRange: 'Inf',
              description: `$${usd} per ${unit} for ${resourceType} in ${region}`,
              appliesTo: [],
              rateCode: `${sku}.JRTCKXETXF.6YS6EN2CT7`,
              beginRange: '0',
              pricePerUnit: { USD: usd },
            },
          },
          sku,
          effectiveDate: '2026-11-01T00:00:00Z',
          offerTermCode: 'JRTCKXETXF',
          termAttributes: {},
        },
      },
    },
    version: '20261101000000',
    publicationDate: '2026-11-01T00:00:00Z',
  });
}

const usEast = [
  product('us-east-1', 'omics.c.large', 'Instance-hrs', '0.1148000000', { vcpu: '2', memory: '4 GiB' }),
  product('us-east-1', 'omics.m.xlarge', 'Instance-hrs', '0.2592000000', { vcpu: '4', memory: '16 GiB' }),
  product('us-east-1', 'Run Storage', 'GB-Hours', '0.0001918000'),
  product('us-east-1', 'Dynamic Run Storage', 'GB-Hours', '0.0004110000'),
];
const usEastPage2 = [
  product('us-east-1', 'omics.g5.xlarge', 'Instance-hrs', '1.4070000000', {
    vcpu: '4',
    memory: '16 GiB',
    gpu: '1',
  }),
  product('us-east-1', 'Ephemeral Storage', 'GB-Hours', '0.0000100000'),
];
const euWest = [
  product('eu-west-1', 'omics.c.large', 'Instance-hrs', '0.1250000000'),
  product('eu-west-1', 'Run Storage', 'GB-Hours', '0.0002100000'),
];

const pricing = mockClient(PricingClient);
let dir: string;
let stdout: string;
let stderr: string;

const io: CliIo = {
  stdout: (text) => {
    stdout += text;
  },
  stderr: (text) => {
    stderr += text;
  },
  env: {},
  isTTY: false,
  now: () => new Date('2026-12-05T09:00:00.000Z'),
  sleep: async () => {},
};

const gwm = (...args: string[]) => runProgram(buildCliProgram(io), args);

beforeEach(() => {
  pricing.reset();
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
  dir = mkdtempSync(join(tmpdir(), 'gwm-prices-'));
  stdout = '';
  stderr = '';
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

describe('gwm prices refresh', () => {
  it('reads every page for each region and writes a price file the pricing reads', async () => {
    // Prepare: us-east-1 in two pages, eu-west-1 in one
    pricing
      .on(GetProductsCommand, { Filters: [{ Type: 'TERM_MATCH', Field: 'regionCode', Value: 'us-east-1' }] })
      .resolvesOnce({ PriceList: usEast, NextToken: 'page-2' })
      .resolvesOnce({ PriceList: usEastPage2 });
    pricing
      .on(GetProductsCommand, { Filters: [{ Type: 'TERM_MATCH', Field: 'regionCode', Value: 'eu-west-1' }] })
      .resolves({ PriceList: euWest });
    const out = join(dir, 'prices.json');
    // Act
    const code = await gwm('--region', 'us-east-1', 'prices', 'refresh', 'eu-west-1', '--out', out);
    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const calls = pricing.commandCalls(GetProductsCommand).map((call) => call.args[0].input);
    expect(calls).toHaveLength(3);
    expect(calls.every((input) => input.ServiceCode === 'AmazonOmics')).toBe(true);
    expect(calls[1]?.NextToken).toBe('page-2');
    const written = parsePriceList(JSON.parse(readFileSync(out, 'utf8')), out);
    expect(written.version).toBe('aws-price-list-2026-11-01');
    expect(written.retrievedAt).toBe('2026-12-05T09:00:00.000Z');
    expect(written.source).toContain(
      'AWS Price List API GetProducts, service code AmazonOmics, endpoint us-east-1',
    );
    expect(instancePrice(written, 'us-east-1', 'omics.c.large')).toBe(0.1148);
    expect(instancePrice(written, 'us-east-1', 'omics.g5.xlarge')).toBe(1.407);
    expect(storagePrice(written, 'us-east-1', 'STATIC')).toBe(0.0001918);
    expect(storagePrice(written, 'us-east-1', 'DYNAMIC')).toBe(0.000411);
    expect(instancePrice(written, 'eu-west-1', 'omics.c.large')).toBe(0.125);
    expect(storagePrice(written, 'eu-west-1', 'DYNAMIC')).toBeUndefined();
    expect(stdout).toContain('us-east-1: 3 instance types, run storage STATIC and DYNAMIC');
    expect(stdout).toContain('eu-west-1: 1 instance types, run storage STATIC');
    expect(stdout).toContain(
      'us-east-1 Ephemeral Storage (GB-Hours): not a compute instance or run storage price gwm uses',
    );
  });

  it('asks for every region when none is named', async () => {
    pricing.on(GetProductsCommand).resolves({ PriceList: [...usEast, ...euWest] });
    const out = join(dir, 'all.json');
    expect(await gwm('prices', 'refresh', '--out', out)).toBe(0);
    expect(pricing.commandCalls(GetProductsCommand)[0]?.args[0].input.Filters).toBeUndefined();
    const written = parsePriceList(JSON.parse(readFileSync(out, 'utf8')));
    expect(Object.keys(written.regions)).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('fails with exit code 5 and a clear message without credentials, and leaves the file alone', async () => {
    const error = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    pricing.on(GetProductsCommand).rejects(error);
    const out = join(dir, 'kept.json');
    writeFileSync(out, 'unchanged');
    expect(await gwm('prices', 'refresh', 'us-east-1', '--out', out)).toBe(5);
    expect(stderr).toContain('no usable AWS credentials for the AWS Price List API');
    expect(stderr).toContain('--profile');
    expect(readFileSync(out, 'utf8')).toBe('unchanged');
  });

  it('refuses a region that is not a region code', async () => {
    expect(await gwm('prices', 'refresh', 'virginia', '--out', join(dir, 'x.json'))).toBe(2);
    expect(stderr).toContain('not an AWS region code: virginia');
    expect(pricing.commandCalls(GetProductsCommand)).toHaveLength(0);
  });

  it('writes nothing when the Price List has no HealthOmics prices for the regions', async () => {
    pricing.on(GetProductsCommand).resolves({ PriceList: [] });
    const out = join(dir, 'none.json');
    expect(await gwm('prices', 'refresh', 'ap-east-1', '--out', out)).toBe(3);
    expect(stderr).toContain('no HealthOmics prices for ap-east-1');
    expect(() => readFileSync(out)).toThrow();
  });
});

describe('priceListFromProducts', () => {
  const origin = { source: 'test', retrievedAt: '2026-12-05T09:00:00.000Z' };

  it('reports products it cannot use instead of guessing them', () => {
    const tiered = JSON.parse(product('us-east-1', 'omics.r.large', 'Instance-hrs', '0.15')) as {
      terms: { OnDemand: Record<string, { priceDimensions: Record<string, unknown> }> };
    };
    const term = Object.values(tiered.terms.OnDemand)[0];
    if (term) term.priceDimensions.second = { unit: 'Instance-hrs', pricePerUnit: { USD: '0.10' } };
    const built = priceListFromProducts(
      [
        ...usEast,
        JSON.stringify(tiered),
        product('us-east-1', 'omics.c.large', 'Instance-hrs', '0.2'),
        product('us-east-1', 'GATK-BP germline fq2vcf', 'Runs', '10.00'),
        product('us-east-1', 'Run Storage', 'GB-Mo', '0.14'),
        'not json',
      ],
      origin,
    );
    expect(instancePrice(built.priceList, 'us-east-1', 'omics.c.large')).toBe(0.1148);
    expect(instancePrice(built.priceList, 'us-east-1', 'omics.r.large')).toBeUndefined();
    expect(built.priceList.regions['us-east-1']?.ready2run).toEqual({});
    expect(built.unmapped).toEqual([
      'no region product without resourceType (no unit): not JSON',
      'us-east-1 GATK-BP germline fq2vcf (Runs): not a compute instance or run storage price gwm uses',
      'us-east-1 Run Storage (GB-Mo): not a compute instance or run storage price gwm uses',
      'us-east-1 omics.c.large (Instance-hrs): a second price 0.2 beside 0.1148, kept 0.1148',
      'us-east-1 omics.r.large (Instance-hrs): several on-demand rates (tiered)',
    ]);
  });
});
