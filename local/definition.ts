import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEFINITION_PATH = fileURLToPath(new URL('../statemachines/export.asl.json', import.meta.url));
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

export interface LocalDefinition {
  /** The ASL with each `{"Fn::GetAtt": [fn, "Arn"]}` replaced by a Lambda ARN, as CloudFormation would. */
  definition: Record<string, unknown> & { States: Record<string, Record<string, unknown>> };
  /** Task state name → the serverless.yml function it invokes. */
  taskFunctions: Record<string, string>;
}

/** Reads the same definition file that serverless.yml deploys. */
export function loadDefinition(path = DEFINITION_PATH): LocalDefinition {
  const definition = JSON.parse(readFileSync(path, 'utf8')) as LocalDefinition['definition'];
  const taskFunctions: Record<string, string> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    const resource = state.Resource as { 'Fn::GetAtt'?: [string, string] } | string | undefined;
    if (resource && typeof resource === 'object' && resource['Fn::GetAtt']) {
      const functionName = resource['Fn::GetAtt'][0];
      taskFunctions[name] = functionName;
      state.Resource = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:export-orchestrator-local-${functionName}`;
    }
  }
  return { definition, taskFunctions };
}
