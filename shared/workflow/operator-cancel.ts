import type { WaitDeps } from '../slots/export-events.ts';

/**
 * An operator's cancel goes through the workflow, so that it is notified like any other end: the
 * request is recorded for the export's next poll, and the waiting execution is woken to poll now.
 */
export async function requestCancel(target: { exportId: string; sourceArn: string }, requestedBy: string, { store, callbacks }: WaitDeps): Promise<'woken' | 'at next poll'> {
  await store.requestCancel(target.exportId, requestedBy);
  const waiting = await store.takeWait(target.sourceArn);
  if (waiting && 'token' in waiting && (await callbacks.succeed(waiting.token, { cancelRequestedBy: requestedBy }))) return 'woken';
  if (waiting) await store.swapWait(target.sourceArn, waiting); // an end noted by an event stays noted
  return 'at next poll';
}
