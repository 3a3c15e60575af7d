/**
 * The CloudFormation outputs of a deployed gwm stack, by what they hold. The CDK stack emits
 * exactly these keys and the CLI (`gwm --stack <name> ...`) reads them, so a tool finds the
 * table and the manifest bucket from the stack's name alone.
 */
export const STACK_OUTPUTS = {
  tableName: 'TableName',
  manifestBucket: 'ManifestBucketName',
  notificationTopicArn: 'NotificationTopicArn',
  operatorTopicArn: 'OperatorTopicArn',
  eventBusName: 'EventBusName',
  dashboardUrl: 'DashboardUrl',
  teamMemberPolicyArn: 'TeamMemberPolicyArn',
  /** The stream consumers' failure queues, which `gwm redrive <consumer>` reads. */
  launcherFailureQueueUrl: 'LauncherFailureQueueUrl',
  aggregatorFailureQueueUrl: 'AggregatorFailureQueueUrl',
} as const;

export type StackOutputName = keyof typeof STACK_OUTPUTS;
