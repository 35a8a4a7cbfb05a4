import middy, { type MiddyfiedHandler } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { MalformedEvent } from '../runtime/errors.ts';
import { shapeProblems, type EventShape } from '../runtime/event-shape.ts';
import { logger } from '../runtime/logger.ts';
import { exportMetrics } from './export-metrics.ts';

/**
 * Every step is the same Lambda shape: structured logs with the request context, errors logged
 * once with their name (the name is what the state machine's Retry/Catch match) and rethrown, and
 * the export's metrics (started, ended, duration, GB, workflow failures) read from its input and output.
 */
export function workflowStep<TEvent, TResult>(
  step: (event: TEvent, context: Context) => Promise<TResult>,
  /** The fields the step reads: an event without them fails with MalformedEvent before the step runs. */
  expects: EventShape | readonly EventShape[] = {},
): MiddyfiedHandler<TEvent, TResult, Error, Context> {
  return middy<TEvent, TResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(exportMetrics())
    .use({
      before: async ({ event }) => {
        const problems = shapeProblems(event, expects);
        if (problems.length > 0) throw new MalformedEvent(`Malformed event: ${problems.join('; ')}`);
      },
    })
    .use({
      onError: async ({ error }) => {
        if (error) logger.error(`${error.name}: ${error.message}`, { errorName: error.name, error });
      },
    })
    .handler((event, context) => step(event, context));
}
