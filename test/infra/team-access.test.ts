import { describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../infra/stack-outputs.js';
import { synthesize } from './stack-fixture.js';

describe('team access', () => {
  const { template } = synthesize();

  it('has the team index, keyed by the bare team name', () => {
    const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
    const index = table?.Properties.GlobalSecondaryIndexes.find(
      (candidate: { IndexName: string }) => candidate.IndexName === 'team',
    );
    expect(index?.KeySchema).toEqual([
      { AttributeName: 'teamPk', KeyType: 'HASH' },
      { AttributeName: 'teamSk', KeyType: 'RANGE' },
    ]);
  });

  it('gives a tagged team member uploads under its own prefix and reads of its own launches, nothing more', () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((policy) =>
      String(policy.Properties.Description ?? '').startsWith('gwm team member'),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
    const text = JSON.stringify(statements);
    expect(statements.map((statement) => [statement.Sid, statement.Action])).toEqual([
      ['UploadManifestsUnderTheTeamPrefix', 's3:PutObject'],
      ['ReadTheTeamsOwnBatchesAndLaunches', 'dynamodb:Query'],
    ]);
    // Uploads: only under teams/<the principal's gwm-team tag>/ of the manifest bucket
    const tag = ['$', '{aws:PrincipalTag/gwm-team}'].join('');
    expect(text).toContain(`/teams/${tag}/*`);
    // Reads: the team index only, and only the partition named by the tag
    expect(text).toContain('/index/team');
    expect(statements[1]?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [tag] },
    });
    expect(text).not.toMatch(/dynamodb:(GetItem|Scan|PutItem|UpdateItem|BatchGetItem)/);
  });

  it('names the policy in the stack outputs', () => {
    expect(Object.keys(template.findOutputs(STACK_OUTPUTS.teamMemberPolicyArn))).toEqual([
      STACK_OUTPUTS.teamMemberPolicyArn,
    ]);
  });

  it('passes the default team and launch order to the functions as configured', () => {
    const { template: strict } = synthesize({ teams: { defaultTeam: null, launchOrder: 'stream-order' } });
    const functions = Object.values(strict.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment?.Variables?.TABLE_NAME !== undefined,
    );
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        DEFAULT_TEAM: '',
        LAUNCH_ORDER: 'stream-order',
      });
    }
  });
});
