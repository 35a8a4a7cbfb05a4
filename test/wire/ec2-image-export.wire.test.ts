/**
 * Ec2ImageExportProvider on the wire: the real EC2 SDK client, real HTTP on loopback.
 *
 * What moto 5.x does (verified while writing these tests, and asserted below): it implements none of
 * ExportImage, DescribeExportImageTasks and CancelExportTask. Each answers HTTP 500 with an HTML page
 * (moto raises NotImplementedError), which the provider reads as TransientAwsError, as it should for
 * any 5xx. So the provider's behaviour is tested against local/ec2-image-simulator.ts instead, served
 * by node:http on 127.0.0.1: the SDK serialises (Query form), signs, sends over a socket and parses
 * EC2's XML (fields under <ExportImageResponse>, lists of <item>, errors as <Response><Errors>)
 * exactly as it does against AWS.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EC2Client, paginateDescribeExportImageTasks } from '@aws-sdk/client-ec2';
import type { HttpRequest } from '@smithy/types';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { Ec2ImageExportProvider } from '../../shared/export-kinds/ec2-image/ec2-image-provider.ts';
import type { ExportImageParameters } from '../../shared/export-kinds/ec2-image/request.ts';
import { CannotCancelExport, ExportIdentifierConflict, ExportServiceError, ExportTaskNotFound, TransientAwsError } from '../../shared/runtime/errors.ts';
import { Ec2ImageExportSimulator, ec2QueryHandler, type ImageExportBehaviour } from '../../local/ec2-image-simulator.ts';
import { failure } from '../support/failure.ts';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDWIRETEST', secretAccessKey: 'wire-secret' };
const IMAGE_ID = 'ami-0123456789abcdef0';
const MISSING_IMAGE_ID = 'ami-0fedcba9876543210';
const motoEndpoint = inject('motoEndpoint');

function exportRequest(overrides: Partial<ExportImageParameters> = {}): ExportImageParameters {
  return { imageId: IMAGE_ID, diskImageFormat: 'VMDK', s3Bucket: 'image-exports', s3Prefix: 'amis/', roleName: 'vmimport', exportId: 'web-ami-0123456789', ...overrides };
}

describe.skipIf(!motoEndpoint)('EC2 image export against moto (wire)', () => {
  let ec2: EC2Client;

  beforeAll(() => {
    ec2 = new EC2Client({ endpoint: motoEndpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  });

  afterAll(() => ec2?.destroy());

  it('moto does not implement the image export API: its 500 reaches the workflow as TransientAwsError', async () => {
    // Prepare
    const provider = new Ec2ImageExportProvider(ec2);

    // Act
    const started = await failure(provider.start(exportRequest()));
    const described = await failure(provider.describe('export-ami-0123456789abcdef0'));
    const canceled = await failure(provider.cancel('export-ami-0123456789abcdef0'));

    // Assess: if this fails because moto answers, moto has learnt the API: test the provider against it
    for (const error of [started, described, canceled]) {
      expect(error).toBeInstanceOf(TransientAwsError);
      expect((error.cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(500);
    }
  });
});

/** One request as it reached the loopback server. */
interface Received {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  params: URLSearchParams;
}

describe('Ec2ImageExportProvider against the EC2 simulator over loopback HTTP (wire)', () => {
  let server: Server;
  let ec2: EC2Client;
  let provider: Ec2ImageExportProvider;
  let simulator: Ec2ImageExportSimulator;
  let behaviour: ImageExportBehaviour;
  let now: number;
  const received: Received[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, params: new URLSearchParams(body) });
        const request = { method: req.method, protocol: 'http:', hostname: '127.0.0.1', path: req.url, query: {}, headers: req.headers, body } as unknown as HttpRequest;
        ec2QueryHandler(simulator)
          .handle(request)
          .then(({ response }) => {
            res.writeHead(response.statusCode, response.headers);
            res.end(Buffer.from(response.body as Uint8Array));
          })
          .catch((error: unknown) => {
            res.writeHead(500);
            res.end(String(error));
          });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    ec2 = new EC2Client({ endpoint: `http://127.0.0.1:${port}`, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    provider = new Ec2ImageExportProvider(ec2);
  });

  afterAll(async () => {
    ec2?.destroy();
    await new Promise((resolve) => server?.close(resolve));
  });

  beforeEach(() => {
    now = Date.parse('2026-03-01T00:00:00Z');
    behaviour = { validatingSeconds: 60, exportSeconds: 1000, deletingSeconds: 30, finalTransferPercent: 95 };
    simulator = new Ec2ImageExportSimulator({ images: (id) => id === IMAGE_ID, behaviourFor: () => behaviour, now: () => now });
    received.length = 0;
  });

  afterEach(() => {
    now = Number.NaN;
  });

  const advance = (seconds: number) => {
    now += seconds * 1000;
  };

  it("ExportImage goes out as EC2's Query form, signed for ec2, with the export id as ClientToken; the task id comes back", async () => {
    // Act
    const started = await provider.start(exportRequest());

    // Assess
    const [call] = received;
    expect(call).toMatchObject({ method: 'POST', path: '/' });
    expect(call!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(call!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDWIRETEST\/\d{8}\/us-east-1\/ec2\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
    expect(Object.fromEntries(call!.params)).toEqual({
      Action: 'ExportImage',
      Version: '2016-11-15',
      ImageId: IMAGE_ID,
      DiskImageFormat: 'VMDK',
      'S3ExportLocation.S3Bucket': 'image-exports',
      'S3ExportLocation.S3Prefix': 'amis/',
      RoleName: 'vmimport',
      ClientToken: 'web-ami-0123456789',
      Description: 'export-orchestrator web-ami-0123456789',
    });
    const [task] = simulator.tasks.values();
    expect(started).toEqual({ exportId: task!.id, sourceArn: `arn:aws:ec2:${REGION}::image/${IMAGE_ID}`, status: 'STARTING', percent: 0, adopted: false });
    expect(started.exportId).toMatch(/^export-ami-[0-9a-f]{17}$/);
  });

  it('follows the task from validating (STARTING) through string Progress (IN_PROGRESS) to completed (COMPLETE)', async () => {
    // Prepare
    const { exportId } = await provider.start(exportRequest());
    const readings: Array<[string, number]> = [];

    // Act
    for (const seconds of [30, 40, 500, 600]) {
      advance(seconds);
      const observation = await provider.describe(exportId);
      readings.push([observation.status, observation.percent]);
    }

    // Assess
    expect(readings).toEqual([
      ['STARTING', 0],
      ['IN_PROGRESS', 1],
      ['IN_PROGRESS', 51],
      ['COMPLETE', 100],
    ]);
    expect(received.filter((call) => call.params.get('Action') === 'DescribeExportImageTasks').map((call) => call.params.get('ExportImageTaskId.1'))).toEqual([
      exportId,
      exportId,
      exportId,
      exportId,
    ]);
  });

  it('a retried start (same export id) gets the same task back; the same id for another image is ExportIdentifierConflict', async () => {
    // Prepare
    const first = await provider.start(exportRequest());
    advance(120);

    // Act
    const retried = await provider.start(exportRequest());
    const conflict = await failure(provider.start(exportRequest({ imageId: 'ami-1234abcd' })));

    // Assess
    expect(retried.exportId).toBe(first.exportId);
    expect(retried.status).toBe('IN_PROGRESS');
    expect(simulator.tasks.size).toBe(1);
    expect(conflict).toBeInstanceOf(ExportIdentifierConflict);
    expect((conflict.cause as { name?: string }).name).toBe('IdempotentParameterMismatch');
  });

  it('a failure (deleting, then deleted, with a ClientError message) reads FAILED with the message, at once and after', async () => {
    // Prepare
    behaviour = { ...behaviour, failAtPercent: 30, failureMessage: 'ClientError: Access denied to s3://image-exports for role vmimport' };
    const { exportId } = await provider.start(exportRequest());

    // Act
    advance(60 + 300 + 1);
    const whileDeleting = await provider.describe(exportId);
    advance(60);
    const deleted = await provider.describe(exportId);

    // Assess
    expect(simulator.status(simulator.tasks.get(exportId)!).status).toBe('deleted');
    for (const observation of [whileDeleting, deleted]) {
      expect(observation).toMatchObject({ status: 'FAILED', percent: 30, failureCause: 'ClientError: Access denied to s3://image-exports for role vmimport' });
    }
  });

  it('a cancel goes out as CancelExportTask and the task reads CANCELING, then CANCELED once EC2 deleted it', async () => {
    // Prepare
    const { exportId } = await provider.start(exportRequest());
    advance(60 + 400);

    // Act
    const canceling = await provider.cancel(exportId);
    advance(10);
    const stillDeleting = await provider.describe(exportId);
    advance(30);
    const canceled = await provider.describe(exportId);

    // Assess
    expect(Object.fromEntries(received.find((call) => call.params.get('Action') === 'CancelExportTask')!.params)).toEqual({
      Action: 'CancelExportTask',
      Version: '2016-11-15',
      ExportTaskId: exportId,
    });
    expect([canceling, stillDeleting, canceled].map((o) => [o.status, o.percent])).toEqual([
      ['CANCELING', 40],
      ['CANCELING', 40],
      ['CANCELED', 40],
    ]);
  });

  it('a cancel that comes after completion returns COMPLETE (EC2 refused it; the task says why)', async () => {
    // Prepare
    const { exportId } = await provider.start(exportRequest());
    advance(2000);

    // Act
    const observation = await provider.cancel(exportId);

    // Assess
    expect(observation).toMatchObject({ exportId, status: 'COMPLETE', percent: 100 });
  });

  it('a cancel during the final transfer is CannotCancelExport, and the export goes on to complete', async () => {
    // Prepare
    const { exportId } = await provider.start(exportRequest());
    advance(60 + 970);

    // Act
    const error = await failure(provider.cancel(exportId));
    advance(100);
    const after = await provider.describe(exportId);

    // Assess
    expect(error).toBeInstanceOf(CannotCancelExport);
    expect(error.message).toContain('at 97%');
    expect(after.status).toBe('COMPLETE');
  });

  it('an unknown task id is ExportTaskNotFound, for describe and cancel', async () => {
    await expect(provider.describe('export-ami-00000000000000000')).rejects.toThrow(ExportTaskNotFound);
    await expect(provider.cancel('export-ami-00000000000000000')).rejects.toThrow(ExportTaskNotFound);
  });

  it("a missing AMI is ExportServiceError naming EC2's InvalidAMIID.NotFound, and no task is made", async () => {
    const error = await failure(provider.start(exportRequest({ imageId: MISSING_IMAGE_ID })));

    expect(error).toBeInstanceOf(ExportServiceError);
    expect(error.message).toMatch(/^ExportImage failed: InvalidAMIID\.NotFound: The image id '\[ami-0fedcba9876543210\]' does not exist$/);
    expect(simulator.tasks.size).toBe(0);
  });

  it('EC2 throttling (503 RequestLimitExceeded) is TransientAwsError, for the state machine to retry', async () => {
    // Prepare
    simulator = new Ec2ImageExportSimulator({ images: () => true, throttleRate: 1, random: { next: () => 0 }, now: () => now });

    // Act
    const error = await failure(provider.start(exportRequest()));

    // Assess
    expect(error).toBeInstanceOf(TransientAwsError);
    expect(error.message).toMatch(/^ExportImage failed: RequestLimitExceeded: /);
  });

  it("the SDK's paginator walks the simulator's pages (MaxResults, NextToken) with the task-state filter", async () => {
    // Prepare: three active tasks and one completed
    for (const exportId of ['a-1', 'a-2', 'a-3']) await provider.start(exportRequest({ exportId }));
    advance(5000);
    await provider.start(exportRequest({ exportId: 'b-1' }));
    advance(1);

    // Act
    const pages: string[][] = [];
    for await (const page of paginateDescribeExportImageTasks({ client: ec2, pageSize: 1 }, { Filters: [{ Name: 'task-state', Values: ['completed'] }] })) {
      pages.push((page.ExportImageTasks ?? []).map((task) => task.Status ?? ''));
    }

    // Assess
    expect(pages).toEqual([['completed'], ['completed'], ['completed']]);
    expect(received.filter((call) => call.params.get('Action') === 'DescribeExportImageTasks').map((call) => call.params.get('NextToken'))).toEqual([null, '1', '2']);
  });
});
