import { rdsSnapshots } from '../../shared/aws/rds-snapshots.ts';
import { stepFunctions } from '../../shared/aws/step-functions.ts';
import { readConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/lambda.ts';
import { RDS_CALL_BUDGET } from '../../shared/pacing.ts';
import { reconcileConfigShape, sweepSettings } from '../../shared/triggers-config.ts';
import { makeHandler } from './app.ts';

const config = readConfig(reconcileConfigShape);
const rds = rdsSnapshots({}, RDS_CALL_BUDGET.reconcileSnapshots.intervalMs);
export const handler = makeHandler({
  snapshots: rds,
  exports: rds,
  starter: stepFunctions(config.STATE_MACHINE_ARN),
  settings: sweepSettings(config),
  clock: systemClock,
});
