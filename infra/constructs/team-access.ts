import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TEAM_MANIFEST_ROOT } from '../../domain/teams/team.js';
import { TABLE } from '../../functions/adapters/table.js';
import { acknowledgeWildcardResources } from '../nag.js';
import { allowKeysThroughS3, StackEncryption } from './encryption.js';

/** The principal tag that names a person's (or a pipeline's) team: `gwm-team=<name>`. */
export const TEAM_TAG = 'gwm-team';

const TEAM = `\${aws:PrincipalTag/${TEAM_TAG}}`;

export interface TeamAccessProps {
  table: ITableV2;
  manifestBucket: IBucket;
}

/**
 * One managed policy for every team: attached to a role or user tagged `gwm-team=<name>`, it
 * allows uploading manifests under `teams/<name>/` only, and reading the team's own batches and
 * launches through the team index only (its partition key is the bare team name, so
 * `dynamodb:LeadingKeys` keeps each team to its own). Nothing else of the table is readable.
 */
export class TeamAccess extends Construct {
  readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: TeamAccessProps) {
    super(scope, id);
    const teamIndex = TABLE.globalIndexes.find((index) => index.indexName === 'team');
    if (!teamIndex) throw new Error('the table has no team index');
    const uploads = props.manifestBucket.arnForObjects(`${TEAM_MANIFEST_ROOT}${TEAM}/*`);
    this.policy = new ManagedPolicy(this, 'TeamMember', {
      description: `gwm team member: upload under teams/<${TEAM_TAG} tag>/, read that team's batches and launches`,
      statements: [
        new PolicyStatement({
          sid: 'UploadManifestsUnderTheTeamPrefix',
          actions: ['s3:PutObject'],
          resources: [uploads],
        }),
        new PolicyStatement({
          sid: 'ReadTheTeamsOwnBatchesAndLaunches',
          actions: ['dynamodb:Query'],
          resources: [`${props.table.tableArn}/index/${teamIndex.indexName}`],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [TEAM] } },
        }),
      ],
    });
    // Keys of the deployment's: an upload is encrypted with the bucket's key (a multipart one reads
    // it back), and reading the table decrypts with its key.
    const keys = StackEncryption.of(this);
    if (keys.manifestBucket !== undefined)
      allowKeysThroughS3(this.policy, [keys.manifestBucket], ['kms:GenerateDataKey', 'kms:Decrypt']);
    if (keys.table !== undefined) {
      this.policy.addStatements(
        new PolicyStatement({
          sid: 'DecryptTheTable',
          actions: ['kms:Decrypt', 'kms:DescribeKey'],
          resources: [keys.table.keyArn],
        }),
      );
    }
    acknowledgeWildcardResources(
      this.policy,
      [uploads],
      'A team uploads any manifest name under its own prefix (teams/<its tag>/*), nothing else of the bucket.',
    );
  }
}
