import type { WaitDeps } from '../../shared/slots/export-events.ts';
import { requestCancel } from '../../shared/workflow/operator-cancel.ts';
import type { CancelArgs } from '../args.ts';
import { CliError, UsageError } from '../errors.ts';
import type { Output } from '../io.ts';
import type { ListedExport } from '../../shared/export-kinds/contract.ts';
import { hasEnded } from '../../shared/export-kinds/listing.ts';

export const TABLE_ENV = 'EXPORT_ORCHESTRATOR_TABLE';

/** The coordination table: from --table, else the environment. */
export function tableOf(args: CancelArgs, env: Readonly<Record<string, string | undefined>>): string {
  const table = args.table ?? env[TABLE_ENV]?.trim();
  if (!table) throw new UsageError(`cancel needs the coordination table: --table NAME or ${TABLE_ENV} (the stack's CoordinationTable)`);
  return table;
}

export interface CancelOutcome {
  exportId: string;
  sourceArn: string;
  outcome: 'woken' | 'at next poll' | 'already canceling';
  status: string;
}

/**
 * `cancel`: through the workflow's cancel path (shared/workflow/operator-cancel.ts requestCancel), so the cancel is
 * notified like any other end. The export is described first: an unknown id, or one that already
 * ended, is an error, and its SourceArn finds the execution waiting on it.
 */
export async function cancelCommand(
  args: CancelArgs,
  deps: WaitDeps & { exports: { describe(exportId: string): Promise<ListedExport> }; stdout: Output; requestedBy: string },
): Promise<CancelOutcome> {
  const task = await deps.exports.describe(args.exportId);
  if (hasEnded(task)) throw new CliError(`export ${task.exportId} already ended ${task.status}: nothing to cancel`);
  let outcome: CancelOutcome['outcome'];
  if (task.status === 'CANCELING') outcome = 'already canceling';
  else outcome = await requestCancel({ exportId: task.exportId, sourceArn: task.source }, deps.requestedBy, { store: deps.store, callbacks: deps.callbacks });
  const result: CancelOutcome = { exportId: task.exportId, sourceArn: task.source, outcome, status: task.status };
  if (args.json) {
    deps.stdout.write(`${JSON.stringify(result)}\n`);
    return result;
  }
  const watch = `follow it with: export-orchestrator watch ${task.exportId}`;
  switch (outcome) {
    case 'woken':
      deps.stdout.write(`Cancel requested: the execution following ${task.exportId} was woken and cancels it now; ${watch}\n`);
      break;
    case 'at next poll':
      deps.stdout.write(
        `Cancel requested: the execution following ${task.exportId} cancels it at its next poll; ${watch}\n` +
          '  (no execution was waiting on it right now; if none follows this export, nothing will cancel it: aws rds cancel-export-task does)\n',
      );
      break;
    case 'already canceling':
      deps.stdout.write(`Export ${task.exportId} is already canceling: nothing to do; ${watch}\n`);
      break;
  }
  return result;
}
