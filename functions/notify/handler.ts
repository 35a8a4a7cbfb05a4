import { notifyConfigShape, readConfig } from '../../shared/config.ts';
import { snsPublisher } from '../../shared/aws/sns-publisher.ts';
import { systemClock } from '../../shared/lambda.ts';
import { makeHandler } from './app.ts';

const config = readConfig(notifyConfigShape);
export const handler = makeHandler({ publisher: snsPublisher(config.TOPIC_ARN), clock: systemClock });
