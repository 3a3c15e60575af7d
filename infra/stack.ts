import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LaunchTable } from './constructs/launch-table.js';

export interface GwmStackProps extends StackProps {
  retainData?: boolean;
}

/** The deployed gwm. The table is here; the functions, buckets and rules join it as they are built. */
export class GwmStack extends Stack {
  readonly launchTable: LaunchTable;

  constructor(scope: Construct, id: string, props: GwmStackProps = {}) {
    super(scope, id, props);
    this.launchTable = new LaunchTable(this, 'Launches', { retain: props.retainData });
    new CfnOutput(this, 'TableName', { value: this.launchTable.table.tableName });
  }
}
