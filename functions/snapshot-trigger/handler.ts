import { rdsSnapshots } from '../../shared/aws/rds-snapshots.ts';
import { stepFunctions } from '../../shared/aws/step-functions.ts';
import { readConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/lambda.ts';
import { RDS_CALL_BUDGET } from '../../shared/pacing.ts';
import { snapshotTriggerConfigShape, triggerSettings } from '../../shared/triggers-config.ts';
import { makeHandler } from './app.ts';

const config = readConfig(snapshotTriggerConfigShape);
export const handler = makeHandler({
  catalog: rdsSnapshots({}, RDS_CALL_BUDGET.snapshotTrigger.intervalMs),
  starter: stepFunctions(config.STATE_MACHINE_ARN),
  settings: triggerSettings(config),
  clock: systemClock,
});
