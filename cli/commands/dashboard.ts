import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import {
  DashboardPortError,
  DEFAULT_DASHBOARD_PORT,
  startDashboardServer,
} from '../../infra/local/dashboard/dashboard-server.js';
import { readEndpoints, stateDirFrom } from '../../infra/local/endpoints.js';
import { EXIT } from '../exit-codes.js';
import { localTarget, NO_LOCAL_STACK } from '../target.js';
import { waitForSignal } from './up.js';

interface DashboardOptions {
  port: string;
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description(
      "Serve the local stack's dashboard on 127.0.0.1 (the CloudWatch dashboard's widgets, from the handlers' metrics and the table) until Ctrl-C",
    )
    .option('--port <port>', 'port on 127.0.0.1 (0: any free port)', String(DEFAULT_DASHBOARD_PORT))
    .action(async (options: DashboardOptions, command: Command) => {
      const globals = command.optsWithGlobals<{ stateDir?: string }>();
      const stateDir = stateDirFrom(globals.stateDir);
      const fail = (code: number, message: string) => {
        process.stderr.write(`${message}\n`);
        process.exitCode = code;
      };
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        return fail(
          EXIT.usage,
          `--port must be a port number from 0 to 65535, not ${JSON.stringify(options.port)}`,
        );
      }
      if (!existsSync(stateDir)) {
        return fail(
          EXIT.unreachable,
          `no state folder at ${stateDir}: start the local stack with \`gwm up\` (or pass --state-dir)`,
        );
      }
      const endpoints = await readEndpoints(stateDir);
      if (!endpoints)
        return fail(EXIT.unreachable, `${NO_LOCAL_STACK}\n(looked for ${stateDir}/endpoints.json)`);
      const target = localTarget(endpoints, stateDir);
      try {
        const server = await startDashboardServer({ stateDir, port, table: target });
        process.stdout.write(
          `gwm dashboard: ${server.url}  (the local stack in ${stateDir}; Ctrl-C to stop)\n`,
        );
        await waitForSignal();
        await server.stop();
      } catch (error) {
        if (error instanceof DashboardPortError) return fail(EXIT.usage, error.message);
        throw error;
      } finally {
        target.close();
      }
    });
}
