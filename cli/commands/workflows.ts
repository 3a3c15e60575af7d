import type { Command } from 'commander';
import { parseWorkflowProfile } from '../../domain/manifest/index.js';
import type { CliContext } from '../context.js';
import { addListCommand, addShowCommand, readDocumentFile, rejectDocument } from '../document-file.js';
import { EXIT } from '../exit-codes.js';
import { truncate } from '../format.js';

export function registerWorkflows(program: Command, ctx: CliContext): void {
  const workflows = program
    .command('workflows')
    .description(
      'Workflow profiles: a named HealthOmics workflow and how manifest fields map onto its parameters',
    );

  addListCommand(workflows, ctx, {
    description: 'List the registered workflow profiles',
    jsonHelp: 'print the profiles as JSON',
    list: (target) => target.profiles.list(),
    empty: ['No workflow profiles yet: add one with gwm workflows add <profile.json>.'],
    columns: ['name', 'workflow', 'parameters', 'output', 'description'],
    row: (profile) => {
      const { id, type, version } = profile.workflow;
      return [
        profile.name,
        `${id}${version ? ` v${version}` : ''}${type === 'READY2RUN' ? ' (Ready2Run)' : ''}`,
        truncate(Object.keys(profile.parameterTemplate).join(', '), 40),
        profile.defaults.outputUri ?? '',
        truncate(profile.description, 40),
      ];
    },
  });

  addShowCommand(workflows, ctx, {
    description: 'Print one workflow profile (JSON, the form `workflows add` reads)',
    nameHelp: 'profile name',
    get: (target, name) => target.profiles.get(name),
    missing: (name) => `no workflow profile is named "${name}" (gwm workflows list shows them)`,
  });

  workflows
    .command('add')
    .description('Add a workflow profile, or replace the one with the same name, after checking it')
    .argument('<profile.json>', 'the profile document (see docs/manifest.md, "Example profile")')
    .action(
      ctx.action(async (file: string, _options: unknown, command: Command) => {
        const parsed = parseWorkflowProfile(await readDocumentFile(file));
        if (!parsed.ok) return rejectDocument(ctx, file, 'workflow profile', parsed.problems);
        const target = await ctx.target(command);
        const existing = await target.profiles.get(parsed.profile.name);
        await target.profiles.put(parsed.profile);
        ctx.out(
          `${existing ? 'Replaced' : 'Added'} workflow profile ${parsed.profile.name} (workflow ${parsed.profile.workflow.id}) in ${target.description}.`,
        );
        ctx.out(`Use it with: gwm submit <samplesheet.csv> --workflow ${parsed.profile.name}`);
        return EXIT.ok;
      }),
    );
}
