/**
 * Reads HealthOmics prices from the AWS Price List Query API (`pricing:GetProducts`, service code
 * `AmazonOmics`). The API answers from a few endpoints only (us-east-1 among them), whatever region
 * the prices are for; results come in pages of up to 100 products.
 */
import { GetProductsCommand, type GetProductsCommandInput, PricingClient } from '@aws-sdk/client-pricing';

export const OMICS_SERVICE_CODE = 'AmazonOmics';
export const DEFAULT_PRICING_ENDPOINT_REGION = 'us-east-1';
const PAGE_SIZE = 100;

export interface PricingClientOptions {
  /** The region of the Price List endpoint, not of the prices. */
  endpointRegion?: string;
  profile?: string;
}

export function makePricingClient(options: PricingClientOptions = {}): PricingClient {
  return new PricingClient({
    region: options.endpointRegion ?? DEFAULT_PRICING_ENDPOINT_REGION,
    ...(options.profile !== undefined && { profile: options.profile }),
  });
}

/**
 * Every `AmazonOmics` product, as the JSON strings the API returns, for the given regions
 * (`regionCode`), or for every region when none is given. Follows `NextToken` to the last page.
 */
export async function fetchOmicsProducts(
  client: PricingClient,
  regions: readonly string[] = [],
): Promise<string[]> {
  const products: string[] = [];
  const filters: (GetProductsCommandInput['Filters'] | undefined)[] =
    regions.length === 0
      ? [undefined]
      : regions.map((region) => [{ Type: 'TERM_MATCH', Field: 'regionCode', Value: region }]);
  for (const Filters of filters) {
    let NextToken: string | undefined;
    do {
      const page = await client.send(
        new GetProductsCommand({
          ServiceCode: OMICS_SERVICE_CODE,
          FormatVersion: 'aws_v1',
          MaxResults: PAGE_SIZE,
          ...(Filters !== undefined && { Filters }),
          ...(NextToken !== undefined && { NextToken }),
        }),
      );
      // Some SDK versions hand the entries back as String objects: normalize to primitives.
      for (const entry of page.PriceList ?? []) products.push(String(entry));
      NextToken = page.NextToken || undefined;
    } while (NextToken !== undefined);
  }
  return products;
}
