import { placeOfArn, type Place } from '../accounts/place.ts';
import type { ExportRequest } from '../export-kinds/request.ts';
import { InvalidExportRequest } from '../runtime/errors.ts';

/** The place whose export slots a request takes: its source's account and region (read from its ARN). */
export function exportPlaceOf(request: Pick<ExportRequest, 'source'>): Place {
  const place = placeOfArn(request.source.arn);
  if (!place) throw new InvalidExportRequest([`source ${request.source.arn} names no account and region: an RDS source is an ARN (arn:aws:rds:<region>:<account>:...)`]);
  return place;
}
