import { Logger } from '@aws-lambda-powertools/logger';

/** The one structured logger of every function (its request context added per invocation by workflowStep). */
export const logger = new Logger({ serviceName: 'export-orchestrator' });
