import { rdsSnapshots } from '../../shared/triggers/rds-snapshots.ts';
import { stepFunctions } from '../../shared/workflow/step-functions.ts';
import { readConfig } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { RDS_CALL_BUDGET } from '../../shared/runtime/pacing.ts';
import { snapshotTriggerConfigShape, triggerSettings } from '../../shared/triggers/config.ts';
import { makeHandler } from './app.ts';

const config = readConfig(snapshotTriggerConfigShape);
export const handler = makeHandler({
  catalog: rdsSnapshots({}, RDS_CALL_BUDGET.snapshotTrigger.intervalMs),
  starter: stepFunctions(config.STATE_MACHINE_ARN),
  settings: triggerSettings(config),
  clock: systemClock,
});
