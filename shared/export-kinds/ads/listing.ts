import type { ExportListing, ListedExport } from '../contract.ts';
import { lookupsThroughPages } from '../listing.ts';
import { adsExportPages } from './ads-provider.ts';
import type { AdsClient } from './client.ts';
import { observeAdsExport, type AdsExportInfo } from './status.ts';

/**
 * Application Discovery Service exports: DescribeExportTasks (awsJson1_1, no SDK client on our
 * registry: client.ts's AdsClient), paged by nextToken (maxResults 1-100).
 * ADS reports no source and no percentage: 0 until it succeeds.
 */
export function adsListing(ads: Pick<AdsClient, 'call'>): ExportListing {
  const listing: Pick<ExportListing, 'name' | 'idFilter' | 'tokenKey' | 'pageSize' | 'filters' | 'pages'> = {
    name: 'ads',
    idFilter: 'export-id',
    tokenKey: 'nextToken',
    pageSize: { min: 1, max: 100 },
    filters: {
      'export-id': { meaning: 'the export id' },
      'agent-id': { meaning: 'the discovery agent whose data is exported' },
    },
    async *pages(query, from) {
      const exportIds = query.filters.get('export-id');
      const agentIds = query.filters.get('agent-id');
      const select = { ...(exportIds ? { exportIds } : {}), ...(agentIds ? { agentIds } : {}), ...(query.pageSize ? { pageSize: query.pageSize } : {}) };
      for await (const page of adsExportPages(ads, select, from)) {
        yield { entries: page.exportsInfo.map((info) => ({ item: listedAdsExport(info), matches: !exportIds || exportIds.includes(info.exportId) })), next: page.next };
      }
    },
  };
  return { ...listing, ...lookupsThroughPages(listing) };
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
