import { DescribeExportTasksCommand, ExportTaskNotFoundFault, type DescribeExportTasksCommandInput, type ExportTask, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import type { Output } from '../../cli/io.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

/** A stream that keeps what is written; a terminal of that width when `tty`. */
export function sink(tty = false, columns?: number): Output & { text: string; lines(): string[] } {
  const out = {
    text: '',
    isTTY: tty,
    ...(columns ? { columns } : {}),
    write(chunk: string) {
      out.text += chunk;
      return true;
    },
    lines: () => out.text.split('\n').filter((line) => line !== ''),
  };
  return out;
}

/** An export task as RDS describes it. */
export function task(i: number, extra: Partial<ExportTask> = {}): ExportTask {
  const id = `export-${String(i).padStart(3, '0')}`;
  return {
    ExportTaskIdentifier: id,
    SourceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:db-${i}`,
    SourceType: 'SNAPSHOT',
    S3Bucket: i % 2 === 0 ? 'even-bucket' : 'odd-bucket',
    S3Prefix: `exports/${id}`,
    Status: 'COMPLETE',
    PercentProgress: 100,
    TaskStartTime: new Date(Date.UTC(2026, 10, 23, 3, 0, i)),
    ...extra,
  };
}

/**
 * RDS DescribeExportTasks as the real service pages it (what moto does not do): Filters and
 * SourceType applied, MaxRecords 20-100 (default 100, anything else refused), an opaque Marker.
 * Returns the mock and every request it got.
 */
export function pagingRds(tasks: ExportTask[]): { client: RDSClient; requests: DescribeExportTasksCommandInput[]; mock: ReturnType<typeof mockClient> } {
  const client = new RDSClient({ region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  const mock = mockClient(client);
  const requests: DescribeExportTasksCommandInput[] = [];
  mock.on(DescribeExportTasksCommand).callsFake((input: DescribeExportTasksCommandInput) => {
    requests.push(input);
    const size = input.MaxRecords ?? 100;
    if (size < 20 || size > 100) throw Object.assign(new Error('MaxRecords must be between 20 and 100'), { name: 'InvalidParameterValue' });
    if (input.ExportTaskIdentifier) {
      const found = tasks.filter((t) => t.ExportTaskIdentifier === input.ExportTaskIdentifier);
      if (found.length === 0) throw new ExportTaskNotFoundFault({ message: `Cannot find export task with identifier ${input.ExportTaskIdentifier}`, $metadata: { httpStatusCode: 404 } });
      return { ExportTasks: found };
    }
    const matching = tasks.filter(
      (t) =>
        (input.Filters ?? []).every((f) => {
          const value = { 'export-task-identifier': t.ExportTaskIdentifier, 's3-bucket': t.S3Bucket, 'source-arn': t.SourceArn, status: t.Status?.toLowerCase() }[f.Name!];
          return (f.Values ?? []).includes(value ?? '');
        }) && (!input.SourceType || t.SourceType === input.SourceType),
    );
    const start = input.Marker ? Number(Buffer.from(input.Marker, 'base64').toString().slice('pos:'.length)) : 0;
    const page = matching.slice(start, start + size);
    const next = start + size < matching.length ? Buffer.from(`pos:${start + size}`).toString('base64') : undefined;
    return { ExportTasks: page, ...(next ? { Marker: next } : {}) };
  });
  return { client, requests, mock };
}
