import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors.ts';
import { buildQuery, parseFilterArg } from '../../cli/query.ts';
import type { ExportListing, ListedExport, ListingPage, ListQuery } from '../../shared/export-kinds/contract.ts';
import { rdsListing } from '../../shared/export-kinds/rds/listing.ts';
import { collect, decodeToken, encodeToken } from '../../cli/paging.ts';
import { pagingRds } from '../support/cli.ts';

const item = (i: number): ListedExport => ({ exportId: `e${i}`, source: '', status: 'COMPLETE', percent: 100 });

/**
 * A kind over fixed pages (each [ids, next token]); `hidden` ids are returned by the "service" but do
 * not match the query (an emulator that ignores Filters). Records the token of every page asked for.
 */
function fakeKind(pages: Array<[number[], string | undefined]>, hidden: number[] = []): Pick<ExportListing, 'tokenKey' | 'pages'> & { asked: Array<string | undefined> } {
  const byToken = new Map<string | undefined, number>(pages.map((_, i) => [i === 0 ? undefined : pages[i - 1]![1], i]));
  const asked: Array<string | undefined> = [];
  return {
    tokenKey: 'Marker',
    asked,
    async *pages(_query: ListQuery, from: string | undefined): AsyncIterable<ListingPage> {
      for (let at = byToken.get(from); at !== undefined && at < pages.length; at++) {
        const [ids, next] = pages[at]!;
        asked.push(at === 0 ? undefined : pages[at - 1]![1]);
        yield { entries: ids.map((i) => ({ item: item(i), matches: !hidden.includes(i) })), next };
      }
    },
  };
}

const noQuery: ListQuery = { filters: new Map() };
const ids = (items: ListedExport[]) => items.map((i) => i.exportId);
const decoded = (token: string | null) => JSON.parse(Buffer.from(token!, 'base64').toString());

describe('--starting-token', () => {
  it('is base64 of {Marker, boto_truncate_amount}, as the AWS CLI makes it, and round-trips', () => {
    const token = encodeToken('Marker', { token: 'opaque-marker==', skip: 7 });

    expect(JSON.parse(Buffer.from(token, 'base64').toString())).toEqual({ Marker: 'opaque-marker==', boto_truncate_amount: 7 });
    expect(decodeToken('Marker', token)).toEqual({ token: 'opaque-marker==', skip: 7 });
    expect(decodeToken('Marker', encodeToken('Marker', { skip: 3 }))).toEqual({ skip: 3 });
    expect(decodeToken('Marker', encodeToken('Marker', { token: 'm', skip: 0 }))).toEqual({ token: 'm', skip: 0 });
  });

  it('reads a token the AWS CLI printed (Python json.dumps spacing)', () => {
    const cli = Buffer.from('{"Marker": "abc", "boto_truncate_amount": 2}').toString('base64');

    expect(decodeToken('Marker', cli)).toEqual({ token: 'abc', skip: 2 });
  });

  it.each([
    ['not base64', 'not a token!', /not base64/],
    ['not JSON', Buffer.from('hello').toString('base64'), /not JSON/],
    ['a JSON array', Buffer.from('[1]').toString('base64'), /not a JSON object/],
    ['another kind', Buffer.from('{"NextToken":"x"}').toString('base64'), /holds NextToken: made by a listing of another kind/],
    ['a negative skip', Buffer.from('{"boto_truncate_amount":-1}').toString('base64'), /not a whole number/],
    ['a numeric marker', Buffer.from('{"Marker":5}').toString('base64'), /Marker is not a string/],
  ])('refuses %s as a usage error', (_, token, message) => {
    expect(() => decodeToken('Marker', token)).toThrow(UsageError);
    expect(() => decodeToken('Marker', token)).toThrow(message);
  });
});

describe('collect: --max-items stops anywhere, the token resumes exactly at the next item', () => {
  const pages: Array<[number[], string | undefined]> = [
    [[1, 2, 3, 4, 5], 'm1'],
    [[6, 7, 8, 9, 10], 'm2'],
    [[11, 12], undefined],
  ];

  it('stopping in the middle of a page: the page asked for again, the items shown skipped', async () => {
    const kind = fakeKind(pages);

    const first = await collect(kind, noQuery, { maxItems: 3 });
    const second = await collect(kind, noQuery, { maxItems: 4, startingToken: first.nextToken! });

    expect(ids(first.items)).toEqual(['e1', 'e2', 'e3']);
    expect(decoded(first.nextToken)).toEqual({ boto_truncate_amount: 3 });
    expect(ids(second.items)).toEqual(['e4', 'e5', 'e6', 'e7']);
    expect(decoded(second.nextToken)).toEqual({ Marker: 'm1', boto_truncate_amount: 2 });
  });

  it('stopping at the end of a page: the token is that page\'s Marker; at the very end there is none', async () => {
    const kind = fakeKind(pages);

    const first = await collect(kind, noQuery, { maxItems: 5 });
    const rest = await collect(kind, noQuery, { startingToken: first.nextToken! });
    const exact = await collect(kind, noQuery, { maxItems: 12 });

    expect(decoded(first.nextToken)).toEqual({ Marker: 'm1' });
    expect(kind.asked).toEqual([undefined, 'm1', 'm2', undefined, 'm1', 'm2']);
    expect(ids(rest.items)).toEqual(['e6', 'e7', 'e8', 'e9', 'e10', 'e11', 'e12']);
    expect(rest.nextToken).toBeNull();
    expect(exact.nextToken).toBeNull();
  });

  it('every --max-items from 1 to 13 walks all items once, in order', async () => {
    for (let max = 1; max <= 13; max++) {
      const kind = fakeKind(pages);
      const seen: string[] = [];
      let token: string | undefined;
      let calls = 0;
      do {
        const listing = await collect(kind, noQuery, { maxItems: max, ...(token ? { startingToken: token } : {}) });
        seen.push(...ids(listing.items));
        token = listing.nextToken ?? undefined;
        calls += 1;
      } while (token && calls < 50);

      expect(seen, `--max-items ${max}`).toEqual(Array.from({ length: 12 }, (_, i) => `e${i + 1}`));
    }
  });

  it('items the service returned against the filter are not listed but keep their place on the page', async () => {
    const kind = fakeKind(pages, [2, 3, 7]);

    const first = await collect(kind, noQuery, { maxItems: 2 });
    const second = await collect(kind, noQuery, { maxItems: 3, startingToken: first.nextToken! });

    expect(ids(first.items)).toEqual(['e1', 'e4']);
    expect(decoded(first.nextToken)).toEqual({ boto_truncate_amount: 4 });
    expect(ids(second.items)).toEqual(['e5', 'e6', 'e8']);
  });

  it('stops asking for pages once --max-items is reached', async () => {
    const kind = fakeKind(pages);

    await collect(kind, noQuery, { maxItems: 2 });

    expect(kind.asked).toEqual([undefined]);
  });
});

describe('filters: --filter NAME=V1,V2 mapped to the API, unknown ones refused', () => {
  const kind = rdsListing(pagingRds([]).client);

  it('maps RDS filters, statuses in lowercase as the API wants them; a repeated name takes both', () => {
    const query = buildQuery(kind, {
      filters: [parseFilterArg('status=IN_PROGRESS,Starting'), parseFilterArg('S3-Bucket=b1'), parseFilterArg('status=in-progress,canceling')],
      sourceType: 'snapshot',
      pageSize: 20,
    });

    expect([...query.filters]).toEqual([
      ['status', ['in_progress', 'starting', 'canceling']],
      ['s3-bucket', ['b1']],
    ]);
    expect(query).toMatchObject({ sourceType: 'SNAPSHOT', pageSize: 20 });
  });

  it.each([
    [{ filters: [parseFilterArg('state=complete')] }, 'unknown filter "state" for rds exports: use export-task-identifier, s3-bucket, source-arn, status'],
    [{ filters: [parseFilterArg('status=done')] }, '--filter status: unknown value(s) "done"; status is one of starting, in_progress, complete, canceling, canceled, failed'],
    [{ filters: [], sourceType: 'CLUSTER_SNAPSHOT' }, '--source-type "CLUSTER_SNAPSHOT": use SNAPSHOT or CLUSTER'],
    [{ filters: [], pageSize: 19 }, '--page-size 19: rds pages hold 20 to 100 items'],
    [{ filters: [], pageSize: 101 }, '--page-size 101: rds pages hold 20 to 100 items'],
  ])('refuses %j', (args, message) => {
    expect(() => buildQuery(kind, args)).toThrow(new UsageError(message));
  });
});
