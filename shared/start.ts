import type { StartConfig } from './config.ts';
import type { ExportProvider } from './provider.ts';
import { buildExportRequest } from './request.ts';
import { observe, type ExportState } from './workflow.ts';

// Apart from workflow.ts so that only the start step bundles the input validation (and zod).

/** The start step's input: the execution input as given, and the execution's start time. */
export interface StartInput {
  input: unknown;
  requestedAt: string;
}

export async function startExport(event: StartInput, provider: ExportProvider, config: StartConfig, now: Date): Promise<ExportState> {
  const request = buildExportRequest(event.input, config, new Date(event.requestedAt));
  const started = await provider.start(request);
  const initial: ExportState = {
    request,
    status: started.status,
    percent: 0,
    notifiedStatus: 'NONE',
    overdue: false,
    canceledForDeadline: false,
    waitSeconds: 0,
    exportStartedAt: started.adopted ? (started.taskStartTime ?? now.toISOString()) : now.toISOString(),
    adopted: started.adopted,
    polls: 0,
    bounds: { minSeconds: config.MIN_POLL_SECONDS, maxSeconds: config.MAX_POLL_SECONDS },
  };
  return observe(initial, started, now);
}
