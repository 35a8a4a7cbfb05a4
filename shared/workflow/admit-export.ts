import type { RequestDefaults } from '../accounts/members.ts';
import { dispatchBestEffort, startingNow, type DispatchDeps, type DispatchResult } from '../slots/dispatch.ts';
import { buildWorkflowRequest } from '../export-kinds/inputs.ts';
import { definitionOf } from '../export-kinds/registry.ts';
import type { StartInput } from '../slots/store.ts';
import { exportPlaceOf } from '../slots/place-of.ts';
import type { Place } from '../accounts/place.ts';

/** The admission step's input: the execution input as given, its start time, and the AdmitExport task token. */
export interface AdmissionInput {
  token: string;
  input: unknown;
  requestedAt: string;
  /** The execution's name: two executions may ask for the same export, each waits in its own place. */
  execution: string;
}

/**
 * Checks the request (bad input fails here, before anything is queued or started) and queues the
 * execution for an export slot. The dispatcher answers the token with the StartInput. An execution
 * whose start was refused for the quota comes back here with its own start time, so it keeps its place.
 */
export async function admitExport(
  event: AdmissionInput,
  defaults: RequestDefaults,
  deps: DispatchDeps,
  now: Date,
  /** Has the session of a member's place (MemberAccessDenied when its role cannot be assumed): nothing is queued for a place the deployment cannot reach. */
  reach: (place: Place) => Promise<void> = async () => {},
): Promise<{ exportId: string; dispatch: DispatchResult | undefined }> {
  const request = buildWorkflowRequest(event.input, defaults, new Date(event.requestedAt));
  const kind = definitionOf(request);
  const released: StartInput = {
    request,
    // Export events end a wait early (RDS's); a kind without them is found done by polling alone.
    bounds: { minSeconds: defaults.MIN_POLL_SECONDS, maxSeconds: defaults.MAX_POLL_SECONDS, eventSafetyNetSeconds: kind.sendsExportEvents ? defaults.EVENT_SAFETY_NET_SECONDS : 0 },
  };
  if (!kind.takesExportSlot) {
    // The slots are RDS's export quota; EC2 and ADS exports do not take one, so they start at once.
    await deps.callbacks.succeed(event.token, startingNow(released, now));
    return { exportId: request.exportId, dispatch: undefined };
  }
  const place = exportPlaceOf(request);
  await reach(place);
  // Back after a StartExport refused for the quota: the slot lent to it went to an export started
  // elsewhere, which the next dispatch must see (it asks RDS afresh).
  const refused = await deps.store.dropLease(place, request.exportId);
  await deps.store.enqueue(place, { exportId: request.exportId, sourceArn: request.source.arn, token: event.token, release: released, requestedAt: event.requestedAt, execution: event.execution });
  return { exportId: request.exportId, dispatch: await dispatchBestEffort(deps, place, now, refused ? 'requeued' : 'queued') };
}
