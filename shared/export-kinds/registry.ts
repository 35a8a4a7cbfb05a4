import type { ExportDefaults } from '../runtime/config.ts';
import { InvalidExportRequest } from '../runtime/errors.ts';
import { quote } from '../runtime/format.ts';
import { adsKind } from './ads/kind.ts';
import type { ExportKindDefinition } from './contract.ts';
import { ec2ImageKind } from './ec2-image/kind.ts';
import { rdsKind } from './rds/kind.ts';
import { kindOf, type ExportKind, type ExportRequest } from './request.ts';

/**
 * The one registry of export kinds: a kind's definition by its name. Every place where kinds
 * differ asks its definition (contract.ts ExportKindDefinition); the providers have their own,
 * lazily loaded table (providers.ts). A new kind is a folder, its simulator (local/) and a line here.
 */
const KINDS: { readonly [K in ExportKind]: ExportKindDefinition<K> } = {
  rds: rdsKind,
  'ec2-image': ec2ImageKind,
  ads: adsKind,
};

export const EXPORT_KINDS = Object.keys(KINDS) as ExportKind[];

export function isExportKind(value: unknown): value is ExportKind {
  return typeof value === 'string' && Object.hasOwn(KINDS, value);
}

/**
 * The definition of a request's kind. KINDS gives each kind its own definition, so the definition
 * found by a request's kind takes that request (what TypeScript cannot follow through the lookup).
 */
export function definitionOf(request: Pick<ExportRequest, 'kind'>): ExportKindDefinition<ExportKind> {
  return KINDS[kindOf(request)] as ExportKindDefinition<ExportKind>;
}

/**
 * The execution input of any kind: `kind` ("rds" when absent, "ec2-image" or "ads") picks the
 * fields that are allowed and how they are checked. Every problem is reported at once.
 */
export function buildWorkflowRequest(raw: unknown, config: ExportDefaults, requestedAt: Date): ExportRequest {
  const { kind = 'rds', ...input } = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : { input: raw }) as Record<string, unknown>;
  if (!isExportKind(kind)) {
    throw new InvalidExportRequest([`kind ${quote(kind)} is not one of ${EXPORT_KINDS.map((k) => `"${k}"`).join(', ')}: leave it out for rds`]);
  }
  return KINDS[kind].buildRequest(typeof raw === 'object' && raw !== null ? input : raw, config, requestedAt);
}
