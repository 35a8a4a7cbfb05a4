import { quickly } from './following.ts';
import type { ExportProvider } from '../export-kinds/contract.ts';
import type { StartInput } from '../slots/store.ts';
import { observe, type ExportState } from './export-state.ts';

export async function startExport({ request, bounds }: StartInput, provider: ExportProvider, now: Date): Promise<ExportState> {
  // Safe to repeat: the identifier is deterministic, and a task that already exists is adopted.
  const started = await quickly(() => provider.start(request));
  const initial: ExportState = {
    request,
    // EC2 and ADS name the task themselves; RDS answers with our id, so this changes nothing there.
    ...(started.exportId && started.exportId !== request.exportId ? { taskId: started.exportId } : {}),
    status: started.status,
    percent: 0,
    notifiedStatus: 'NONE',
    overdue: false,
    cancelRequested: false,
    canceledForDeadline: false,
    waitSeconds: 0,
    exportStartedAt: started.adopted ? (started.taskStartTime ?? now.toISOString()) : now.toISOString(),
    adopted: started.adopted,
    polls: 0,
    bounds,
    wakeByEvent: (bounds.eventSafetyNetSeconds ?? 0) > 0,
    cancelBackoff: false,
  };
  return observe(initial, started, now);
}
