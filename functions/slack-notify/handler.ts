import { ssmSecret } from '../../shared/notify/slack/ssm-secret.ts';
import { readConfig, slackConfigShape } from '../../shared/runtime/config.ts';
import { makeHandler } from './app.ts';

const config = readConfig(slackConfigShape);
// Retries follow DEFAULT_RETRY_POLICY (shared/notify/slack/post.ts), bounded by the Lambda's remaining time.
export const handler = makeHandler({ webhook: ssmSecret(config.SLACK_WEBHOOK_PARAMETER), fetch: globalThis.fetch });
