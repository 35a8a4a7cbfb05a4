import { rdsSnapshots } from '../../shared/triggers/rds-snapshots.ts';
import { stepFunctions } from '../../shared/workflow/step-functions.ts';
import { readConfig } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { planExportsConfigShape } from '../../shared/triggers/config.ts';
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
