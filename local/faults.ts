import { QueryError } from './aws-query.ts';

/**
 * Faults injected into the local services, in windows of simulated time: RDS throttling or 5xx in
 * bursts, network errors (the connection reset before any answer, as Node reports it: `code`
 * ECONNRESET), SNS outages, transient (5xx) or permanent (KMS denies the topic key), and Step
 * Functions refusing task-token callbacks (SendTaskSuccess / SendTaskFailure: `states`), STS
 * throttling or failing the member sessions' AssumeRole (`sts`), the coordination table's DynamoDB
 * throttling, failing or unreachable (`dynamodb`: the slot queue, the leases, the dispatcher).
 */
export const FAULT_SERVICES = ['rds', 'sns', 'states', 'sts', 'dynamodb'] as const;
export const FAULT_ERRORS = ['throttling', '5xx', 'network', 'kms-denied'] as const;

export interface FaultWindow {
  service: (typeof FAULT_SERVICES)[number];
  error: (typeof FAULT_ERRORS)[number];
  /** Seconds from the start of the run. */
  at: number;
  /** How long each burst lasts. */
  seconds: number;
  /** Repeat the burst with this period (seconds from one burst's start to the next); absent: once. */
  every?: number;
  /** Only this API operation of the service (e.g. StartExportTask); absent: every call. */
  operation?: string;
}

/** The window in force for a service at `elapsedSeconds`, if any. */
export function activeFault(windows: readonly FaultWindow[], service: FaultWindow['service'], elapsedSeconds: number, operation?: string): FaultWindow | undefined {
  return windows.find((window) => {
    if (window.service !== service || elapsedSeconds < window.at) return false;
    if (window.operation !== undefined && window.operation !== operation) return false;
    const intoBurst = window.every ? (elapsedSeconds - window.at) % window.every : elapsedSeconds - window.at;
    return intoBurst < window.seconds;
  });
}

/** What the service answers (a QueryError) or how the connection fails (a Node network error) during the window. */
export function faultAnswer(window: FaultWindow): Error {
  const { service } = window;
  switch (window.error) {
    case 'throttling':
      return new QueryError({ rds: 'Throttling', sns: 'Throttled', states: 'ThrottlingException', sts: 'Throttling', dynamodb: 'ThrottlingException' }[service], 'Rate exceeded', 400);
    case '5xx':
      return service === 'sns' ? new QueryError('InternalError', 'Internal error (simulated)', 500)
        : service === 'states' ? new QueryError('ServiceUnavailable', 'Service Unavailable (simulated)', 500)
        : service === 'dynamodb' ? new QueryError('InternalServerError', 'Internal server error (simulated)', 500)
        : new QueryError('InternalFailure', 'An internal error occurred (simulated).', 500);
    case 'network':
      return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
    case 'kms-denied':
      return new QueryError('KMSAccessDenied', 'User: arn:aws:sts::123456789012:assumed-role/notify is not authorized to perform: kms:GenerateDataKey on the topic key (simulated)', 400);
  }
}

/** A service's fault hook: the error to answer now to this operation, or undefined. Time counts from when the hook is made. */
export function faultHook(windows: readonly FaultWindow[], service: FaultWindow['service'], now: () => number = Date.now): (operation: string) => Error | undefined {
  const origin = now();
  return (operation) => {
    const window = activeFault(windows, service, (now() - origin) / 1000, operation);
    return window ? faultAnswer(window) : undefined;
  };
}
