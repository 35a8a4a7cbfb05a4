import { rdsSnapshots } from '../../shared/aws/rds-snapshots.ts';
import { stepFunctions } from '../../shared/aws/step-functions.ts';
import { readConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/lambda.ts';
import { planExportsConfigShape } from '../../shared/triggers-config.ts';
import { makeHandler } from './app.ts';

const config = readConfig(planExportsConfigShape);
const rds = rdsSnapshots();
export const handler = makeHandler({
  catalog: rds,
  exports: rds,
  starter: stepFunctions(config.STATE_MACHINE_ARN),
  sources: config.SCHEDULED_SOURCES,
  clock: systemClock,
});
