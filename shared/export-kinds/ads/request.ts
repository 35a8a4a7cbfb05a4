import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import type { ExportDefaults } from '../../runtime/config.ts';
import { InvalidExportRequest } from '../../runtime/errors.ts';
import { madeOnFirstUse } from '../../runtime/on-first-use.ts';
import { quote } from '../../runtime/format.ts';
import { INPUT_LIMITS } from '../input-limits.ts';
import { deadlineField, described, describeIssue, sizeProblem, typeError } from '../input-rules.ts';

// What an ads export request is, checked before anything is queued or started. Apart from the
// adapter (shared/export-kinds/ads/ads-provider.ts), so validating a request never loads its client.

/** An Application Discovery Service export, ready for StartExportTask. ADS writes to its own bucket and hands out a pre-signed URL. */
export interface AdsRequest {
  kind: 'ads';
  /** The StartExportTask parameters. */
  ads: AdsExportParameters;
  /** ADS has no ARN for what it exports: a readable name of it, in the same place as an RDS source's. */
  source: { arn: string; type: 'ADS_EXPORT'; region: string; account: string; name: string };
  exportId: string;
  requestedAt: string;
  deadline: string;
}

/** The StartExportTask parameters, every field checked by validateAdsExportParameters. */
export interface AdsExportParameters {
  /** The one agent whose data is exported; absent: everything ADS holds (agentless collectors and agent summaries). */
  agentIds?: string[];
  /** ISO-8601; only with agentIds (ADS ignores the time range without an agent filter). */
  startTime?: string;
  endTime?: string;
}

const inputSchema = /* @__PURE__ */ madeOnFirstUse(() =>
  z.strictObject(
    {
      // Entries checked after: a list of 10,000 ids gets one problem, not 10,000.
      agentIds: z.optional(z.array(z.unknown(), typeError('an array with one agent id'))),
      startTime: z.optional(z.string(typeError('an ISO-8601 time, e.g. 2026-01-01T00:00:00Z'))),
      endTime: z.optional(z.string(typeError('an ISO-8601 time, e.g. 2026-01-02T00:00:00Z'))),
    },
    typeError('a JSON object (agentIds, startTime, endTime, all optional)'),
  ));

const AGENT_ID = /^\S+$/;

/** Checks an ADS export request; every bad field is named in one InvalidExportRequest. */
export function validateAdsExportParameters(raw: unknown): AdsExportParameters {
  const parsed = inputSchema().safeParse(raw);
  if (!parsed.success) {
    throw new InvalidExportRequest(
      parsed.error.issues.map((issue) => describeIssue(issue, Object.keys(inputSchema().shape))),
    );
  }
  const input = parsed.data;
  const problems: string[] = [];
  const agentIds = input.agentIds === undefined ? undefined : agentIdsOf(input.agentIds, problems);
  const start = timeOf('startTime', input.startTime, problems);
  const end = timeOf('endTime', input.endTime, problems);
  if (start !== undefined && end !== undefined && start >= end) problems.push(`startTime ${quote(input.startTime)} is not before endTime ${quote(input.endTime)}: swap them, or widen the range`);
  if (input.agentIds === undefined && (input.startTime !== undefined || input.endTime !== undefined)) {
    problems.push('startTime/endTime need agentIds: without an agent filter ADS ignores the time range and exports everything');
  }
  if (problems.length > 0) throw new InvalidExportRequest(problems);
  return {
    ...(agentIds ? { agentIds } : {}),
    ...(start !== undefined ? { startTime: new Date(start).toISOString() } : {}),
    ...(end !== undefined ? { endTime: new Date(end).toISOString() } : {}),
  };
}

/** The one agent id StartExportTask takes; each entry checked only when the count is right. */
function agentIdsOf(ids: readonly unknown[], problems: string[]): string[] | undefined {
  const { max } = INPUT_LIMITS.agentIds;
  if (ids.length !== max) {
    problems.push(`agentIds has ${ids.length.toLocaleString('en-US')} ids: StartExportTask exports the data of exactly one agent, so start one export per agent`);
    return undefined;
  }
  const before = problems.length;
  ids.forEach((id, index) => {
    const field = `agentIds[${index}]`;
    if (typeof id !== 'string') problems.push(`${field} must be a string, got ${described(id)}`);
    else {
      const problem = sizeProblem(field, id, INPUT_LIMITS.agentId, "ADS's limit for a filter value") ?? (AGENT_ID.test(id) ? undefined : `${field} ${quote(id)} is not an agent id: no whitespace (e.g. o-0123456789abcdef0)`);
      if (problem) problems.push(problem);
    }
  });
  return problems.length === before ? (ids as string[]) : undefined;
}

function timeOf(field: string, value: string | undefined, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  const size = sizeProblem(field, value, INPUT_LIMITS.adsTime, 'an ISO-8601 time');
  if (size) {
    problems.push(size);
    return undefined;
  }
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) problems.push(`${field} ${quote(value)} is not an ISO-8601 time with a date and a time, e.g. 2026-01-01T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** ADS exports are not deduplicated by the service (no client token): each execution is its own export. */
export function buildAdsRequest(raw: unknown, config: ExportDefaults, requestedAt: Date): AdsRequest {
  const { deadlineSeconds, ...rest } = raw as Record<string, unknown>;
  const deadline = deadlineField().safeParse(deadlineSeconds);
  const problems = deadline.success ? [] : deadline.error.issues.map((issue) => describeIssue(issue, [], { input: 'deadlineSeconds' }));
  let ads: AdsExportParameters | undefined;
  try {
    ads = validateAdsExportParameters(rest);
  } catch (error) {
    if (!(error instanceof InvalidExportRequest)) throw error;
    problems.push(...error.problems.map((problem) => problem.replace('allowed are agentIds, startTime, endTime', 'allowed are kind, agentIds, startTime, endTime, deadlineSeconds')));
  }
  if (problems.length > 0 || !ads) throw new InvalidExportRequest(problems);
  const region = config.ADS_REGION ?? config.AWS_REGION ?? '';
  const scope = ads.agentIds?.[0] ?? 'all-data';
  const hash = createHash('sha256').update(JSON.stringify([ads, requestedAt.toISOString()])).digest('hex').slice(0, 10);
  return {
    kind: 'ads',
    ads,
    // ADS has no ARN for what it exports: a readable name of it, in the same place.
    source: { arn: `discovery:${region}:agent/${scope}`, type: 'ADS_EXPORT', region, account: '', name: scope },
    // An agent id may be 1,000 characters: the readable part is cut so the id keeps to 60.
    exportId: `ads-${scope.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, INPUT_LIMITS.exportId.max - 'ads-'.length - hash.length - 1)}-${hash}`,
    requestedAt: requestedAt.toISOString(),
    deadline: new Date(requestedAt.getTime() + ((deadline.success ? deadline.data : undefined) ?? config.DEFAULT_DEADLINE_SECONDS) * 1000).toISOString(),
  };
}
