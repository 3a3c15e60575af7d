import { Duration } from 'aws-cdk-lib';
import { type EventPattern, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { failureQueue } from './failure-queue.js';

/**
 * The shared pattern object in CDK's shape: CDK spells `detail-type` as `detailType` and
 * renders it back; every other key is passed through as it is.
 */
export function eventPatternOf(pattern: Readonly<Record<string, unknown>>): EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  return { ...rest, ...(detailType === undefined ? {} : { detailType }) } as EventPattern;
}

/** A rule of the default bus that sends its events to one function. */
interface FunctionRuleProps {
  /** The rule's construct id. */
  ruleId: string;
  /** The construct id of the queue keeping the events the rule could not deliver. */
  undeliveredId: string;
  description: string;
  eventPattern: EventPattern;
  fn: IFunction;
  /** How long, and how often, EventBridge tries to deliver an event (the shared rule settings). */
  delivery: { retryAttempts: number; maxEventAgeSeconds: number };
}

/** The rule, and the failure queue where the events it could not deliver to the function are kept. */
export function functionRule(scope: Construct, props: FunctionRuleProps): { rule: Rule; undelivered: Queue } {
  const undelivered = failureQueue(scope, props.undeliveredId);
  const rule = new Rule(scope, props.ruleId, {
    description: props.description,
    eventPattern: props.eventPattern,
  });
  rule.addTarget(
    new LambdaFunction(props.fn, {
      retryAttempts: props.delivery.retryAttempts,
      maxEventAge: Duration.seconds(props.delivery.maxEventAgeSeconds),
      deadLetterQueue: undelivered,
    }),
  );
  return { rule, undelivered };
}
