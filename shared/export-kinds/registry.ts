import { adsKind } from './ads/kind.ts';
import type { ExportKindDefinition } from './contract.ts';
import { ec2ImageKind } from './ec2-image/kind.ts';
import { rdsKind } from './rds/kind.ts';
import { kindOf, type ExportKind, type ExportRequest } from './request.ts';

/**
 * The one registry of export kinds: a kind's definition by its name. Every place where kinds
 * differ asks its definition (contract.ts ExportKindDefinition); the providers have their own,
 * lazily loaded table (providers.ts), and so have the inputs (inputs.ts) and the CLI's listings
 * (listings.ts), each for the bundles that need it. A new kind is its folder, its member of
 * ExportRequest, a line here and in each of those tables, and its simulator (docs/export-kinds.md).
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
