import { coordinationStore } from '../../shared/slots/dynamodb-store.ts';
import { rdsSnapshots } from '../../shared/triggers/rds-snapshots.ts';
import { stepFunctions } from '../../shared/workflow/step-functions.ts';
import { readConfig } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { RDS_CALL_BUDGET } from '../../shared/runtime/pacing.ts';
import { reconcileConfigShape, sweepSettings } from '../../shared/triggers/config.ts';
import { makeHandler } from './app.ts';

const config = readConfig(reconcileConfigShape);
const rds = rdsSnapshots({}, RDS_CALL_BUDGET.reconcileSnapshots.intervalMs);
export const handler = makeHandler({
  snapshots: rds,
  exports: rds,
  inFlight: coordinationStore(config.COORDINATION_TABLE),
  starter: stepFunctions(config.STATE_MACHINE_ARN),
  settings: sweepSettings(config),
  clock: systemClock,
});
