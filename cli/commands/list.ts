import { placeKey, type Place } from '../../shared/accounts/place.ts';
import type { ExportListing } from '../../shared/export-kinds/contract.ts';
import { definitionOf } from '../../shared/export-kinds/registry.ts';
import type { ExportKind } from '../../shared/export-kinds/request.ts';
import type { ListArgs } from '../args.ts';
import { serviceUnavailable } from '../errors.ts';
import type { Output } from '../io.ts';
import { collect, type ListResult } from '../paging.ts';
import { buildQuery } from '../query.ts';
import { renderJson, renderTable } from '../render.ts';

/** `list`: the kind's export tasks from --starting-token on, at most --max-items, as a table or JSON. */
export async function listCommand(args: ListArgs, deps: { listing: ExportListing; stdout: Output }): Promise<ListResult> {
  const query = buildQuery(deps.listing, {
    filters: args.filters,
    ...(args.sourceType !== undefined ? { sourceType: args.sourceType } : {}),
    ...(args.pageSize !== undefined ? { pageSize: args.pageSize } : {}),
  });
  const listed = await collect(deps.listing, query, {
    ...(args.maxItems !== undefined ? { maxItems: args.maxItems } : {}),
    ...(args.startingToken !== undefined ? { startingToken: args.startingToken } : {}),
  });
  deps.stdout.write(args.json ? renderJson(listed) : renderTable(listed));
  return listed;
}

/**
 * `list` without --kind: every kind's export tasks, one table each (or one JSON document whose items
 * carry their kind). A kind the region (or the endpoint) does not offer is a one-line note, not a
 * failure; anything else (credentials, throttling) fails the command as for one kind.
 */
export async function listAllKinds(
  args: ListArgs,
  deps: { kinds: Array<{ name: ExportKind; listing: () => Promise<ExportListing> }>; stdout: Output; where: () => Promise<string | undefined> },
): Promise<{ listings: Array<{ name: ExportKind; listed: ListResult }>; notes: string[] }> {
  const listings: Array<{ name: ExportKind; listed: ListResult }> = [];
  const notes: string[] = [];
  for (const { name, listing: listingOf } of deps.kinds) {
    try {
      const listing = await listingOf();
      listings.push({ name, listed: await collect(listing, buildQuery(listing, { filters: [] })) });
    } catch (error) {
      const why = serviceUnavailable(error);
      if (why === undefined) throw error;
      const region = await deps.where();
      notes.push(`note: no ${titleOf(name)} here${region ? ` (${region})` : ''}: ${why}`);
    }
  }
  if (args.json) {
    const items = listings.flatMap(({ name, listed }) => listed.items.map((item) => ({ kind: name, ...item })));
    deps.stdout.write(`${JSON.stringify({ items, nextToken: null, notes }, null, 2)}\n`);
  } else {
    const sections = listings.map(({ name, listed }) => `${titleOf(name)}:\n${renderTable(listed)}`);
    deps.stdout.write(`${sections.join('\n')}${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}`);
  }
  return { listings, notes };
}

const titleOf = (kind: ExportKind): string => definitionOf({ kind }).title;

/**
 * `list --accounts … --regions …`: the RDS export tasks of every place, one table each under its
 * account and region (or one JSON document whose items carry them); each place paged to its end, or
 * to --max-items.
 */
export async function listPlaces(
  args: ListArgs,
  deps: { places: Array<{ place: Place; listing: () => Promise<ExportListing> }>; stdout: Output },
): Promise<Array<{ place: Place; listed: ListResult }>> {
  const listed: Array<{ place: Place; listed: ListResult }> = [];
  for (const { place, listing: listingOf } of deps.places) {
    const listing = await listingOf();
    const query = buildQuery(listing, {
      filters: args.filters,
      ...(args.sourceType !== undefined ? { sourceType: args.sourceType } : {}),
      ...(args.pageSize !== undefined ? { pageSize: args.pageSize } : {}),
    });
    listed.push({ place, listed: await collect(listing, query, args.maxItems !== undefined ? { maxItems: args.maxItems } : {}) });
  }
  if (args.json) {
    const items = listed.flatMap(({ place, listed: result }) => result.items.map((item) => ({ account: place.account, region: place.region, ...item })));
    const nextTokens = Object.fromEntries(listed.filter(({ listed: result }) => result.nextToken).map(({ place, listed: result }) => [placeKey(place), result.nextToken]));
    deps.stdout.write(`${JSON.stringify({ items, nextToken: null, ...(Object.keys(nextTokens).length > 0 ? { nextTokens } : {}) }, null, 2)}\n`);
  } else {
    deps.stdout.write(listed.map(({ place, listed: result }) => `${placeKey(place)}:\n${renderTable(result)}`).join('\n'));
  }
  return listed;
}
