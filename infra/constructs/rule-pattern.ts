import type { EventPattern } from 'aws-cdk-lib/aws-events';

/**
 * The shared pattern object in CDK's shape: CDK spells `detail-type` as `detailType` and
 * renders it back; every other key is passed through as it is.
 */
export function eventPatternOf(pattern: Readonly<Record<string, unknown>>): EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  return { ...rest, ...(detailType === undefined ? {} : { detailType }) } as EventPattern;
}
