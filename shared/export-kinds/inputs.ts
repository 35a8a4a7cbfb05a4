import { InvalidExportRequest } from '../runtime/errors.ts';
import { quote } from '../runtime/format.ts';
import { buildAdsRequest } from './ads/request.ts';
import type { BuildRequest } from './contract.ts';
import type { RequestDefaults } from '../accounts/members.ts';
import { buildEc2ImageRequest } from './ec2-image/request.ts';
import { buildRdsRequest } from './rds/request.ts';
import { EXPORT_KINDS, isExportKind } from './registry.ts';
import type { ExportKind, ExportRequest } from './request.ts';

/**
 * Each kind's execution input → its request. Beside the registry rather than in it: only admission
 * (and the tests) read an execution input, so only its cold start carries every kind's parsers.
 */
const INPUTS: { readonly [K in ExportKind]: BuildRequest<K> } = {
  rds: buildRdsRequest,
  'ec2-image': buildEc2ImageRequest,
  ads: buildAdsRequest,
};

/**
 * The execution input of any kind: `kind` ("rds" when absent, "ec2-image" or "ads") picks the
 * fields that are allowed and how they are checked. Every problem is reported at once.
 */
export function buildWorkflowRequest(raw: unknown, config: RequestDefaults, requestedAt: Date): ExportRequest {
  const { kind = 'rds', ...input } = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : { input: raw }) as Record<string, unknown>;
  if (!isExportKind(kind)) {
    throw new InvalidExportRequest([`kind ${quote(kind)} is not one of ${EXPORT_KINDS.map((k) => `"${k}"`).join(', ')}: leave it out for rds`]);
  }
  return INPUTS[kind](typeof raw === 'object' && raw !== null ? input : raw, config, requestedAt);
}
