import { describe, expect, it } from 'vitest';
import {
  COST_COLLECTOR_CONCURRENCY,
  COST_COLLECTOR_TIMEOUT,
  COST_MAX_RECEIVES,
} from '../../infra/constructs/cost-collector.js';
import {
  allIdentityStatements,
  asList,
  logicalIdOf,
  resourceOf,
  statementsOfRole,
  synthesize,
  variablesOf,
} from './stack-fixture.js';

describe('the cost collector', () => {
  const { stack, template } = synthesize();
  const collector = stack.costCollector.function;
  const roleId = logicalIdOf(stack, collector.role);
  const functionId = logicalIdOf(stack, collector.fn);
  const queueId = logicalIdOf(stack, stack.costCollector.queue);
  const failuresId = logicalIdOf(stack, stack.costCollector.failures);
  const statements = statementsOfRole(template, roleId);
  const actions = statements.flatMap((statement) => asList(statement.Action));

  it('may read runs and their tasks and nothing else of HealthOmics, on runs only', () => {
    const omics = actions.filter((action) => action.startsWith('omics:')).sort();
    expect(omics).toEqual(['omics:GetRun', 'omics:GetRunTask', 'omics:ListRunTasks']);
    const omicsStatements = statements.filter((statement) =>
      asList(statement.Action).some((action) => action.startsWith('omics:')),
    );
    for (const statement of omicsStatements) {
      expect(JSON.stringify(statement.Resource)).toMatch(/:run\/\*/);
    }
  });

  it('reads run manifest streams of the HealthOmics log group and no other log', () => {
    const reads = statements.filter((statement) => asList(statement.Action).includes('logs:GetLogEvents'));
    expect(reads).toHaveLength(1);
    expect(asList(reads[0]?.Action)).toEqual(['logs:GetLogEvents']);
    expect(JSON.stringify(reads[0]?.Resource)).toMatch(
      /log-group:\/aws\/omics\/WorkflowLog:log-stream:manifest\/run\/\*"/,
    );
  });

  it('has no Price List permission; no function in the stack has one', () => {
    expect(actions.some((action) => action.startsWith('pricing:'))).toBe(false);
    const anywhere = allIdentityStatements(template).flatMap((statement) => asList(statement.Action));
    expect(anywhere.some((action) => action.startsWith('pricing:'))).toBe(false);
  });

  it('uses the table with reads and single-item writes only, and sends only to its own queue', () => {
    const table = actions.filter((action) => action.startsWith('dynamodb:')).sort();
    expect(table).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    const send = statements.filter((statement) => asList(statement.Action).includes('sqs:SendMessage'));
    expect(send.map((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': [queueId, 'Arn'] }]);
  });

  it('reads an encrypted queue with a dead-letter queue, hidden longer than one invocation', () => {
    const queue = resourceOf(template, 'AWS::SQS::Queue', queueId).Properties;
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.VisibilityTimeout).toBeGreaterThan(COST_COLLECTOR_TIMEOUT.toSeconds());
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [failuresId, 'Arn'] },
      maxReceiveCount: COST_MAX_RECEIVES,
    });
    const fn = resourceOf(template, 'AWS::Lambda::Function', functionId).Properties;
    expect(fn.Timeout).toBe(COST_COLLECTOR_TIMEOUT.toSeconds());
    expect(fn.ReservedConcurrentExecutions).toBe(COST_COLLECTOR_CONCURRENCY);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: COST_COLLECTOR_CONCURRENCY },
    });
  });

  it('is named by the aggregator, which may send to the queue', () => {
    const aggregatorId = logicalIdOf(stack, stack.aggregator.function.fn);
    const queueUrl = { Ref: queueId };
    expect(variablesOf(template, aggregatorId).COST_QUEUE_URL).toEqual(queueUrl);
    expect(variablesOf(template, functionId).COST_QUEUE_URL).toEqual(queueUrl);
    const aggregatorStatements = statementsOfRole(
      template,
      logicalIdOf(stack, stack.aggregator.function.role),
    );
    expect(aggregatorStatements).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(['sqs:SendMessage']),
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
      }),
    );
  });

  it('reads the shipped prices unless the deployment names its own file, then that file in its bundle', () => {
    expect(variablesOf(template, functionId).PRICE_LIST_FILE).toBeUndefined();
    const own = synthesize({ priceListFile: 'domain/cost/healthomics-prices.json' });
    const ownId = logicalIdOf(own.stack, own.stack.costCollector.function.fn);
    expect(variablesOf(own.template, ownId).PRICE_LIST_FILE).toBe('/var/task/price-list.json');
    for (const other of [own.stack.aggregator.function, own.stack.launcher.function]) {
      expect(variablesOf(own.template, logicalIdOf(own.stack, other.fn)).PRICE_LIST_FILE).toBeUndefined();
    }
  });
});
