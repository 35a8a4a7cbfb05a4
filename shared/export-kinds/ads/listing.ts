import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { AdsClient, AdsNetworkError, observeAdsExport, type AdsExportInfo } from './ads-provider.ts';
import { toWorkflowError } from '../../runtime/aws-errors.ts';
import { TransientAwsError } from '../../runtime/errors.ts';
import type { ExportKind, ListQuery, ListedExport, Page } from '../../../cli/query.ts';

/**
 * Application Discovery Service exports: DescribeExportTasks (awsJson1_1, no SDK client on our
 * registry: shared/export-kinds/ads/ads-provider.ts's AdsClient), paged by nextToken (maxResults 1-100).
 * ADS reports no source and no percentage: 0 until it succeeds.
 */
export function adsKind(ads: Pick<AdsClient, 'call'>): ExportKind {
  return {
    name: 'ads',
    idFilter: 'export-id',
    tokenKey: 'nextToken',
    pageSize: { min: 1, max: 100 },
    filters: {
      'export-id': { meaning: 'the export id' },
      'agent-id': { meaning: 'the discovery agent whose data is exported' },
    },
    async *pages(query: ListQuery, from: string | undefined): AsyncIterable<Page> {
      const exportIds = query.filters.get('export-id');
      const agentIds = query.filters.get('agent-id');
      let token = from;
      const seen = new Set<string>();
      do {
        let answer: { exportsInfo?: AdsExportInfo[]; nextToken?: string };
        try {
          answer = await ads.call(
            'DescribeExportTasks',
            {
              ...(exportIds ? { exportIds } : {}),
              ...(agentIds ? { filters: [{ name: 'agentIds', values: agentIds, condition: 'EQUALS' }] } : {}),
              ...(query.pageSize ? { maxResults: query.pageSize } : {}),
              ...(token ? { nextToken: token } : {}),
            },
            { idempotent: true },
          );
        } catch (error) {
          if (error instanceof AdsNetworkError) throw new TransientAwsError(`DescribeExportTasks failed: ${error.message}`, { cause: error });
          throw toWorkflowError('DescribeExportTasks', error);
        }
        const next = answer.nextToken || undefined;
        yield {
          entries: (answer.exportsInfo ?? []).map((info) => ({ item: listedAdsExport(info), matches: !exportIds || exportIds.includes(info.exportId) })),
          next,
        };
        // A service that hands out the same token again would page forever.
        if (next && seen.has(next)) return;
        if (next) seen.add(next);
        token = next;
      } while (token);
    },
  };
}

export function listedAdsExport(info: AdsExportInfo): ListedExport {
  try {
    const observed = observeAdsExport(info);
    return {
      exportId: observed.exportId,
      source: '',
      status: observed.status,
      percent: observed.percent,
      ...(observed.taskStartTime ? { startedAt: observed.taskStartTime } : {}),
      ...(observed.failureCause ? { failureCause: observed.failureCause } : {}),
    };
  } catch {
    return { exportId: info.exportId, source: '', status: (info.exportStatus ?? 'UNKNOWN').toUpperCase(), percent: null };
  }
}

export function adsClient(options: { region: string; endpoint?: string; credentials: AwsCredentialIdentityProvider }): AdsClient {
  return new AdsClient({ region: options.region, credentials: options.credentials, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
}
