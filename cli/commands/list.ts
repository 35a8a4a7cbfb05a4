import type { ListArgs } from '../args.ts';
import type { Output } from '../io.ts';
import { buildQuery, type ExportKind } from '../kinds.ts';
import { collect, type Listing } from '../paging.ts';
import { renderJson, renderTable } from '../render.ts';

/** `list`: the kind's export tasks from --starting-token on, at most --max-items, as a table or JSON. */
export async function listCommand(args: ListArgs, deps: { kind: ExportKind; stdout: Output }): Promise<Listing> {
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
