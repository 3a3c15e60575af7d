import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DASHBOARD_WIDGETS } from '../../dashboard-widgets.js';
import { type DashboardData, dashboardData } from './dashboard-data.js';
import { renderPage, renderWidgets } from './dashboard-page.js';
import { type DashboardTable, readDashboardSources } from './dashboard-sources.js';

export const DEFAULT_DASHBOARD_PORT = 4590;
export const DASHBOARD_REFRESH_SECONDS = 5;

export class DashboardPortError extends Error {
  readonly code = 'DASHBOARD_PORT_BUSY';
  constructor(port: number, options: { cause: unknown }) {
    super(`port ${port} on 127.0.0.1 is in use: choose another with --port <n> (0: any free port)`, options);
    this.name = 'DashboardPortError';
  }
}

export interface DashboardServerOptions {
  stateDir: string;
  table: DashboardTable;
  /** 0: any free port. */
  port: number;
  refreshSeconds?: number;
  now?: () => Date;
}

export interface DashboardServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves the local dashboard on 127.0.0.1: `/` the page, `/widgets` its widgets (what the page
 * fetches again every few seconds), `/data.json` the numbers behind them. Each request reads the
 * state folder and the table afresh.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const refreshSeconds = options.refreshSeconds ?? DASHBOARD_REFRESH_SECONDS;
  const now = options.now ?? (() => new Date());
  const load = async (): Promise<DashboardData> =>
    dashboardData(DASHBOARD_WIDGETS, await readDashboardSources(options.stateDir, options.table, now()));
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, {
        'content-type': `${type}; charset=utf-8`,
        'cache-control': 'no-store',
        ...headers,
      });
      response.end(body);
    };
    if (request.method !== 'GET') return send(405, 'text/plain', 'only GET\n');
    if (!['/', '/widgets', '/data.json'].includes(path)) return send(404, 'text/plain', 'not found\n');
    load().then(
      (data) => {
        if (path === '/data.json') return send(200, 'application/json', `${JSON.stringify(data)}\n`);
        if (path === '/widgets')
          return send(200, 'text/html', renderWidgets(data), { 'x-generated-at': data.generatedAt });
        return send(200, 'text/html', renderPage(data, { refreshSeconds, where: options.stateDir }));
      },
      (error: Error) => send(503, 'text/plain', `cannot read the local stack: ${error.message}\n`),
    );
  });
  await listen(server, options.port);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new DashboardPortError(port, { cause: error }) : error);
    };
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', failed);
      resolve();
    });
  });
}
