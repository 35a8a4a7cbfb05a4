import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../cli/args.ts';
import { describeFailure, UsageError } from '../../cli/errors.ts';

/** The UsageError a command line is refused with. */
function refused(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`expected ${argv.join(' ')} to be refused`);
}

describe('parseCommandLine', () => {
  it('reads list with every pagination control, repeated filters and global options anywhere', () => {
    const { globals, args } = parseCommandLine([
      '--region', 'eu-west-1', 'list', '--max-items', '7', '--page-size', '20', '--starting-token', 'eyJNYXJrZXIiOiJ4In0=',
      '--filter', 'status=in_progress,starting', '--filter', 'Name=s3-bucket,Values=a,b', '--source-type', 'cluster', '--json',
      '--profile', 'ops', '--endpoint-url', 'http://127.0.0.1:5000/',
    ]);

    expect(globals).toEqual({ region: 'eu-west-1', profile: 'ops', endpointUrl: 'http://127.0.0.1:5000' });
    expect(args).toEqual({
      command: 'list',
      kind: 'rds',
      maxItems: 7,
      pageSize: 20,
      startingToken: 'eyJNYXJrZXIiOiJ4In0=',
      filters: [
        { name: 'status', values: ['in_progress', 'starting'] },
        { name: 's3-bucket', values: ['a', 'b'] },
      ],
      sourceType: 'cluster',
      json: true,
    });
  });

  it('reads watch with ids and an interval, 10 s by default', () => {
    expect(parseCommandLine(['watch', 'a', 'b', 'a', '--interval', '2.5']).args).toEqual({ command: 'watch', kind: 'rds', ids: ['a', 'b'], intervalSeconds: 2.5 });
    expect(parseCommandLine(['watch']).args).toEqual({ command: 'watch', kind: 'rds', ids: [], intervalSeconds: 10 });
  });

  it('reads start, deployed and --local, and cancel', () => {
    const arn = 'arn:aws:rds:us-east-1:123456789012:snapshot:db';
    expect(parseCommandLine(['start', '--source-arn', arn, '--deadline-seconds', '3600']).args).toEqual({
      command: 'start',
      target: { kind: 'rds', sourceArn: arn },
      sourceArn: arn,
      deadlineSeconds: 3600,
      again: false,
      local: false,
      json: false,
    });
    expect(parseCommandLine(['start', '--source-arn', arn, '--again']).args).toMatchObject({ again: true });
    expect(parseCommandLine(['start', '--local', '--json']).args).toEqual({ command: 'start', again: false, local: true, json: true });
    expect(parseCommandLine(['cancel', 'export-1', '--table', 'coordination']).args).toEqual({ command: 'cancel', kind: 'rds', exportId: 'export-1', table: 'coordination', json: false });
  });

  it('reads start of an EC2 image and of an ADS agent', () => {
    expect(parseCommandLine(['start', '--image-id', 'ami-0123abcd', '--disk-image-format', 'raw']).args).toMatchObject({
      command: 'start',
      target: { kind: 'ec2-image', imageId: 'ami-0123abcd', diskImageFormat: 'RAW' },
    });
    expect(parseCommandLine(['start', '--image-id', 'ami-0123abcd']).args).toMatchObject({ target: { kind: 'ec2-image', diskImageFormat: 'VMDK' } });
    expect(parseCommandLine(['start', '--ads-agent-id', 'd-server-1', '--lookback-hours', '48']).args).toMatchObject({
      target: { kind: 'ads', agentId: 'd-server-1', lookbackHours: 48 },
    });
  });

  it('lists every kind without --kind, and one kind (RDS unless named) with filters or paging', () => {
    expect(parseCommandLine(['list']).args).toEqual({ command: 'list', filters: [], json: false });
    expect(parseCommandLine(['list', '--kind', 'ads']).args).toMatchObject({ kind: 'ads' });
    expect(parseCommandLine(['list', '--max-items', '5']).args).toMatchObject({ kind: 'rds', maxItems: 5 });
    expect(parseCommandLine(['list', '--filter', 'status=failed']).args).toMatchObject({ kind: 'rds' });
  });

  it('--help anywhere, and help COMMAND, ask for help', () => {
    expect(parseCommandLine(['--help']).args).toEqual({ command: 'help' });
    expect(parseCommandLine(['list', '-h']).args).toEqual({ command: 'help', topic: 'list' });
    expect(parseCommandLine(['help', 'cancel']).args).toEqual({ command: 'help', topic: 'cancel' });
  });

  it.each([
    [[], /no command/],
    [['lsit'], /unknown command "lsit"/],
    [['list', '--bogus'], /unknown option --bogus/],
    [['list', '--region'], /--region needs a value/],
    [['list', '--max-items', '0'], /--max-items "0": expected a whole number of at least 1/],
    [['list', '--max-items', '7x'], /--max-items "7x"/],
    [['list', '--kind', 's3'], /--kind "s3": use rds, ec2-image, ads/],
    [['list', 'extra'], /list takes no arguments/],
    [['list', '--filter', 'status'], /--filter "status": expected NAME=VALUE/],
    [['list', '--filter', 'status='], /no value/],
    [['list', '--table', 't'], /--table is not an option of list/],
    [['watch', '--interval', '0'], /--interval "0": expected seconds from 1 to 3600/],
    [['watch', '--json'], /--json is not an option of watch/],
    [['start'], /start needs what to export: --source-arn ARN \(RDS\), --image-id AMI \(EC2 image\) or --ads-agent-id ID/],
    [['start', '--source-arn', 'arn:aws:rds:us-east-1:123456789012:snapshot:db', '--image-id', 'ami-0123abcd'], /--source-arn and --image-id do not go together/],
    [['start', '--image-id', 'ami-nope'], /--image-id "ami-nope": expected an AMI id/],
    [['start', '--image-id', 'ami-0123abcd', '--disk-image-format', 'qcow2'], /--disk-image-format "QCOW2": use VMDK, RAW or VHD/],
    [['start', '--ads-agent-id', 'd-server-1', '--disk-image-format', 'RAW'], /--disk-image-format goes with --image-id only/],
    [['start', '--source-arn', 'x', '--deadline-seconds', '604801'], /--deadline-seconds "604801": expected a whole number from 1 to 604800/],
    [['start', '--local', '--state-machine-arn', 'arn:x'], /do not go together/],
    [['start', '--source-arn', 'x', '--scenario', 'f.json'], /--scenario goes with --local only/],
    [['cancel'], /cancel needs the export id/],
    [['cancel', 'a', 'b'], /cancel takes one export id, not 2/],
    [['list', '--endpoint-url', 'localhost:5000'], /--endpoint-url "localhost:5000": expected an http/],
  ])('refuses %j with one line naming the problem, exit status 2', (argv, message) => {
    const error = refused(argv as string[]);

    expect(error.message).toMatch(message);
    const { line, exitCode } = describeFailure(error);
    expect(exitCode).toBe(2);
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^export-orchestrator: .*\(see export-orchestrator --help\)$/);
  });
});
