import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { MANIFEST_KEY_MATCHERS } from '../../functions/event-sources.js';
import { ROLE_NAME_MAX_LENGTH } from '../../infra/role-settings.js';
import * as fixture from './stack-fixture.js';

const key = (id: string) => `arn:aws:kms:eu-west-1:123456789012:key/${id}aaaaaa-1111-2222-3333-444455556666`;
const KEYS = {
  tableKeyArn: key('11'),
  manifestBucketKeyArn: key('22'),
  queueKeyArn: key('33'),
  logGroupKeyArn: key('44'),
  dataBucketKeyArns: [key('55'), key('66')],
};
const THROUGH_S3 = {
  StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
};

/** A statement allowing `action` on the key(s) `resource`, only through S3. */
const throughS3 = (action: string | string[], resource: string | string[]) => ({
  Effect: 'Allow',
  Action: action,
  Resource: resource,
  Condition: THROUGH_S3,
});

const actionsOf = (statement: fixture.Statement) => fixture.asList(statement.Action);
const onKey = (arn: string) => (statement: fixture.Statement) =>
  fixture.asList(statement.Resource as unknown).includes(arn);

describe('customer-managed keys', () => {
  // Prepare
  const { stack, template } = fixture.synthesize({ region: 'eu-west-1', encryption: KEYS });
  const ids = fixture.logicalIdsOf(stack);

  it('encrypts the table with the table key', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [Match.objectLike({ SSESpecification: { KMSMasterKeyId: KEYS.tableKeyArn } })],
    });
  });

  it('encrypts the manifest bucket with its key, S3 Bucket Keys on', () => {
    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: KEYS.manifestBucketKeyArn,
            },
          },
        ],
      },
    });
  });

  it('encrypts every queue (the failure queues and the cost queue) with the queue key', () => {
    // Assess
    const queues = Object.values(fixture.resourcesOf(template, 'AWS::SQS::Queue'));
    expect(queues).toHaveLength(11);
    for (const queue of queues) {
      expect(queue.Properties.KmsMasterKeyId).toBe(KEYS.queueKeyArn);
      expect(queue.Properties.SqsManagedSseEnabled).toBeUndefined();
    }
  });

  it("encrypts every function's log group with the log key", () => {
    // Assess
    const groups = Object.values(fixture.resourcesOf(template, 'AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(7);
    for (const group of groups) expect(group.Properties.KmsKeyId).toBe(KEYS.logGroupKeyArn);
  });

  it('lets the created service role use the input and output buckets’ keys through S3 only', () => {
    // Assess
    const serviceRole = fixture.logicalIdOf(stack, stack.serviceRole);
    const grants = fixture
      .statementsOfRole(template, serviceRole)
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith('kms:')));
    expect(grants).toEqual([throughS3(['kms:Decrypt', 'kms:GenerateDataKey'], KEYS.dataBucketKeyArns)]);
  });

  it('grants the table key to every function, the data keys to the writers of QC sample lists only', () => {
    // Assess
    for (const [name, { role }] of Object.entries(ids)) {
      const statements = fixture.statementsOfRole(template, role);
      const tableKey = statements.filter(onKey(KEYS.tableKeyArn)).flatMap(actionsOf);
      expect(tableKey, name).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:DescribeKey']));
      const dataKeys = statements.filter(onKey(KEYS.dataBucketKeyArns[0] ?? ''));
      if (name === 'aggregator') {
        expect(dataKeys, name).toEqual([throughS3('kms:GenerateDataKey', KEYS.dataBucketKeyArns)]);
      } else {
        expect(dataKeys, name).toEqual([]);
      }
    }
    // A function that writes items encrypts with the key too.
    const intakeTableKey = fixture
      .statementsOfRole(template, ids.intake.role)
      .filter(onKey(KEYS.tableKeyArn))
      .flatMap(actionsOf);
    expect(intakeTableKey).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKey']));
  });

  it('lets the intake decrypt manifests through S3, and no other function', () => {
    // Assess
    for (const [name, { role }] of Object.entries(ids)) {
      const manifestKey = fixture.statementsOfRole(template, role).filter(onKey(KEYS.manifestBucketKeyArn));
      if (name === 'intake') {
        expect(manifestKey, name).toEqual([throughS3('kms:Decrypt', KEYS.manifestBucketKeyArn)]);
      } else {
        expect(manifestKey, name).toEqual([]);
      }
    }
  });

  it('uses AWS-owned and S3- or SQS-managed encryption, and grants no key, when the settings name none', () => {
    // Prepare
    const { template: plain } = fixture.synthesize();
    // Assess
    for (const queue of Object.values(fixture.resourcesOf(plain, 'AWS::SQS::Queue')))
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    for (const group of Object.values(fixture.resourcesOf(plain, 'AWS::Logs::LogGroup')))
      expect(group.Properties.KmsKeyId).toBeUndefined();
    const kms = fixture
      .allIdentityStatements(plain)
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith('kms:')));
    // Only the notification topic's own key, for publishing.
    expect(kms.every((statement) => JSON.stringify(statement.Resource).includes('TopicKey'))).toBe(true);
  });

  it('refuses an alias where a key ARN is needed, naming the setting', () => {
    // Act & Assess
    expect(() =>
      fixture.synthesize({
        encryption: { queueKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/gwm', dataBucketKeyArns: [] },
      }),
    ).toThrow(/encryption\.queueKeyArn: a KMS key ARN/);
  });

  it("refuses a table key without the deployment's region, and a key of another region", () => {
    // Act & Assess
    expect(() =>
      fixture.synthesize({ encryption: { tableKeyArn: KEYS.tableKeyArn, dataBucketKeyArns: [] } }),
    ).toThrow(/region: required with encryption.tableKeyArn/);
    expect(() => fixture.synthesize({ region: 'us-east-1', encryption: { ...KEYS } })).toThrow(
      /encryption.dataBucketKeyArns\[1\]: a key in eu-west-1, not in the deployment's region us-east-1/,
    );
  });
});

describe('IAM roles the stack creates', () => {
  const BOUNDARY = 'arn:aws:iam::123456789012:policy/lab-boundary';

  it('all carry the permissions boundary and a name starting with the prefix, unique and within 64 characters', () => {
    // Prepare
    const { template } = fixture.synthesize({
      region: 'eu-west-1',
      permissionsBoundaryArn: BOUNDARY,
      roleNamePrefix: 'lab-gwm-',
    });
    // Assess: the functions', the run role, and CDK's own bucket-notifications handler
    const roles = Object.values(fixture.resourcesOf(template, 'AWS::IAM::Role'));
    expect(roles.length).toBeGreaterThanOrEqual(9);
    const names = roles.map((role) => role.Properties.RoleName as string);
    for (const role of roles) expect(role.Properties.PermissionsBoundary).toBe(BOUNDARY);
    for (const name of names) {
      expect(name).toMatch(/^lab-gwm-[A-Za-z0-9+=,.@_-]+-eu-west-1$/);
      expect(name.length).toBeLessThanOrEqual(ROLE_NAME_MAX_LENGTH);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it('keeps names unique and short with the longest prefix, a long stack path and the longest region', () => {
    // Prepare
    const prefix = 'p'.repeat(32);
    const { template } = fixture.synthesize({ roleNamePrefix: prefix, region: 'ap-southeast-4' });
    // Assess
    const names = Object.values(fixture.resourcesOf(template, 'AWS::IAM::Role')).map(
      (role) => role.Properties.RoleName as string,
    );
    for (const name of names) {
      expect(name.startsWith(prefix)).toBe(true);
      expect(name.endsWith('-ap-southeast-4')).toBe(true);
      expect(name.length).toBeLessThanOrEqual(ROLE_NAME_MAX_LENGTH);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it('name a region-agnostic stack’s roles after the region it is deployed to', () => {
    // Prepare
    const { template } = fixture.synthesize({ roleNamePrefix: 'lab-gwm-' });
    // Assess
    for (const role of Object.values(fixture.resourcesOf(template, 'AWS::IAM::Role'))) {
      expect(role.Properties.RoleName).toEqual({
        'Fn::Join': ['', [expect.stringMatching(/^lab-gwm-.*-$/), { Ref: 'AWS::Region' }]],
      });
    }
  });

  it('are left unnamed and unbounded when the settings say nothing', () => {
    // Prepare
    const { template } = fixture.synthesize();
    // Assess
    for (const role of Object.values(fixture.resourcesOf(template, 'AWS::IAM::Role'))) {
      expect(role.Properties.RoleName).toBeUndefined();
      expect(role.Properties.PermissionsBoundary).toBeUndefined();
    }
  });
});

describe('an existing manifest bucket', () => {
  // Prepare
  const { stack, template } = fixture.synthesize({
    region: 'eu-west-1',
    manifests: { bucketName: 'lims-drop', prefix: 'run/' },
    encryption: { manifestBucketKeyArn: KEYS.manifestBucketKeyArn, dataBucketKeyArns: [] },
  });
  const ids = fixture.logicalIdsOf(stack);

  it('creates no bucket and no notification configuration of its own', () => {
    // Assess
    expect(Object.keys(fixture.resourcesOf(template, 'AWS::S3::Bucket'))).toEqual([]);
    expect(Object.keys(fixture.resourcesOf(template, 'Custom::S3BucketNotifications'))).toEqual([]);
  });

  it("takes the bucket's Object Created events of manifest names, in any case, to the intake", () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: ['lims-drop'] }, object: { key: MANIFEST_KEY_MATCHERS } },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [ids.intake.function, 'Arn'] },
          DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
        }),
      ],
    });
  });

  it('tells the intake the prefix, and lets it (and no other function) read manifests under it only', () => {
    // Assess
    expect(fixture.variablesOf(template, ids.intake.function).MANIFEST_PREFIX).toBe('run/');
    for (const role of [ids.intake.role]) {
      const reads = fixture
        .statementsOfRole(template, role)
        .filter((statement) => actionsOf(statement).includes('s3:GetObjectVersion'));
      expect(reads.map((statement) => statement.Resource)).toEqual([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::lims-drop/run/*']] },
      ]);
    }
  });

  it('warns at synth that the bucket must send its events to EventBridge, and says so in the output', () => {
    // Assess
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('lims-drop.*EventBridge'));
    template.hasOutput('ManifestBucketName', {
      Value: 'lims-drop',
      Description: Match.stringLikeRegexp('under run/.*EventBridge notifications must be on'),
    });
  });
});
