import { notifyConfigShape, readConfig } from '../../shared/runtime/config.ts';
import { snsPublisher } from '../../shared/notify/sns-publisher.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { makeHandler } from './app.ts';

const config = readConfig(notifyConfigShape);
export const handler = makeHandler({ publisher: snsPublisher(config.TOPIC_ARN), clock: systemClock });
