import { UsageError } from './errors.ts';
import type { ExportListing, ListQuery, ListedExport } from '../shared/export-kinds/contract.ts';

/**
 * Where a listing stopped: the service's token of the page to ask for next (undefined: the first
 * page) and how many of that page's items were already shown.
 */
export interface Position {
  token?: string;
  skip: number;
}

/** botocore's name for the items of the page already shown, kept so a token reads the same in both. */
const SKIP_KEY = 'boto_truncate_amount';

/**
 * The --starting-token text, built as the AWS CLI builds it: base64 of a JSON object holding the
 * request's own pagination parameter (RDS `Marker`) and `boto_truncate_amount`, the items of that
 * page already shown. So --max-items can stop in the middle of a page, and the next call asks for
 * the same page and resumes at the next item, whatever --page-size it uses: a page that starts at
 * a token always starts at the same item.
 */
export function encodeToken(tokenKey: string, position: Position): string {
  const body: Record<string, unknown> = {};
  if (position.token !== undefined) body[tokenKey] = position.token;
  if (position.skip > 0) body[SKIP_KEY] = position.skip;
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
}

export function decodeToken(tokenKey: string, text: string): Position {
  const bad = (why: string) => new UsageError(`--starting-token is not a token printed by this command's NextToken (${why})`);
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw bad('not base64');
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    throw bad('not JSON inside');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('not a JSON object inside');
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => key !== tokenKey && key !== SKIP_KEY);
  if (unknown.length > 0) throw bad(`it holds ${unknown.join(', ')}: made by a listing of another kind?`);
  const token = fields[tokenKey];
  const skip = fields[SKIP_KEY] ?? 0;
  if (token !== undefined && token !== null && typeof token !== 'string') throw bad(`${tokenKey} is not a string`);
  if (typeof skip !== 'number' || !Number.isSafeInteger(skip) || skip < 0) throw bad(`${SKIP_KEY} is not a whole number`);
  return { ...(typeof token === 'string' && token !== '' ? { token } : {}), skip };
}

export interface ListResult {
  items: ListedExport[];
  /** Give it to --starting-token to go on; null when every item was listed. */
  nextToken: string | null;
}

/**
 * Lists the kind's export tasks from `startingToken` on, page by page, until `maxItems` were
 * listed or the pages ran out. An item the service returned that does not match the query (an
 * emulator that ignores Filters) is not listed but still counts as a position on its page.
 */
export async function collect(listing: Pick<ExportListing, 'tokenKey' | 'pages'>, query: ListQuery, options: { maxItems?: number; startingToken?: string } = {}): Promise<ListResult> {
  const start = options.startingToken !== undefined ? decodeToken(listing.tokenKey, options.startingToken) : { skip: 0 };
  const encode = (position: Position) => encodeToken(listing.tokenKey, position);
  const items: ListedExport[] = [];
  let input = start.token;
  let skip = start.skip;
  for await (const page of listing.pages(query, input)) {
    const { entries } = page;
    for (let i = skip; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.matches) items.push(entry.item);
      if (options.maxItems !== undefined && items.length >= options.maxItems) {
        if (i + 1 < entries.length) return { items, nextToken: encode({ ...(input !== undefined ? { token: input } : {}), skip: i + 1 }) };
        return { items, nextToken: page.next !== undefined ? encode({ token: page.next, skip: 0 }) : null };
      }
    }
    skip = 0;
    input = page.next;
  }
  return { items, nextToken: null };
}
