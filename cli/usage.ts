import { INPUT_LIMITS } from '../shared/export-kinds/input-limits.ts';
import type { CommandName } from './args.ts';

const GLOBAL = `Global options (as the AWS CLI has them):
  --region REGION        AWS region (else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region)
  --profile NAME         named profile of ~/.aws/config and ~/.aws/credentials (else AWS_PROFILE)
  --endpoint-url URL     send every AWS call there (moto_server, LocalStack)
  -h, --help             this help, or a command's: export-orchestrator COMMAND --help`;

const PLACES = `  --accounts ID,ID|all   RDS exports of these accounts (all: yours and MEMBER_ACCOUNTS), each page of each place in
                         turn: a member through its role MEMBER_ROLE_NAME (export-orchestrator-member), with
                         MEMBER_EXTERNAL_ID, which must trust you (the member stack's OperatorRoleArns)
  --regions R,R|all      in these regions (all: MEMBER_REGIONS); else the region of --region / the profile`;

const COMMANDS: Record<CommandName, string> = {
  list: `export-orchestrator list [--kind rds|ec2-image|ads] [--filter NAME=V1,V2]... [--source-type SNAPSHOT|CLUSTER]
                        [--max-items N] [--page-size N] [--starting-token T] [--json]
                        [--accounts ID,ID|all] [--regions R,R|all]
  Every export task of the account in the region, all pages: without --kind (and without filters or paging), every
  kind, one table each; a kind the region does not offer is a one-line note. With filters or paging: one kind, RDS
  unless --kind names another (RDS: DescribeExportTasks).
  --filter NAME=V1,V2    repeatable; any of the values matches, every filter must match. RDS: export-task-identifier,
                         s3-bucket, source-arn, status (starting, in_progress, complete, canceling, canceled, failed).
                         ec2-image: task-state (active, completed, deleting, deleted), export-image-task-id.
                         ads: export-id, agent-id. The AWS CLI's Name=status,Values=a,b is read too.
  --source-type T        RDS only: SNAPSHOT (DB and cluster snapshots) or CLUSTER (live clusters)
  --max-items N          stop after N tasks and print the NextToken to go on with
  --starting-token T     go on from that NextToken (even in the middle of a page)
  --page-size N          tasks per API call (RDS 20-100, ec2-image 1-500, ads 1-100); the listing is the same
  --json                 one JSON document: {"items": [...], "nextToken": "..." or null}; without --kind each item has
                         its "kind" and "notes" lists the kinds not offered
${PLACES}`,
  watch: `export-orchestrator watch [ID...] [--kind rds|ec2-image|ads] [--interval SECONDS] [--accounts ID,ID|all] [--regions R,R|all]
  Progress bars of exports (RDS by default; --kind for EC2 image or ADS exports), refreshed every --interval seconds (default 10) until every watched export ended:
  redrawn in place on a terminal, one line per refresh into a file or pipe. Without IDs: every running export
  (also those that start while watching). Exit status 0 when all completed, 1 when any failed or was canceled.
${PLACES}`,
  start: `export-orchestrator start --source-arn ARN [--again] [--deadline-seconds N] [--state-machine-arn ARN] [--json]
export-orchestrator start --image-id AMI [--disk-image-format VMDK|RAW|VHD] [--deadline-seconds N] [--state-machine-arn ARN]
export-orchestrator start --ads-agent-id ID [--lookback-hours N] [--deadline-seconds N] [--state-machine-arn ARN]
export-orchestrator start --local [--source-arn ARN] [--deadline-seconds N] [--scenario FILE] [--json]
  Starts an execution of the deployed export state machine for the snapshot or cluster ARN, named by its export id,
  so starting the same snapshot again does nothing (and says so). --state-machine-arn, else
  EXPORT_ORCHESTRATOR_STATE_MACHINE_ARN (the stack's StateMachineArn output).
  --again                export the snapshot again when its earlier executions ended without the export
                         (FAILED, TIMED_OUT, ABORTED): its next attempt, under an export id of its own (RDS keeps a failed
                         or canceled task's id); nothing is started while one runs, after one succeeded, or while RDS
                         runs or has completed an export of it
  --image-id AMI         an EC2 image export (VMDK unless --disk-image-format), named by image, format and minute
  --ads-agent-id ID      an Application Discovery Service export of that agent's data of the last --lookback-hours (24)
  --deadline-seconds N   cancel the export if it has not finished N seconds after the start (at most ${INPUT_LIMITS.deadlineSeconds.max})
  --local                run the whole workflow on the embedded simulator instead (what npm start runs) and print
                         its result; the ARN's type picks the simulated source (DB snapshot, cluster snapshot, cluster)`,
  cancel: `export-orchestrator cancel ID [--kind rds|ec2-image] [--table NAME] [--json] [--accounts ID,ID|all] [--regions R,R|all]
  Cancels an export (RDS by default; --kind ec2-image for an export-ami-… id) through the workflow: the request is recorded in the coordination table and the
  execution following the export is woken; it cancels the task, notifies and ends CANCELED.
  --table NAME           the coordination DynamoDB table (else EXPORT_ORCHESTRATOR_TABLE)
  --accounts, --regions  a member's export: looked for in each of these places (as for list)`,
};

export function usage(topic?: CommandName): string {
  if (topic) return `Usage: ${COMMANDS[topic]}\n\n${GLOBAL}\n`;
  return `Usage: export-orchestrator COMMAND [options]

Commands:
  list     every export task, with the AWS CLI's pagination (--max-items, --page-size, --starting-token)
  watch    live progress bars until the exports end
  start    start the export workflow for a snapshot, cluster, AMI or ADS agent (or run it locally with --local)
  cancel   cancel an export through the workflow

${Object.values(COMMANDS).join('\n\n')}

${GLOBAL}

Exit status: 0 done, 1 AWS (or the export) said no, 2 wrong command line.
`;
}
