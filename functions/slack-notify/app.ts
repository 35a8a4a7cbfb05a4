import type { SNSEvent } from 'aws-lambda';
import { workflowStep } from '../../shared/workflow/step.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';
import { deliverToSlack, type SlackDeliveryDeps, type SlackDeliveryResult } from '../../shared/notify/slack/delivery.ts';

export type SlackNotifyDeps = Omit<SlackDeliveryDeps, 'remainingMs'>;
export type SlackNotifyResult = SlackDeliveryResult;

export const makeHandler = (deps: SlackNotifyDeps) =>
  workflowStep<SNSEvent, SlackNotifyResult>((event, context) =>
    deliverToSlack(event, { ...deps, remainingMs: () => context.getRemainingTimeInMillis() }),
  EVENT_SHAPES.slackNotify,
  );
