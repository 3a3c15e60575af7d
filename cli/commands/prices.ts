import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { priceListFromProducts } from '../../domain/cost/price-list-products.js';
import {
  DEFAULT_PRICING_ENDPOINT_REGION,
  fetchOmicsProducts,
  makePricingClient,
  OMICS_SERVICE_CODE,
} from '../../functions/adapters/price-list-api.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import type { GlobalOptions } from '../target.js';

/** Where `prices refresh` writes by default: the price file gwm ships and prices runs with. */
export const SHIPPED_PRICE_FILE = fileURLToPath(
  new URL('../../domain/cost/healthomics-prices.json', import.meta.url),
);

interface RefreshOptions {
  out?: string;
  endpointRegion?: string;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export function registerPrices(program: Command, ctx: CliContext): void {
  const prices = program
    .command('prices')
    .description('The HealthOmics price list gwm prices runs with (docs/cost.md)');

  prices
    .command('refresh')
    .description(
      `Rebuild the price file from the AWS Price List API (GetProducts, service code ${OMICS_SERVICE_CODE}); needs AWS credentials`,
    )
    .argument(
      '[region...]',
      'regions to price (AWS region codes); none: every region with HealthOmics prices',
    )
    .option('--out <file>', 'where to write the price file', SHIPPED_PRICE_FILE)
    .option(
      '--endpoint-region <region>',
      'region of the Price List API endpoint (not of the prices)',
      DEFAULT_PRICING_ENDPOINT_REGION,
    )
    .addHelpText(
      'after',
      `
The regions to price: the arguments, and the global --region (one region); with neither, every region
HealthOmics has prices in. --profile chooses the AWS credentials. The file holds exactly the regions read.

Examples:
  gwm prices refresh --region us-east-1
  gwm prices refresh us-east-1 eu-west-1 eu-central-1
  gwm prices refresh --profile lab --out prices/base.json
`,
    )
    .action(
      ctx.action(async (regionArguments: string[], options: RefreshOptions, command: Command) => {
        const globals = command.optsWithGlobals<GlobalOptions>();
        const regions = [...new Set([...(globals.region ? [globals.region] : []), ...regionArguments])];
        const wrong = regions.filter((region) => !REGION.test(region));
        if (wrong.length > 0) throw usageError(`not an AWS region code: ${wrong.join(', ')}`);
        const endpointRegion = options.endpointRegion ?? DEFAULT_PRICING_ENDPOINT_REGION;
        const client = makePricingClient({
          endpointRegion,
          ...(globals.profile !== undefined && { profile: globals.profile }),
        });
        let entries: string[];
        try {
          entries = await fetchOmicsProducts(client, regions);
        } catch (error) {
          throw priceListApiError(error, endpointRegion, globals.profile);
        } finally {
          client.destroy();
        }
        const retrievedAt = ctx.io.now().toISOString();
        const built = priceListFromProducts(entries, {
          source: `AWS Price List API GetProducts, service code ${OMICS_SERVICE_CODE}, endpoint ${endpointRegion}`,
          retrievedAt,
        });
        const missingRegions = regions.filter((region) => built.priced[region] === undefined);
        if (Object.keys(built.priced).length === 0) {
          throw new CliError(
            EXIT.notFound,
            'NO_PRICES',
            `the Price List returned no HealthOmics prices${regions.length > 0 ? ` for ${regions.join(', ')}` : ''}: nothing written`,
          );
        }
        const out = options.out ?? SHIPPED_PRICE_FILE;
        await writeFile(out, `${JSON.stringify(built.priceList, null, 2)}\n`);

        ctx.out(`Wrote ${out} (${built.priceList.version}, ${entries.length} products read)`);
        for (const [region, priced] of Object.entries(built.priced)) {
          const storage = priced.storage.length > 0 ? priced.storage.join(' and ') : 'none';
          ctx.out(`  ${region}: ${priced.instances} instance types, run storage ${storage}`);
        }
        for (const region of missingRegions) ctx.out(`  ${region}: no HealthOmics prices`);
        if (built.unmapped.length > 0) {
          ctx.out(`Not in the price file (${built.unmapped.length}):`);
          for (const line of built.unmapped) ctx.out(`  ${line}`);
        }
        return EXIT.ok;
      }),
    );
}

function priceListApiError(error: unknown, endpointRegion: string, profile?: string): unknown {
  const e = error instanceof Error ? error : new Error(String(error));
  if (e.name === 'CredentialsProviderError' || /credential/i.test(e.message)) {
    return new CliError(
      EXIT.unreachable,
      'NO_CREDENTIALS',
      `no usable AWS credentials${profile ? ` (profile ${profile})` : ''} for the AWS Price List API: ${e.message} ` +
        '(use --profile <name>, or set the AWS_* variables); the price file was not changed',
      { cause: error },
    );
  }
  if (e.name === 'AccessDeniedException') {
    return new CliError(
      EXIT.unreachable,
      'ACCESS_DENIED',
      `the AWS Price List API refused the call (pricing:GetProducts is needed): ${e.message}`,
      { cause: error },
    );
  }
  if (e.name === 'InvalidParameterException' || e.name === 'UnknownEndpoint') {
    return usageError(
      `the AWS Price List API at ${endpointRegion} refused the request: ${e.message} (try --endpoint-region us-east-1)`,
    );
  }
  return error;
}
