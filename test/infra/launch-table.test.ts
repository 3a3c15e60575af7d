import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createTableInput } from '../../functions/adapters/table.js';
import { GwmStack } from '../../infra/stack.js';

describe('the deployed table', () => {
  const template = Template.fromStack(new GwmStack(new App(), 'Test'));
  const local = createTableInput('x');

  it('has the keys, indexes and stream of the one table definition DynamoDB Local uses', () => {
    const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
    const properties = table?.Properties;
    expect(properties.KeySchema).toEqual(local.KeySchema);
    expect(properties.StreamSpecification).toEqual({
      StreamViewType: local.StreamSpecification?.StreamViewType,
    });
    const indexes = properties.GlobalSecondaryIndexes.map(
      (index: { IndexName: string; KeySchema: unknown }) => ({
        IndexName: index.IndexName,
        KeySchema: index.KeySchema,
      }),
    );
    expect(indexes).toEqual(
      local.GlobalSecondaryIndexes?.map(({ IndexName, KeySchema }) => ({ IndexName, KeySchema })),
    );
    expect(new Set(properties.AttributeDefinitions)).toEqual(new Set(local.AttributeDefinitions));
  });

  it('is on-demand, recoverable and protected from deletion', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      Replicas: [
        {
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        },
      ],
    });
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
  });
});
