import { ExportTaskNotFound } from '../runtime/errors.ts';
import type { ExportListing, ListedExport } from './contract.ts';
import { TERMINAL_STATUSES } from './status.ts';

export const hasEnded = (item: ListedExport): boolean => (TERMINAL_STATUSES as readonly string[]).includes(item.status);

/**
 * `describe` and `running` of a kind whose service has no call of its own for them: one export by
 * the kind's id filter, and every export that has not ended, read through its pages.
 */
export function lookupsThroughPages(listing: Pick<ExportListing, 'name' | 'idFilter' | 'pages'>): Pick<ExportListing, 'describe' | 'running'> {
  const all = async (filters: Map<string, string[]>): Promise<ListedExport[]> => {
    const found: ListedExport[] = [];
    for await (const page of listing.pages({ filters }, undefined)) for (const entry of page.entries) if (entry.matches) found.push(entry.item);
    return found;
  };
  return {
    async describe(exportId) {
      const [found] = await all(new Map([[listing.idFilter, [exportId]]]));
      if (!found) throw new ExportTaskNotFound(`${listing.name} export ${exportId} does not exist`);
      return found;
    },
    async running() {
      return (await all(new Map())).filter((item) => !hasEnded(item));
    },
  };
}
