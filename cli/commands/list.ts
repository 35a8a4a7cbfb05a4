import type { KindName, ListArgs } from '../args.ts';
import { serviceUnavailable } from '../errors.ts';
import type { Output } from '../io.ts';
import { buildQuery, type ExportKind } from '../query.ts';
import { collect, type Listing } from '../paging.ts';
import { renderJson, renderTable } from '../render.ts';

/** `list`: the kind's export tasks from --starting-token on, at most --max-items, as a table or JSON. */
export async function listCommand(args: ListArgs & { kind: KindName }, deps: { kind: ExportKind; stdout: Output }): Promise<Listing> {
  const query = buildQuery(deps.kind, {
    filters: args.filters,
    ...(args.sourceType !== undefined ? { sourceType: args.sourceType } : {}),
    ...(args.pageSize !== undefined ? { pageSize: args.pageSize } : {}),
  });
  const listing = await collect(deps.kind, query, {
    ...(args.maxItems !== undefined ? { maxItems: args.maxItems } : {}),
    ...(args.startingToken !== undefined ? { startingToken: args.startingToken } : {}),
  });
  deps.stdout.write(args.json ? renderJson(listing) : renderTable(listing));
  return listing;
}

/**
 * `list` without --kind: every kind's export tasks, one table each (or one JSON document whose items
 * carry their kind). A kind the region (or the endpoint) does not offer is a one-line note, not a
 * failure; anything else (credentials, throttling) fails the command as for one kind.
 */
export async function listAllKinds(
  args: ListArgs,
  deps: { kinds: Array<{ name: KindName; kind: () => Promise<ExportKind> }>; stdout: Output; where: () => Promise<string | undefined> },
): Promise<{ listings: Array<{ name: KindName; listing: Listing }>; notes: string[] }> {
  const listings: Array<{ name: KindName; listing: Listing }> = [];
  const notes: string[] = [];
  for (const { name, kind } of deps.kinds) {
    try {
      const adapter = await kind();
      listings.push({ name, listing: await collect(adapter, buildQuery(adapter, { filters: [] })) });
    } catch (error) {
      const why = serviceUnavailable(error);
      if (why === undefined) throw error;
      const region = await deps.where();
      notes.push(`note: no ${KIND_TITLES[name]} here${region ? ` (${region})` : ''}: ${why}`);
    }
  }
  if (args.json) {
    const items = listings.flatMap(({ name, listing }) => listing.items.map((item) => ({ kind: name, ...item })));
    deps.stdout.write(`${JSON.stringify({ items, nextToken: null, notes }, null, 2)}\n`);
  } else {
    const sections = listings.map(({ name, listing }) => `${KIND_TITLES[name]}:\n${renderTable(listing)}`);
    deps.stdout.write(`${sections.join('\n')}${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}`);
  }
  return { listings, notes };
}

const KIND_TITLES: Record<KindName, string> = {
  rds: 'RDS exports (snapshots and clusters)',
  'ec2-image': 'EC2 image exports',
  ads: 'Application Discovery Service exports',
};
