import { snsPublisher } from '../../shared/notify/sns-publisher.ts';
import { membersConfigShape, notifyConfigShape, readConfig, verifyConfigShape, verifySettingsOf } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { verifyDeps } from '../../shared/verification/aws/clients.ts';
import { membersOf } from '../../shared/accounts/members.ts';
import { placeClients } from '../../shared/accounts/clients.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...verifyConfigShape, ...membersConfigShape, ...notifyConfigShape });
export const handler = makeHandler({ verify: verifyDeps(verifySettingsOf(config), { rdsFor: placeClients(membersOf(config)) }), publisher: snsPublisher(config.TOPIC_ARN), clock: systemClock });
