import * as z from 'zod/mini';
import { InvalidExportRequest } from '../../runtime/errors.ts';

// What an ads export request is, checked before anything is queued or started. Apart from the
// adapter (shared/export-kinds/ads/ads-provider.ts), so validating a request never loads its client.

/** A request ready for StartExportTask, every field checked by validateAdsExportRequest. */
export interface AdsExportRequest {
  /** The one agent whose data is exported; absent: everything ADS holds (agentless collectors and agent summaries). */
  agentIds?: string[];
  /** ISO-8601; only with agentIds (ADS ignores the time range without an agent filter). */
  startTime?: string;
  endTime?: string;
}

const inputSchema = z.strictObject(
  {
    agentIds: z.optional(z.array(z.string('must be a string'), 'must be a list with one agent id')),
    startTime: z.optional(z.string('must be an ISO-8601 time, e.g. 2026-01-01T00:00:00Z')),
    endTime: z.optional(z.string('must be an ISO-8601 time, e.g. 2026-01-02T00:00:00Z')),
  },
  'must be a JSON object (agentIds, startTime, endTime, all optional)',
);

const AGENT_ID = /^\S{1,200}$/;

/** Checks an ADS export request; every bad field is named in one InvalidExportRequest. */
export function validateAdsExportRequest(raw: unknown): AdsExportRequest {
  const parsed = inputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidExportRequest(
      parsed.error.issues.map((issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}: allowed are agentIds, startTime, endTime`
          : `${issue.path.length > 0 ? issue.path.join('.') : 'input'} ${issue.message}`,
      ),
    );
  }
  const input = parsed.data;
  const problems: string[] = [];
  if (input.agentIds !== undefined && input.agentIds.length !== 1) {
    problems.push(`agentIds has ${input.agentIds.length} ids: StartExportTask exports the data of exactly one agent, so start one export per agent`);
  }
  input.agentIds?.forEach((id, index) => {
    if (!AGENT_ID.test(id)) problems.push(`agentIds[${index}] "${id}" is not an agent id (e.g. o-0123456789abcdef0)`);
  });
  const start = timeOf('startTime', input.startTime, problems);
  const end = timeOf('endTime', input.endTime, problems);
  if (start !== undefined && end !== undefined && start >= end) problems.push(`startTime ${input.startTime} is not before endTime ${input.endTime}`);
  if (input.agentIds === undefined && (input.startTime !== undefined || input.endTime !== undefined)) {
    problems.push('startTime/endTime need agentIds: without an agent filter ADS ignores the time range and exports everything');
  }
  if (problems.length > 0) throw new InvalidExportRequest(problems);
  return {
    ...(input.agentIds ? { agentIds: input.agentIds } : {}),
    ...(start !== undefined ? { startTime: new Date(start).toISOString() } : {}),
    ...(end !== undefined ? { endTime: new Date(end).toISOString() } : {}),
  };
}

function timeOf(field: string, value: string | undefined, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) problems.push(`${field} "${value}" is not an ISO-8601 time with a date and a time, e.g. 2026-01-01T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : ms;
}
