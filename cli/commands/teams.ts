import type { Command } from 'commander';
import { manifestPrefixOf, type Team } from '../../domain/teams/team.js';
import { parseTeam } from '../../domain/teams/team-schema.js';
import type { CliContext } from '../context.js';
import { addListCommand, addShowCommand, readDocumentFile, rejectDocument } from '../document-file.js';
import { EXIT, notFoundError } from '../exit-codes.js';
import { truncate } from '../format.js';

function limits(team: Team): string {
  return team.maxInFlight === undefined ? 'no limit' : `${team.maxInFlight} in flight`;
}

export function registerTeams(program: Command, ctx: CliContext): void {
  const teams = program
    .command('teams')
    .description(
      'Teams sharing the account: where each uploads, what data it may use, its limits and share of the launch rate',
    );

  const missing = (name: string) => `no team is named "${name}" (gwm teams list shows them)`;
  addListCommand(teams, ctx, {
    description: 'List the teams',
    jsonHelp: 'print the teams as JSON',
    list: (target) => target.teams.list(),
    empty: [
      'No teams yet: add one with gwm teams add <team.json> (docs/teams.md).',
      'Manifests uploaded outside teams/<team>/ belong to the default team, if the deployment has one.',
    ],
    columns: ['name', 'uploads under', 'weight', 'limit', 'run group', 'reads', 'writes'],
    row: (team) => [
      team.name,
      manifestPrefixOf(team.name),
      String(team.weight),
      limits(team),
      team.runGroupId ?? '',
      truncate(team.readPrefixes.join(', '), 40),
      truncate(team.writePrefixes.join(', '), 40),
    ],
  });

  addShowCommand(teams, ctx, {
    description: 'Print one team (JSON, the form `teams add` reads)',
    nameHelp: 'team name',
    get: (target, name) => target.teams.get(name),
    missing,
  });

  teams
    .command('add')
    .description('Add a team, or replace the one with the same name, after checking it')
    .argument('<team.json>', 'the team document (see docs/teams.md)')
    .action(
      ctx.action(async (file: string, _options: unknown, command: Command) => {
        const text = await readDocumentFile(file);
        const target = await ctx.target(command);
        const deployment = target.allowedPrefixes && {
          readPrefixes: target.allowedPrefixes.read,
          writePrefixes: target.allowedPrefixes.write,
        };
        const parsed = parseTeam(text, deployment);
        if (!parsed.ok) return rejectDocument(ctx, file, 'team', parsed.problems);
        const { team } = parsed;
        const existing = await target.teams.get(team.name);
        await target.teams.put(team);
        ctx.out(
          `${existing ? 'Replaced' : 'Added'} team ${team.name} (weight ${team.weight}, ${limits(team)}) in ${target.description}.`,
        );
        ctx.out(`Its manifests go under s3://${target.manifestBucket}/${manifestPrefixOf(team.name)}`);
        return EXIT.ok;
      }),
    );

  teams
    .command('remove')
    .description('Remove a team: its manifests are then rejected (its batches and launches stay)')
    .argument('<name>', 'team name')
    .action(
      ctx.action(async (name: string, _options: unknown, command: Command) => {
        const target = await ctx.target(command);
        if (!(await target.teams.remove(name))) throw notFoundError(missing(name));
        ctx.out(`Removed team ${name} from ${target.description}.`);
        ctx.out(
          `Manifests uploaded under ${manifestPrefixOf(name)} are rejected from now on; its batches and launches stay.`,
        );
        return EXIT.ok;
      }),
    );
}
