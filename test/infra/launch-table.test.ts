import { describe, expect, it } from 'vitest';
import { createTableInput } from '../../functions/adapters/table.js';
import { synthesize } from './stack-fixture.js';

describe('the deployed table', () => {
  const { template } = synthesize();
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

  it('copies into each index only what its queries read, as DynamoDB Local creates it', () => {
    // Prepare
    const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
    // Act
    const projections = Object.fromEntries(
      table?.Properties.GlobalSecondaryIndexes.map(
        (index: {
          IndexName: string;
          Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
        }) => [index.IndexName, index.Projection],
      ),
    );
    // Assess
    const include = (...attributes: string[]) => ({
      ProjectionType: 'INCLUDE',
      NonKeyAttributes: ['__edb_e__', '__edb_v__', ...attributes],
    });
    expect(projections).toEqual({
      gsi1: include('batchId', 'launchId'),
      gsi2: include('batchId', 'launchId', 'team', 'priority', 'createdAt'),
      gsi3: include('batchId', 'launchId'),
      gsi4: include('batchId', 'launchId', 'uri', 'updatedAt', 'team', 'waitingSince'),
      // A team's credentials may read this index only: it keeps whole items.
      team: { ProjectionType: 'ALL' },
      queue: include('launchId'),
    });
    expect(
      Object.fromEntries(
        local.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.Projection]) ?? [],
      ),
    ).toEqual(projections);
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

  it('can be a throwaway table: deleted with the stack, no deletion protection', () => {
    const { template: throwaway } = synthesize({ removalPolicy: 'destroy' });
    throwaway.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: { Replicas: [{ DeletionProtectionEnabled: false }] },
    });
  });

  it('keeps deletion protection as set, whatever happens to the data', () => {
    const { template: unprotected } = synthesize({ deletionProtection: false });
    unprotected.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: { Replicas: [{ DeletionProtectionEnabled: false }] },
    });
  });
});
