import type { AdsRequest } from './ads/request.ts';
import type { Ec2ImageRequest } from './ec2-image/request.ts';
import type { RdsRequest } from './rds/request.ts';

/**
 * What the workflow carries for one export: a tagged union on `kind`, each member defined in its
 * kind's folder with only the fields that kind has. A new kind adds its member here.
 */
export type ExportRequest = RdsRequest | Ec2ImageRequest | AdsRequest;

/** "rds", "ec2-image", "ads": the `kind` of the execution input, and of every request. */
export type ExportKind = NonNullable<ExportRequest['kind']>;

/** The request of one kind. */
export type RequestOf<K extends ExportKind> = Extract<ExportRequest, { kind?: K }>;

/** A request's kind; requests made before kinds existed have none, and are RDS exports. */
export function kindOf(request: Pick<ExportRequest, 'kind'>): ExportKind {
  return request.kind ?? 'rds';
}

export function isRdsRequest(request: ExportRequest): request is RdsRequest {
  return kindOf(request) === 'rds';
}
