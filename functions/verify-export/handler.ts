import { snsPublisher } from '../../shared/notify/sns-publisher.ts';
import { notifyConfigShape, readConfig, verifyConfigShape, verifySettingsOf } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { verifyDeps } from '../../shared/verification/aws/clients.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...verifyConfigShape, ...notifyConfigShape });
export const handler = makeHandler({ verify: verifyDeps(verifySettingsOf(config)), publisher: snsPublisher(config.TOPIC_ARN), clock: systemClock });
