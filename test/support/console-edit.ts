import { editLaunchItem, type ItemEdit, setStatusEdit } from '../../functions/adapters/console-edit.js';
import type { TestApp } from './test-app.js';

export type ConsoleUpdate = ItemEdit;

/**
 * A plain UpdateItem on a launch item, keyed by its raw pk/sk, as a person editing it in the
 * DynamoDB console makes it: no condition, no revision, no derived keys recomputed.
 */
export function consoleEdit(
  app: TestApp,
  launch: { batchId: string; launchId: string },
  update: ConsoleUpdate,
) {
  return editLaunchItem(
    { client: app.table.client, tableName: app.table.tableName, entities: app.entities },
    launch,
    update,
  );
}

export function consoleSetStatus(
  app: TestApp,
  launch: { batchId: string; launchId: string },
  status: string,
) {
  return consoleEdit(app, launch, setStatusEdit(status));
}
