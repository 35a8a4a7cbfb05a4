import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { CannotCancelExport, ExportServiceError, ExportTaskNotFound, TransientAwsError } from '../../runtime/errors.ts';
import type { ExportObservation, ExportProvider } from '../contract.ts';
import { toWorkflowError } from '../../runtime/aws-errors.ts';
import { AdsClient, AdsNetworkError, type AdsClientOptions } from './client.ts';
import type { AdsExportParameters } from './request.ts';
import { observeAdsExport, type AdsExportInfo, type AdsExportObservation } from './status.ts';

/** More pages than this means the service keeps handing out tokens: stop rather than loop. */
const MAX_PAGES = 1000;

/**
 * AWS Application Discovery Service exports (StartExportTask, DescribeExportTasks) over its client
 * (client.ts, signed by signer.ts); the request is checked in request.ts, its statuses read in status.ts.
 */
export class AdsExportProvider implements Omit<ExportProvider, 'start'> {
  constructor(private readonly ads: AdsClient) {}

  /**
   * ADS takes no client token and answers only the new exportId, so a start is never adopted and
   * the first reading is the status ADS gives any accepted export: IN_PROGRESS.
   */
  async start(request: AdsExportParameters): Promise<AdsExportObservation & { adopted: boolean }> {
    let answer: { exportId?: string };
    try {
      answer = await this.ads.call('StartExportTask', startInput(request), { idempotent: false });
    } catch (error) {
      throw workflowError('StartExportTask', error);
    }
    if (!answer.exportId) throw new ExportServiceError('StartExportTask answered without an exportId');
    return { exportId: answer.exportId, sourceArn: '', status: 'IN_PROGRESS', percent: 0, adopted: false };
  }

  async describe(exportId: string): Promise<AdsExportObservation> {
    for await (const info of this.exports({ exportIds: [exportId] })) {
      if (info.exportId === exportId) return observeAdsExport(info);
    }
    throw new ExportTaskNotFound(`Application Discovery Service export ${exportId} does not exist`);
  }

  /** ADS has no operation that stops an export. */
  async cancel(exportId: string): Promise<ExportObservation> {
    throw new CannotCancelExport(
      `Application Discovery Service cannot cancel export ${exportId}: it has no cancel operation. ` +
        'The export goes on by itself; the workflow stops following it.',
      exportId,
    );
  }

  /** Every export matching the query, across all pages (DescribeExportTasks' nextToken). */
  async *exports(query: AdsExportQuery = {}): AsyncGenerator<AdsExportInfo> {
    for await (const page of adsExportPages(this.ads, query)) yield* page.exportsInfo;
  }
}

/** What DescribeExportTasks selects by: export ids, the agents whose data is exported, and its page size (maxResults 1-100). */
export interface AdsExportQuery {
  exportIds?: string[];
  agentIds?: string[];
  pageSize?: number;
}

/**
 * DescribeExportTasks page by page from `from` (a nextToken; undefined: the first page) on, as the
 * provider and the listing read it: its errors named once, and a service that hands out a token it
 * gave before, or tokens without end, stops rather than pages forever.
 */
export async function* adsExportPages(
  ads: Pick<AdsClient, 'call'>,
  query: AdsExportQuery,
  from?: string,
): AsyncGenerator<{ exportsInfo: AdsExportInfo[]; next: string | undefined }> {
  let nextToken = from;
  const seen = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page++) {
    let answer: { exportsInfo?: AdsExportInfo[]; nextToken?: string };
    try {
      answer = await ads.call(
        'DescribeExportTasks',
        {
          ...(query.exportIds ? { exportIds: query.exportIds } : {}),
          ...(query.agentIds ? { filters: [{ name: 'agentIds', values: query.agentIds, condition: 'EQUALS' }] } : {}),
          ...(query.pageSize ? { maxResults: query.pageSize } : {}),
          ...(nextToken ? { nextToken } : {}),
        },
        { idempotent: true },
      );
    } catch (error) {
      throw workflowError('DescribeExportTasks', error);
    }
    nextToken = answer.nextToken || undefined;
    yield { exportsInfo: answer.exportsInfo ?? [], next: nextToken };
    if (!nextToken || seen.has(nextToken)) return;
    seen.add(nextToken);
  }
}

function startInput(request: AdsExportParameters): object {
  return {
    exportDataFormat: ['CSV'],
    ...(request.agentIds ? { filters: [{ name: 'agentIds', values: request.agentIds, condition: 'EQUALS' }] } : {}),
    ...(request.startTime ? { startTime: Date.parse(request.startTime) / 1000 } : {}),
    ...(request.endTime ? { endTime: Date.parse(request.endTime) / 1000 } : {}),
  };
}

function workflowError(operation: string, error: unknown): Error {
  if (error instanceof AdsNetworkError) return new TransientAwsError(`${operation} failed: ${error.message}`, { cause: error });
  return toWorkflowError(operation, error);
}

/**
 * Made once per cold start. Credentials come from the same default chain the SDK clients use
 * (environment, then the Lambda role); ADS must be called in the Migration Hub home region.
 */
export const adsExportProvider = (options: Omit<AdsClientOptions, 'credentials'> & { credentials?: AdsClientOptions['credentials'] }): AdsExportProvider =>
  new AdsExportProvider(new AdsClient({ ...options, credentials: options.credentials ?? defaultProvider() }));
