import * as z from 'zod/mini';

/**
 * The Slack notifier's configuration. The webhook URL is a secret: only the *name* of the SSM
 * parameter that holds it comes through the environment (and so through CloudFormation).
 */
export const slackConfigShape = {
  SLACK_WEBHOOK_PARAMETER: z.string().check(
    // A URL here means someone pasted the secret itself into the environment: refuse it, and say so
    // without echoing it (readConfig never repeats a value).
    z.refine((name) => !/:\/\//.test(name), 'must name the SSM parameter that holds the webhook URL, not be the URL'),
    // The IAM policy builds the parameter ARN as `parameter${name}`, which only holds with a leading slash.
    z.regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, 'must be an SSM parameter name starting with "/", e.g. /export-orchestrator/prod/slack-webhook'),
  ),
};
export type SlackConfig = z.infer<z.ZodMiniObject<typeof slackConfigShape>>;
