import { ArnFormat, Aws, Stack, Validations } from 'aws-cdk-lib';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { parseS3Uri } from '../../domain/s3-uri.js';
import { OMICS_LOG_GROUP } from '../../functions/adapters/config.js';
import { acknowledgeWildcardResources } from '../nag.js';
import { allowKeysThroughS3, StackEncryption } from './encryption.js';

/**
 * HealthOmics resources gwm acts on. Run ids, workflows and run groups come from manifests and
 * from HealthOmics at run time, never from the deployment, so they are named by type within
 * this account and region.
 */
export function omicsArns(scope: Construct) {
  const stack = Stack.of(scope);
  const arn = (resource: string, account?: string) =>
    stack.formatArn({
      service: 'omics',
      resource,
      resourceName: '*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      ...(account === undefined ? {} : { account }),
    });
  return {
    runs: arn('run'),
    workflows: arn('workflow'),
    // Ready2Run workflows belong to HealthOmics: their ARNs carry no account.
    ready2RunWorkflows: arn('workflow', ''),
    runGroups: arn('runGroup'),
    /** The run engine's log streams, `run/<run id>` in `/aws/omics/WorkflowLog`. */
    runLogStreams: stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${OMICS_LOG_GROUP}:log-stream:run/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
    /** Run manifests, `manifest/run/<run id>/<run uuid>` in `/aws/omics/WorkflowLog`. */
    runManifestStreams: stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${OMICS_LOG_GROUP}:log-stream:manifest/run/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  };
}

const REASONS = {
  runs: 'HealthOmics assigns run ids when a run starts: gwm starts and reads runs whose ids it cannot know at deploy time.',
  workflows:
    'The workflow of each launch comes from the manifest (workflow profiles), not from the deployment; runs are still limited to this account and region.',
  ready2Run:
    'Ready2Run workflows are owned by HealthOmics (no account in their ARN) and chosen per launch in manifests.',
  runGroups: 'The run group of a launch, if any, comes from the manifest.',
  runManifests:
    "A run's manifest stream is named after its id and UUID (manifest/run/<id>/<uuid>), known only once the run exists; it is read to price DYNAMIC run storage.",
  runLogs:
    "A run's engine log stream is named after its id (run/<id>), known only once the run exists; nothing outside /aws/omics/WorkflowLog run streams is readable.",
  inputSizing:
    'Inputs are named by manifests under the allowed input prefixes; the cost estimate reads their sizes (HeadObject) and lists prefix inputs, nothing else.',
  inputRestores:
    'Archived inputs are named by manifests under the allowed input prefixes; gwm asks S3 to restore them (RestoreObject) and nothing else.',
  sampleOutputLists:
    "A QC run's output location comes from the manifest (inside the allowed output prefixes); only its gwm/<batch>/qc-<n>/sample-outputs.txt list files are writable.",
  listRuns:
    'omics:ListRuns has no resource type in the Service Authorization Reference, so it can only be granted on "*"; it lists run summaries only.',
};

/** StartRun (with the run's tags) and passing the service role, to HealthOmics only. */
export function allowStartRun(role: IRole, scope: Construct, serviceRole: IRole): void {
  const arns = omicsArns(scope);
  const startRun = [arns.runs, arns.workflows, arns.ready2RunWorkflows, arns.runGroups];
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['omics:StartRun'], resources: startRun }));
  // StartRun with tags is also authorized as TagResource on the new run.
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['omics:TagResource'], resources: [arns.runs] }));
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [serviceRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'omics.amazonaws.com' } },
    }),
  );
  acknowledgeWildcardResources(role, [arns.runs], REASONS.runs);
  acknowledgeWildcardResources(role, [arns.workflows], REASONS.workflows);
  acknowledgeWildcardResources(role, [arns.ready2RunWorkflows], REASONS.ready2Run);
  acknowledgeWildcardResources(role, [arns.runGroups], REASONS.runGroups);
}

/** CancelRun on runs, for a person's CANCEL (the launcher carries it out). */
export function allowCancelRun(role: IRole, scope: Construct): void {
  const arns = omicsArns(scope);
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['omics:CancelRun'], resources: [arns.runs] }));
  acknowledgeWildcardResources(role, [arns.runs], REASONS.runs);
}

/** GetRun on runs, and the end of a failed run's engine log. */
export function allowRunReads(role: IRole, scope: Construct): void {
  const arns = omicsArns(scope);
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['omics:GetRun'], resources: [arns.runs] }));
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['logs:GetLogEvents'], resources: [arns.runLogStreams] }),
  );
  acknowledgeWildcardResources(role, [arns.runs], REASONS.runs);
  acknowledgeWildcardResources(role, [arns.runLogStreams], REASONS.runLogs);
}

/**
 * What pricing a run reads: GetRun (storage, times), ListRunTasks and GetRunTask (its tasks), on
 * runs only; and the run manifest stream (the storage a DYNAMIC run used).
 */
export function allowRunTaskReads(role: IRole, scope: Construct): void {
  const arns = omicsArns(scope);
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['omics:GetRun', 'omics:ListRunTasks', 'omics:GetRunTask'],
      resources: [arns.runs],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['logs:GetLogEvents'], resources: [arns.runManifestStreams] }),
  );
  acknowledgeWildcardResources(role, [arns.runs], REASONS.runs);
  acknowledgeWildcardResources(role, [arns.runManifestStreams], REASONS.runManifests);
}

/** ListRuns, to find a run by name when a launcher crashed before recording it. */
export function allowListRuns(role: IRole): void {
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['omics:ListRuns'], resources: ['*'] }));
  acknowledgeWildcardResources(role, ['*'], REASONS.listRuns);
}

export interface OmicsServiceRoleProps {
  /** `s3://bucket/prefix/` URIs runs read from. */
  inputPrefixes: readonly string[];
  /** `s3://bucket/prefix/` URIs runs write to (and QC runs read back from). */
  outputPrefixes: readonly string[];
  /** ECR repository names containers are pulled from; absent: every repository of the account and region. */
  containerRepositories?: readonly string[];
}

/** The objects under each location (`arn:…:s3:::bucket/folder*`), each once. */
function objectArns(locations: readonly PrefixLocation[]): string[] {
  return unique(locations.map(({ bucket, folder }) => `arn:${Aws.PARTITION}:s3:::${bucket}/${folder}*`));
}

/**
 * ListObjectsV2 of each location's bucket, limited to its folders (`s3:prefix`), or the whole
 * bucket where a location is the bucket itself.
 */
function listingStatements(locations: readonly PrefixLocation[]): PolicyStatement[] {
  return [...groupByBucket(locations)].map(
    ([bucket, folders]) =>
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [`arn:${Aws.PARTITION}:s3:::${bucket}`],
        ...(folders.includes('')
          ? {}
          : {
              conditions: {
                StringLike: { 's3:prefix': folders.flatMap((folder) => [folder, `${folder}*`]) },
              },
            }),
      }),
  );
}

/**
 * The service role HealthOmics runs take (StartRun `roleArn`), with the permissions of the
 * service role documented by HealthOmics narrowed to the deployment's prefixes: read the
 * inputs, write the outputs, write the run logs, pull the workflow's containers.
 */
export class OmicsServiceRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: OmicsServiceRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new Role(this, 'Role', {
      // The trust policy HealthOmics documents for service roles.
      assumedBy: new ServicePrincipal('omics.amazonaws.com'),
      description: 'HealthOmics runs started by gwm: reads inputs, writes outputs and run logs',
    });

    const readable = [...props.inputPrefixes, ...props.outputPrefixes].map(prefixLocation);
    const writable = props.outputPrefixes.map(prefixLocation);
    const readObjects = objectArns(readable);
    const writeObjects = objectArns(writable);
    this.role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: readObjects }));
    this.role.addToPolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: writeObjects }));
    for (const statement of listingStatements(readable)) this.role.addToPolicy(statement);
    acknowledgeWildcardResources(
      this.role,
      unique([...readObjects, ...writeObjects]),
      'Objects under the S3 prefixes this deployment allows (allowedInputPrefixes, allowedOutputPrefixes): manifests name the objects, the deployment names the prefixes.',
    );
    // Inputs and outputs in SSE-KMS buckets: S3 decrypts what runs read and encrypts what they
    // write with the bucket's key, as the run's role; the keys serve nothing else through this role.
    allowKeysThroughS3(this.role, StackEncryption.of(this).dataBuckets, [
      'kms:Decrypt',
      'kms:GenerateDataKey',
    ]);
    Validations.of(this.role).acknowledge({
      id: 'HIPAA.Security-IAMNoInlinePolicy',
      reason:
        "The run role's permissions are a policy of its own, created and deleted with it, narrowed to this deployment's prefixes; a managed policy would be one more object others could attach.",
    });

    const logGroup = OMICS_LOG_GROUP;
    const logStreams = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${logGroup}:log-stream:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${logGroup}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:DescribeLogStreams', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logStreams],
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['logs:CreateLogGroup'], resources: [logGroupArn] }),
    );
    acknowledgeWildcardResources(
      this.role,
      [logStreams, logGroupArn],
      'HealthOmics writes each run to its own stream of /aws/omics/WorkflowLog, named after the run id; nothing outside that log group is granted.',
    );

    const repositories = (props.containerRepositories ?? ['*']).map((name) =>
      stack.formatArn({
        service: 'ecr',
        resource: 'repository',
        resourceName: name,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        resources: repositories,
      }),
    );
    if (props.containerRepositories === undefined) {
      acknowledgeWildcardResources(
        this.role,
        repositories,
        'Workflow containers may come from any ECR repository of this account and region unless containerRepositories names them; image pulls only.',
      );
    }
  }
}

interface PrefixLocation {
  bucket: string;
  /** The key prefix as a folder (`p/`), or '' for the whole bucket. */
  folder: string;
}

/**
 * The QC run's list of sample outputs: written by the aggregator (and by its sweep's recount)
 * under the QC output location, at `<qc output>gwm/<batch>/qc-<n>/sample-outputs.txt`, inside the
 * allowed output prefixes only.
 */
export function allowSampleOutputLists(role: IRole, outputPrefixes: readonly string[]): void {
  const resources = unique(
    outputPrefixes
      .map(prefixLocation)
      .map(({ bucket, folder }) => `arn:${Aws.PARTITION}:s3:::${bucket}/${folder}*gwm/*/sample-outputs.txt`),
  );
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources }));
  acknowledgeWildcardResources(role, resources, REASONS.sampleOutputLists);
  // An output bucket under SSE-KMS encrypts the list with its key.
  allowKeysThroughS3(role, StackEncryption.of(role).dataBuckets, ['kms:GenerateDataKey']);
}

/**
 * Sizing a batch's inputs for its cost estimate (the intake and its sweep), and a restore's
 * progress (the restore tracker's sweep): HeadObject (s3:GetObject) on objects under the allowed
 * input prefixes, and ListObjectsV2 (s3:ListBucket) of those prefixes for an input that names a
 * folder.
 */
export function allowInputSizing(role: IRole, inputPrefixes: readonly string[]): void {
  const locations = inputPrefixes.map(prefixLocation);
  const objects = objectArns(locations);
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: objects }));
  for (const statement of listingStatements(locations)) role.addToPrincipalPolicy(statement);
  acknowledgeWildcardResources(role, objects, REASONS.inputSizing);
}

/**
 * Restoring archived inputs (the intake, the launcher and the reconciler for a copy that expired,
 * the restore tracker's sweep asking again): RestoreObject under the allowed input prefixes only.
 */
export function allowInputRestores(role: IRole, inputPrefixes: readonly string[]): void {
  const objects = unique(
    inputPrefixes
      .map(prefixLocation)
      .map(({ bucket, folder }) => `arn:${Aws.PARTITION}:s3:::${bucket}/${folder}*`),
  );
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:RestoreObject'], resources: objects }));
  acknowledgeWildcardResources(role, objects, REASONS.inputRestores);
}

/** The buckets of the allowed input prefixes: the restore-completed rule listens to these. */
export function inputBuckets(inputPrefixes: readonly string[]): string[] {
  return unique(inputPrefixes.map((uri) => prefixLocation(uri).bucket));
}

/** The same folder rule the intake applies to allowed prefixes (domain/s3-uri.ts): `s3://b/p` means `p/`. */
function prefixLocation(uri: string): PrefixLocation {
  const parsed = parseS3Uri(uri);
  if (parsed === undefined) throw new Error(`not an S3 prefix: ${uri}`);
  const folder = parsed.key === '' || parsed.key.endsWith('/') ? parsed.key : `${parsed.key}/`;
  return { bucket: parsed.bucket, folder };
}

function groupByBucket(locations: readonly PrefixLocation[]): Map<string, string[]> {
  const buckets = new Map<string, string[]>();
  for (const { bucket, folder } of locations) {
    const folders = buckets.get(bucket) ?? [];
    if (!folders.includes(folder)) folders.push(folder);
    buckets.set(bucket, folders);
  }
  return buckets;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
