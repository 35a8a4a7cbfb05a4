/**
 * The packaged functions, hosted as Lambda hosts them: each unzipped bundle runs in its own Node 22
 * process under the AWS Lambda runtime interface client (aws-lambda-ric), which pulls invocations
 * from a Runtime API (`AWS_LAMBDA_RUNTIME_API`) served here. Beside it, a Lambda Invoke endpoint
 * (`POST /2015-03-31/functions/{name}/invocations`) answers as the Lambda service would, with
 * `X-Amz-Function-Error` and the runtime's error payload when the handler throws: moto's Step
 * Functions interpreter calls it for every Task state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostedFunction {
  /** The deployed name (FunctionName), e.g. export-orchestrator-rehearsal-admitExport. */
  name: string;
  /** The unzipped package: LAMBDA_TASK_ROOT. */
  taskRoot: string;
  /** The template's Handler, e.g. functions/admit-export/handler.handler. */
  handler: string;
  /** The function's environment as the template gives it, evaluated. */
  environment: Record<string, string>;
}

export interface InvocationResult {
  payload: string;
  /** The runtime's error type when the handler threw (`errorType` of the payload). */
  functionError?: string;
  durationMs: number;
}

interface Pending {
  requestId: string;
  payload: string;
  startedAt: number;
  resolve: (result: InvocationResult) => void;
}

/** One function's sandbox: the runtime process and the Runtime API it polls. */
class FunctionSandbox {
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Map<string, Pending>();
  private waitingPoll: ServerResponse | undefined;
  private child: ChildProcess | undefined;
  private server: Server | undefined;
  readonly output: string[] = [];
  /** Milliseconds from the process's spawn to its first request for work: the cold start. */
  initMs: number | undefined;
  private initialised!: { resolve: () => void; reject: (error: Error) => void };

  constructor(
    readonly spec: HostedFunction,
    private readonly arn: string,
  ) {}

  async start(nodeBinary: string, ricEntry: string, platformEnvironment: Record<string, string>, timeoutMs: number): Promise<number> {
    this.server = createServer((request, response) => void this.runtimeApi(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    const ready = new Promise<void>((resolve, reject) => (this.initialised = { resolve, reject }));
    const spawnedAt = performance.now();
    this.child = spawn(nodeBinary, [ricEntry], {
      cwd: this.spec.taskRoot,
      env: {
        ...platformEnvironment,
        ...this.spec.environment,
        AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
        LAMBDA_TASK_ROOT: this.spec.taskRoot,
        _HANDLER: this.spec.handler,
        AWS_LAMBDA_FUNCTION_NAME: this.spec.name,
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${this.spec.name}`,
        AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding('utf8').on('data', (chunk: string) => this.output.push(...chunk.split('\n').filter((line) => line.trim() !== '')));
    }
    this.child.on('exit', (code, signal) => {
      this.initialised.reject(new Error(`${this.spec.name} exited (${signal ?? code}) before asking for work:\n${this.output.join('\n')}`));
      // As Lambda answers when a runtime dies mid-invocation; this sandbox takes no more work.
      this.exited = `exited (${signal ?? `code ${code}`})`;
      for (const pending of [...this.inFlight.values(), ...this.queue.splice(0)]) this.failExited(pending);
      this.inFlight.clear();
    });
    const timer = setTimeout(() => this.initialised.reject(new Error(`${this.spec.name} did not start within ${timeoutMs} ms:\n${this.output.join('\n')}`)), timeoutMs);
    try {
      await ready;
    } finally {
      clearTimeout(timer);
    }
    this.initMs = performance.now() - spawnedAt;
    return this.initMs;
  }

  invoke(payload: string): Promise<InvocationResult> {
    return new Promise((resolve) => {
      const pending = { requestId: randomUUID(), payload, startedAt: performance.now(), resolve };
      if (this.exited) return this.failExited(pending);
      this.queue.push(pending);
      this.handOut();
    });
  }

  private exited: string | undefined;

  private failExited(pending: Pending): void {
    const payload = JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${pending.requestId} Error: Runtime ${this.exited}` });
    pending.resolve({ payload, functionError: 'Runtime.ExitError', durationMs: performance.now() - pending.startedAt });
  }

  async stop(): Promise<void> {
    this.waitingPoll?.destroy();
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child!.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }

  private handOut(): void {
    const response = this.waitingPoll;
    const next = this.queue[0];
    if (!response || !next) return;
    this.queue.shift();
    this.waitingPoll = undefined;
    this.inFlight.set(next.requestId, next);
    response.writeHead(200, {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': next.requestId,
      'Lambda-Runtime-Deadline-Ms': String(Date.now() + 30_000),
      'Lambda-Runtime-Invoked-Function-Arn': this.arn,
      'Lambda-Runtime-Trace-Id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=0`,
    });
    response.end(next.payload);
  }

  private async runtimeApi(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = request.url ?? '';
    if (request.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
      this.initialised.resolve();
      this.waitingPoll = response;
      this.handOut();
      return;
    }
    const done = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (request.method === 'POST' && done) {
      const pending = this.inFlight.get(decodeURIComponent(done[1]!));
      this.inFlight.delete(decodeURIComponent(done[1]!));
      response.writeHead(202).end('{"status":"OK"}');
      if (!pending) return;
      const durationMs = performance.now() - pending.startedAt;
      if (done[2] === 'response') pending.resolve({ payload: body, durationMs });
      else pending.resolve({ payload: body, functionError: errorTypeOf(body), durationMs });
      return;
    }
    if (request.method === 'POST' && url === '/2018-06-01/runtime/init/error') {
      response.writeHead(202).end('{"status":"OK"}');
      this.initialised.reject(new Error(`${this.spec.name} failed to initialise: ${body}`));
      return;
    }
    response.writeHead(404).end(JSON.stringify({ errorMessage: `unknown Runtime API call ${request.method} ${url}` }));
  }
}

/** The Lambda service of the rehearsal: the sandboxes, and the Invoke endpoint in front of them. */
export class LocalLambdaService {
  private readonly sandboxes = new Map<string, FunctionSandbox>();
  private server: Server | undefined;
  /** Every invocation, in order: what moto's interpreter (or the rehearsal) asked for and how it went. */
  readonly invocations: Array<{ functionName: string; functionError?: string; durationMs: number }> = [];

  constructor(
    private readonly options: { nodeBinary: string; ricEntry: string; region: string; account: string; platformEnvironment: Record<string, string> },
  ) {}

  functionArn(name: string): string {
    return `arn:aws:lambda:${this.options.region}:${this.options.account}:function:${name}`;
  }

  /** Cold-starts the functions one after the other (so that each init time is its own); returns them in milliseconds. */
  async start(functions: HostedFunction[], timeoutMs = 30_000): Promise<Map<string, number>> {
    const times = new Map<string, number>();
    for (const spec of functions) {
      const sandbox = new FunctionSandbox(spec, this.functionArn(spec.name));
      this.sandboxes.set(spec.name, sandbox);
      times.set(spec.name, await sandbox.start(this.options.nodeBinary, this.options.ricEntry, this.options.platformEnvironment, timeoutMs));
    }
    return times;
  }

  /** Serves the Invoke API on loopback; returns its port. */
  async listen(port = 0): Promise<number> {
    this.server = createServer((request, response) => void this.invokeApi(request, response));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async invoke(nameOrArn: string, payload: string): Promise<InvocationResult> {
    const name = nameOrArn.replace(/^arn:[^:]+:lambda:[^:]+:\d+:function:/, '').replace(/:(\$LATEST|\d+)$/, '');
    const sandbox = this.sandboxes.get(name);
    if (!sandbox) throw new Error(`no function ${name} (have ${[...this.sandboxes.keys()].join(', ')})`);
    const result = await sandbox.invoke(payload);
    this.invocations.push({ functionName: name, ...(result.functionError ? { functionError: result.functionError } : {}), durationMs: result.durationMs });
    return result;
  }

  /** Each function's log lines so far (its stdout and stderr). */
  logs(name: string): string[] {
    return this.sandboxes.get(name)?.output ?? [];
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sandboxes.values()].map((sandbox) => sandbox.stop()));
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }

  private async invokeApi(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(request.url ?? '');
    if (request.method !== 'POST' || !match) {
      // Only Lambda is routed here: anything else would mean moto's interpreter called another service.
      response.writeHead(501, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: `the rehearsal serves only Lambda Invoke, not ${request.method} ${request.url}` }));
      return;
    }
    try {
      const result = await this.invoke(decodeURIComponent(match[1]!), body || '{}');
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' };
      if (result.functionError) headers['X-Amz-Function-Error'] = 'Unhandled';
      response.writeHead(200, headers).end(result.payload);
    } catch (error) {
      response.writeHead(404, { 'Content-Type': 'application/json', 'X-Amzn-ErrorType': 'ResourceNotFoundException' }).end(JSON.stringify({ Type: 'User', message: (error as Error).message }));
    }
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body)).on('error', reject);
  });
}

function errorTypeOf(body: string): string {
  try {
    return String((JSON.parse(body) as { errorType?: unknown }).errorType ?? 'Error');
  } catch {
    return 'Error';
  }
}
