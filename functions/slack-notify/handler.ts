import { ssmSecret } from '../../shared/aws/ssm-secret.ts';
import { readConfig } from '../../shared/config.ts';
import { slackConfigShape } from '../../shared/slack-config.ts';
import { makeHandler } from './app.ts';

const config = readConfig(slackConfigShape);
// Retries follow DEFAULT_RETRY_POLICY (shared/slack.ts), bounded by the Lambda's remaining time.
export const handler = makeHandler({ webhook: ssmSecret(config.SLACK_WEBHOOK_PARAMETER), fetch: globalThis.fetch });
