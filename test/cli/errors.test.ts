import { DescribeExportTasksCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { CliError, describeFailure } from '../../cli/errors.ts';
import { toWorkflowError } from '../../shared/runtime/aws-errors.ts';
import { ExportTaskNotFound } from '../../shared/runtime/errors.ts';

const sdkError = (name: string, message: string, status: number) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('describeFailure: every failure is one line, exit status 1 for AWS', () => {
  it.each([
    ['throttled', toWorkflowError('DescribeExportTasks', sdkError('Throttling', 'Rate exceeded', 400)), /AWS throttled the request even after retries \(DescribeExportTasks failed: Throttling: Rate exceeded\)/],
    ['no credentials', toWorkflowError('DescribeExportTasks', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })), /no AWS credentials: pass --profile/],
    ['no region', new Error('Region is missing'), /no AWS region: pass --region/],
    ['expired session', toWorkflowError('StartExecution', sdkError('ExpiredTokenException', 'The security token included in the request is expired', 400)), /AWS refused the credentials/],
    ['denied', toWorkflowError('PutItem', sdkError('AccessDeniedException', 'not authorized to perform dynamodb:PutItem', 400)), /not allowed \(PutItem failed: AccessDeniedException/],
    ['unknown export', new ExportTaskNotFound('Export task nope does not exist'), /^export-orchestrator: Export task nope does not exist \(in this account and region\)$/],
    ['unreachable endpoint', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), /cannot reach AWS \(ECONNREFUSED/],
    ['anything else', toWorkflowError('StartExecution', sdkError('StateMachineDoesNotExist', 'State Machine Does Not Exist', 400)), /^export-orchestrator: StartExecution failed: StateMachineDoesNotExist: State Machine Does Not Exist$/],
    ['a message of ours', new CliError('export x already ended\nCOMPLETE'), /^export-orchestrator: export x already ended COMPLETE$/],
  ])('%s', (_, error, expected) => {
    const { line, exitCode } = describeFailure(error);

    expect(exitCode).toBe(1);
    expect(line).toMatch(expected);
    expect(line).not.toContain('\n');
  });

  it('names the profile when --profile gave no credentials', () => {
    const error = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });

    expect(describeFailure(error, { profile: 'ops' }).line).toMatch(/no AWS credentials from profile "ops"/);
  });

  it('a real SDK throttling answer, retried by the SDK, reads as throttled', async () => {
    const rds = new RDSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    mockClient(rds).on(DescribeExportTasksCommand).rejects(sdkError('ThrottlingException', 'Rate exceeded', 400));

    const error = await rds.send(new DescribeExportTasksCommand({})).catch((e: unknown) => toWorkflowError('DescribeExportTasks', e));

    expect(describeFailure(error).line).toMatch(/AWS throttled/);
  });
});
