import { snsPublisher } from '../../shared/aws/sns-publisher.ts';
import { notifyConfigShape, readConfig, verifyConfigShape, verifySettingsOf } from '../../shared/config.ts';
import { systemClock } from '../../shared/lambda.ts';
import { verifyDeps } from '../../shared/verification/aws/clients.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...verifyConfigShape, ...notifyConfigShape });
export const handler = makeHandler({ verify: verifyDeps(verifySettingsOf(config)), publisher: snsPublisher(config.TOPIC_ARN), clock: systemClock });
