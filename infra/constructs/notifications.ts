import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { type IRole, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface NotificationsProps {
  emails: readonly string[];
  /** Addresses subscribed to the operators' topic (alarms). */
  operatorEmails?: readonly string[];
}

/**
 * Where gwm's notices go: an SNS topic people subscribe to (encrypted with a key of its own,
 * which CloudWatch alarms may also use), and gwm's own EventBridge bus for programs.
 */
export class Notifications extends Construct {
  readonly key: Key;
  /** Batch notices, for the lab (and, filtered on the `team` attribute, for each team). */
  readonly topic: Topic;
  /** Alarms, for whoever runs the deployment: kept apart so neither gets the other's mail. */
  readonly operatorTopic: Topic;
  readonly bus: EventBus;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    this.key = new Key(this, 'TopicKey', {
      description: 'gwm notification topic',
      enableKeyRotation: true,
      // It protects messages in flight only: nothing encrypted with it outlives the topic.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch alarms publish to the topic, which needs the key (SNS key management:
    // compatibility with AWS services).
    this.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: 'gwm notifications',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.emails) this.topic.addSubscription(new EmailSubscription(email));
    this.operatorTopic = new Topic(this, 'OperatorTopic', {
      displayName: 'gwm alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    // The topic's policy (TLS only) replaces SNS's default one: CloudWatch alarms of this account are let in by name.
    this.operatorTopic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.operatorTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    for (const email of props.operatorEmails ?? [])
      this.operatorTopic.addSubscription(new EmailSubscription(email));
    this.bus = new EventBus(this, 'Bus', {
      description: "gwm's own events: Batch Completed, Launch Failed, Manifest Rejected",
    });
  }

  /** The environment a function needs to send notices (functions/adapters/config.ts). */
  get environment(): Record<string, string> {
    return { NOTIFY_TOPIC_ARN: this.topic.topicArn, NOTIFY_EVENT_BUS_NAME: this.bus.eventBusName };
  }

  /** Publish on the topic (through its key) and put events on gwm's bus, nothing else. */
  grantSend(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
    );
  }
}
