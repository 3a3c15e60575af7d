import type { Command } from 'commander';
import { parseWorkflowProfile } from '../../domain/manifest/index.js';
import type { CliContext } from '../context.js';
import { readDocumentFile, rejectDocument } from '../document-file.js';
import { EXIT, notFoundError } from '../exit-codes.js';
import { json, makeTable, truncate } from '../format.js';

interface JsonOption {
  json?: boolean;
}

export function registerWorkflows(program: Command, ctx: CliContext): void {
  const workflows = program
    .command('workflows')
    .description(
      'Workflow profiles: a named HealthOmics workflow and how manifest fields map onto its parameters',
    );

  workflows
    .command('list')
    .description('List the registered workflow profiles')
    .option('--json', 'print the profiles as JSON')
    .action(
      ctx.action(async (options: JsonOption, command: Command) => {
        const target = await ctx.target(command);
        const profiles = (await target.profiles.list()).sort((a, b) => a.name.localeCompare(b.name));
        if (options.json) {
          ctx.io.stdout(json(profiles));
          return EXIT.ok;
        }
        if (profiles.length === 0) {
          ctx.out('No workflow profiles yet: add one with gwm workflows add <profile.json>.');
          return EXIT.ok;
        }
        const table = makeTable(['name', 'workflow', 'parameters', 'output', 'description'], ctx.colors);
        for (const profile of profiles) {
          const { id, type, version } = profile.workflow;
          table.push([
            profile.name,
            `${id}${version ? ` v${version}` : ''}${type === 'READY2RUN' ? ' (Ready2Run)' : ''}`,
            truncate(Object.keys(profile.parameterTemplate).join(', '), 40),
            profile.defaults.outputUri ?? '',
            truncate(profile.description, 40),
          ]);
        }
        ctx.out(table.toString());
        return EXIT.ok;
      }),
    );

  workflows
    .command('show')
    .description('Print one workflow profile (JSON, the form `workflows add` reads)')
    .argument('<name>', 'profile name')
    .action(
      ctx.action(async (name: string, _options: unknown, command: Command) => {
        const target = await ctx.target(command);
        const profile = await target.profiles.get(name);
        if (!profile)
          throw notFoundError(`no workflow profile is named "${name}" (gwm workflows list shows them)`);
        ctx.io.stdout(json(profile));
        return EXIT.ok;
      }),
    );

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
