import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { type IndexProjection, TABLE } from '../../functions/adapters/table.js';
import { StackEncryption } from './encryption.js';

export interface LaunchTableProps {
  /** Keep the table when the stack is deleted (default), or delete it with the stack. */
  retain?: boolean;
  /** Refuse deletion of the table itself; defaults to `retain`. */
  deletionProtection?: boolean;
}

/** gwm's single table, built from the same definition the handlers and DynamoDB Local use. */
export class LaunchTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: LaunchTableProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    const key = (name: string) => ({ name, type: AttributeType.STRING });
    const tableKey = StackEncryption.of(this).table;
    this.table = new TableV2(this, 'Table', {
      partitionKey: key(TABLE.partitionKey),
      sortKey: key(TABLE.sortKey),
      billing: Billing.onDemand(),
      // DynamoDB's own key unless the deployment names one.
      ...(tableKey === undefined ? {} : { encryption: TableEncryptionV2.customerManagedKey(tableKey) }),
      dynamoStream: StreamViewType[TABLE.streamViewType],
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      globalSecondaryIndexes: TABLE.globalIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: key(index.partitionKey),
        sortKey: key(index.sortKey),
        ...projectionOf(index.projection),
      })),
    });
  }
}

function projectionOf(projection: IndexProjection) {
  return projection.type === 'INCLUDE'
    ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...projection.attributes] }
    : { projectionType: ProjectionType[projection.type] };
}
