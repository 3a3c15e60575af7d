import { describe, expect, it } from 'vitest';
import { flattenCfn } from '../../infra/nag.js';
import {
  allIdentityStatements,
  asList,
  type FunctionKey,
  logicalIdOf,
  logicalIdsOf,
  resourcesOf,
  type Statement,
  statementsOfRole,
  synthesize,
  variablesOf,
} from './stack-fixture.js';

/** Actions the Service Authorization Reference lists with no resource type: only "*" can name them. */
const ACTIONS_WITHOUT_RESOURCE_TYPE = new Set(['omics:ListRuns']);

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const FAILURE_QUEUE = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
const STREAM = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
];
const NOTIFY = ['events:PutEvents', 'kms:Decrypt', 'kms:GenerateDataKey', 'sns:Publish'];
const START_RUN = ['iam:PassRole', 'omics:StartRun', 'omics:TagResource'];
const RUN_READS = ['logs:GetLogEvents', 'omics:GetRun'];
/** Reading, writing and querying launch items one at a time. */
const ITEMS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];

/** What each function may do, all of it: its log group, its table actions, and what its work needs. */
const EXPECTED_ACTIONS: Record<FunctionKey, string[]> = {
  intake: [
    ...LOGS,
    ...FAILURE_QUEUE,
    ...NOTIFY,
    ...ITEMS,
    'dynamodb:BatchGetItem',
    'dynamodb:BatchWriteItem',
    's3:GetObject',
    's3:GetObjectVersion',
    's3:ListBucket',
    // An archived input is restored before its launch runs.
    's3:RestoreObject',
  ],
  launcher: [
    ...LOGS,
    ...FAILURE_QUEUE,
    ...STREAM,
    ...START_RUN,
    // The launch queue: team items, open batches and waiting launches (Query), the flows' passes
    ...ITEMS,
    'dynamodb:BatchGetItem',
    'omics:CancelRun',
    // An archived input whose restored copy expired before the run is restored again.
    's3:RestoreObject',
  ],
  tracker: [...LOGS, ...FAILURE_QUEUE, ...RUN_READS, ...ITEMS],
  aggregator: [
    ...LOGS,
    ...FAILURE_QUEUE,
    ...STREAM,
    ...NOTIFY,
    ...ITEMS,
    'dynamodb:BatchGetItem',
    'dynamodb:BatchWriteItem',
    's3:PutObject',
  ],
  reconciler: [
    ...LOGS,
    // Its on-failure destination: a failed run, or a tick that waited too long.
    ...FAILURE_QUEUE,
    ...RUN_READS,
    ...START_RUN,
    ...ITEMS,
    'dynamodb:BatchGetItem',
    'omics:ListRuns',
    // A launch it starts again whose archived input's copy expired is restored again first.
    's3:RestoreObject',
  ],
  costCollector: [
    ...LOGS,
    // Its own queue: consumed through the event source, and paused requests sent to it again.
    ...FAILURE_QUEUE,
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:ReceiveMessage',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'omics:GetRun',
    'omics:GetRunTask',
    'omics:ListRunTasks',
    // The run manifest of a DYNAMIC-storage run (its storage use).
    'logs:GetLogEvents',
  ],
  restoreTracker: [
    ...LOGS,
    ...FAILURE_QUEUE,
    // Its sweep: launches waiting for inputs, read whole
    ...ITEMS,
    'dynamodb:BatchGetItem',
    // Its sweep: what became of a restore past due (HeadObject), and asking again for one that lapsed
    's3:GetObject',
    's3:ListBucket',
    's3:RestoreObject',
  ],
};

const resourcesOfStatement = (statement: Statement) => asList(statement.Resource).map(flattenCfn);

describe('least privilege in the deployed stack', () => {
  // Prepare
  const { stack, template } = synthesize();
  const ids = logicalIdsOf(stack);
  const statements = allIdentityStatements(template);
  const allows = statements.filter((statement) => statement.Effect === 'Allow');
  const statementsOf = (key: FunctionKey) =>
    statementsOfRole(template, ids[key].role).filter((statement) => statement.Effect === 'Allow');
  const withAction = (key: FunctionKey, action: string) =>
    statementsOf(key).filter((statement) => asList(statement.Action).includes(action));
  const serviceRoleId = logicalIdOf(stack, stack.serviceRole);

  it('allows no wildcard action anywhere', () => {
    // Act
    const wildcards = allows.filter((statement) =>
      asList(statement.Action).some((action) => action.includes('*')),
    );
    // Assess
    expect(allows.length).toBeGreaterThan(40);
    expect(wildcards).toEqual([]);
  });

  it('uses Resource "*" only for actions that have no resource type', () => {
    // Act
    const everything = allows.filter((statement) => asList(statement.Resource).includes('*'));
    // Assess
    expect(everything.flatMap((statement) => asList(statement.Action))).toEqual(['omics:ListRuns']);
    for (const statement of everything) {
      for (const action of asList(statement.Action))
        expect(ACTIONS_WITHOUT_RESOURCE_TYPE.has(action)).toBe(true);
    }
  });

  it('gives each function exactly the actions its work needs', () => {
    // Assess
    for (const key of Object.keys(EXPECTED_ACTIONS) as FunctionKey[]) {
      const actions = [...new Set(statementsOf(key).flatMap((statement) => asList(statement.Action)))].sort();
      expect(actions, key).toEqual([...EXPECTED_ACTIONS[key]].sort());
    }
  });

  it('starts runs on runs, workflows and run groups of this region, and passes only the service role, only to HealthOmics', () => {
    // Assess
    for (const key of ['launcher', 'reconciler'] as const) {
      const [startRun] = withAction(key, 'omics:StartRun');
      expect(resourcesOfStatement(startRun as Statement).sort()).toEqual(
        [
          'arn:<AWS::Partition>:omics:<AWS::Region>:<AWS::AccountId>:run/*',
          'arn:<AWS::Partition>:omics:<AWS::Region>:<AWS::AccountId>:workflow/*',
          'arn:<AWS::Partition>:omics:<AWS::Region>::workflow/*',
          'arn:<AWS::Partition>:omics:<AWS::Region>:<AWS::AccountId>:runGroup/*',
        ].sort(),
      );
      const [tag] = withAction(key, 'omics:TagResource');
      expect(resourcesOfStatement(tag as Statement)).toEqual([
        'arn:<AWS::Partition>:omics:<AWS::Region>:<AWS::AccountId>:run/*',
      ]);
      const passRole = withAction(key, 'iam:PassRole');
      expect(passRole).toHaveLength(1);
      expect(passRole[0]?.Resource).toEqual({ 'Fn::GetAtt': [serviceRoleId, 'Arn'] });
      expect(passRole[0]?.Condition).toEqual({
        StringEquals: { 'iam:PassedToService': 'omics.amazonaws.com' },
      });
    }
  });

  it('reads runs and only the run streams of the HealthOmics workflow log', () => {
    // Assess
    for (const key of ['tracker', 'reconciler'] as const) {
      expect(withAction(key, 'omics:GetRun').flatMap(resourcesOfStatement)).toEqual([
        'arn:<AWS::Partition>:omics:<AWS::Region>:<AWS::AccountId>:run/*',
      ]);
      expect(withAction(key, 'logs:GetLogEvents').flatMap(resourcesOfStatement)).toEqual([
        'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/omics/WorkflowLog:log-stream:run/*',
      ]);
    }
  });

  it("publishes notices only on gwm's topic (through its key) and puts events only on gwm's bus", () => {
    // Prepare
    const topic = `<${logicalIdOf(stack, stack.notifications.topic)}>`;
    const key = `<${logicalIdOf(stack, stack.notifications.key)}.Arn>`;
    const bus = `<${logicalIdOf(stack, stack.notifications.bus)}.Arn>`;
    // Assess
    for (const fn of ['intake', 'aggregator'] as const) {
      expect(withAction(fn, 'sns:Publish').flatMap(resourcesOfStatement)).toEqual([topic]);
      expect(withAction(fn, 'kms:GenerateDataKey').flatMap(resourcesOfStatement)).toEqual([key]);
      expect(withAction(fn, 'events:PutEvents').flatMap(resourcesOfStatement)).toEqual([bus]);
    }
  });

  it('lets the intake read manifests, and the intake and the restore tracker size inputs under the input prefixes only', () => {
    // Prepare
    const manifests = `<${logicalIdOf(stack, stack.intake.bucket)}.Arn>/*`;
    const inputs = [
      'arn:<AWS::Partition>:s3:::lab-inputs/fastq/*',
      'arn:<AWS::Partition>:s3:::lab-references/*',
    ];
    // Assess
    expect(withAction('intake', 's3:GetObjectVersion').flatMap(resourcesOfStatement)).toEqual([manifests]);
    for (const fn of ['intake', 'restoreTracker'] as const) {
      // HeadObject (the cost estimate, a restore's progress) is s3:GetObject: on objects under the input prefixes.
      expect(withAction(fn, 's3:GetObject').flatMap(resourcesOfStatement).sort(), fn).toEqual(
        (fn === 'intake' ? [manifests, ...inputs] : inputs).sort(),
      );
      // A prefix input is summed with ListObjectsV2: listing the input prefixes only.
      expect(
        withAction(fn, 's3:ListBucket').map((statement) => [
          resourcesOfStatement(statement),
          statement.Condition,
        ]),
        fn,
      ).toEqual([
        [['arn:<AWS::Partition>:s3:::lab-inputs'], { StringLike: { 's3:prefix': ['fastq/', 'fastq/*'] } }],
        [['arn:<AWS::Partition>:s3:::lab-references'], undefined],
      ]);
    }
    for (const fn of ['launcher', 'tracker', 'aggregator', 'reconciler', 'costCollector'] as const) {
      expect(withAction(fn, 's3:GetObject'), fn).toEqual([]);
    }
  });

  it('lets the aggregator (and its sweep) write QC sample-output lists under the output prefixes only', () => {
    // Assess
    expect(withAction('aggregator', 's3:PutObject').flatMap(resourcesOfStatement)).toEqual([
      'arn:<AWS::Partition>:s3:::lab-results/gwm/*gwm/*/sample-outputs.txt',
    ]);
    for (const fn of [
      'intake',
      'launcher',
      'tracker',
      'reconciler',
      'costCollector',
      'restoreTracker',
    ] as const) {
      expect(withAction(fn, 's3:PutObject'), fn).toEqual([]);
    }
  });

  it('grants table actions on the gwm table, and queries on the indexes each function reads by name', () => {
    // Prepare
    const table = `<${logicalIdOf(stack, stack.launchTable.table)}.Arn>`;
    const expectedIndexes: Record<FunctionKey, string[]> = {
      intake: [`${table}/index/gsi2`],
      launcher: [`${table}/index/gsi2`, `${table}/index/queue`],
      tracker: [`${table}/index/gsi1`],
      aggregator: [`${table}/index/gsi2`, `${table}/index/gsi4`],
      reconciler: [`${table}/index/gsi4`, `${table}/index/queue`],
      costCollector: [],
      restoreTracker: [`${table}/index/gsi4`],
    };
    // Assess
    for (const key of Object.keys(expectedIndexes) as FunctionKey[]) {
      const tableStatements = statementsOf(key).filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith('dynamodb:') && !STREAM.includes(action)),
      );
      const resources = tableStatements.flatMap(resourcesOfStatement);
      expect(resources.sort(), key).toEqual([table, ...expectedIndexes[key]].sort());
    }
  });

  it('creates a HealthOmics service role limited to the allowed prefixes, the workflow log and image pulls', () => {
    // Prepare
    const role = resourcesOf(template, 'AWS::IAM::Role')[serviceRoleId];
    const roleStatements = statementsOfRole(template, serviceRoleId);
    const byAction = (action: string) =>
      roleStatements.filter((statement) => asList(statement.Action).includes(action));
    // Assess
    expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'omics.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
    expect(byAction('s3:GetObject').flatMap(resourcesOfStatement)).toEqual([
      'arn:<AWS::Partition>:s3:::lab-inputs/fastq/*',
      'arn:<AWS::Partition>:s3:::lab-references/*',
      'arn:<AWS::Partition>:s3:::lab-results/gwm/*',
    ]);
    expect(byAction('s3:PutObject').flatMap(resourcesOfStatement)).toEqual([
      'arn:<AWS::Partition>:s3:::lab-results/gwm/*',
    ]);
    expect(
      byAction('s3:ListBucket').map((statement) => [resourcesOfStatement(statement), statement.Condition]),
    ).toEqual([
      [['arn:<AWS::Partition>:s3:::lab-inputs'], { StringLike: { 's3:prefix': ['fastq/', 'fastq/*'] } }],
      [['arn:<AWS::Partition>:s3:::lab-references'], undefined],
      [['arn:<AWS::Partition>:s3:::lab-results'], { StringLike: { 's3:prefix': ['gwm/', 'gwm/*'] } }],
    ]);
    expect(byAction('logs:PutLogEvents').flatMap(resourcesOfStatement)).toEqual([
      'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/omics/WorkflowLog:log-stream:*',
    ]);
    expect(byAction('logs:CreateLogGroup').flatMap(resourcesOfStatement)).toEqual([
      'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/omics/WorkflowLog:*',
    ]);
    expect(byAction('ecr:BatchGetImage').flatMap(resourcesOfStatement)).toEqual([
      'arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/*',
    ]);
  });

  it('limits image pulls to the named repositories when the settings name them', () => {
    // Act
    const { stack: named, template: namedTemplate } = synthesize({
      containerRepositories: ['nf-core/fastqc'],
    });
    const roleStatements = statementsOfRole(namedTemplate, logicalIdOf(named, named.serviceRole));
    // Assess
    expect(
      roleStatements
        .filter((statement) => asList(statement.Action).includes('ecr:BatchGetImage'))
        .flatMap(resourcesOfStatement),
    ).toEqual(['arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/nf-core/fastqc']);
  });

  it('uses a given service role instead of creating one, and passes only that role', () => {
    // Prepare
    const roleArn = 'arn:aws:iam::123456789012:role/lab-omics-runs';
    // Act
    const { stack: given, template: givenTemplate } = synthesize({ omicsServiceRoleArn: roleArn });
    const givenIds = logicalIdsOf(given);
    // Assess
    const omicsRoles = Object.values(resourcesOf(givenTemplate, 'AWS::IAM::Role')).filter((role) =>
      JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes('omics.amazonaws.com'),
    );
    expect(omicsRoles).toEqual([]);
    for (const key of ['launcher', 'reconciler'] as const) {
      const passRole = statementsOfRole(givenTemplate, givenIds[key].role).filter((statement) =>
        asList(statement.Action).includes('iam:PassRole'),
      );
      expect(passRole.map((statement) => statement.Resource)).toEqual([roleArn]);
    }
    expect(variablesOf(givenTemplate, givenIds.launcher.function).OMICS_ROLE_ARN).toBe(roleArn);
  });
});
