import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEFINITION_PATH = fileURLToPath(new URL('../statemachines/export.asl.json', import.meta.url));
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';
/** The partition CloudFormation substitutes for `${AWS::Partition}` in the definition (aws-cn, aws-us-gov elsewhere). */
export const LOCAL_PARTITION = 'aws';

export interface TaskBinding {
  /** The serverless.yml function the Task state invokes. */
  functionName: string;
  /** `lambda:invoke.waitForTaskToken`: the state waits for SendTaskSuccess/Failure, not for the Lambda's answer. */
  callback: boolean;
}

export interface LocalDefinition {
  /** The ASL with each `{"Fn::GetAtt": [fn, "Arn"]}` replaced by a Lambda ARN and each `${AWS::Partition}` (the deployed definition is an Fn::Sub) by the local partition, as CloudFormation would. */
  definition: Record<string, unknown> & { States: Record<string, Record<string, unknown>> };
  taskBindings: Record<string, TaskBinding>;
}

export const localFunctionArn = (functionName: string) =>
  `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:export-orchestrator-local-${functionName}`;

/** Reads the same definition file that serverless.yml deploys. */
export function loadDefinition(path = DEFINITION_PATH): LocalDefinition {
  const definition = JSON.parse(readFileSync(path, 'utf8')) as LocalDefinition['definition'];
  const taskBindings: Record<string, TaskBinding> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const direct = getAttTarget(state.Resource);
    const viaParameters = getAttTarget((state.Parameters as Record<string, unknown> | undefined)?.FunctionName);
    const functionName = direct ?? viaParameters;
    if (functionName) taskBindings[name] = { functionName, callback: String(state.Resource).endsWith('.waitForTaskToken') };
    adaptTimeoutPath(name, state);
  }
  return { definition: resolveGetAtt(definition) as LocalDefinition['definition'], taskBindings };
}

/**
 * Step Functions reads TimeoutSecondsPath from the state's input; aws-local-stepfunctions reads it
 * after Parameters. The definition passes the same value in the Payload, so locally the path is
 * pointed there: both engines then wait the same time.
 */
function adaptTimeoutPath(name: string, state: Record<string, unknown>): void {
  const path = state.TimeoutSecondsPath;
  const parameters = state.Parameters as { Payload?: Record<string, unknown> } | undefined;
  if (typeof path !== 'string' || !parameters) return;
  const field = Object.entries(parameters.Payload ?? {}).find(([key, value]) => key.endsWith('.$') && value === path)?.[0];
  if (!field) throw new Error(`${name}: pass ${path} in Parameters.Payload too, so that the local engine can read its TimeoutSecondsPath`);
  state.TimeoutSecondsPath = `$.Payload.${field.slice(0, -2)}`;
}

function getAttTarget(value: unknown): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) ? getAtt[0] : undefined;
}

/** The pseudo parameters the definition may name in an `Fn::Sub`. */
const PSEUDO_PARAMETERS: Record<string, string> = { 'AWS::Partition': LOCAL_PARTITION, 'AWS::Region': LOCAL_REGION, 'AWS::AccountId': LOCAL_ACCOUNT };

function substitute(text: string): string {
  return text.replace(/\$\{(AWS::[A-Za-z]+)\}/g, (_match, name: string) => {
    const value = PSEUDO_PARAMETERS[name];
    if (value === undefined) throw new Error(`The definition names \${${name}}: only ${Object.keys(PSEUDO_PARAMETERS).join(', ')} are known locally`);
    return value;
  });
}

function resolveGetAtt(value: unknown): unknown {
  const target = getAttTarget(value);
  if (target) return localFunctionArn(target);
  if (typeof value === 'string') return substitute(value);
  if (Array.isArray(value)) return value.map(resolveGetAtt);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveGetAtt(v)]));
  return value;
}
