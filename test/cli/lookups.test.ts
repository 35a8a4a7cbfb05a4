import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../cli/args.ts';
import type { ExportListing, ListedExport } from '../../shared/export-kinds/contract.ts';
import { lookupsThroughPages } from '../../shared/export-kinds/listing.ts';
import { run } from '../../cli/run.ts';
import { sink } from '../support/cli.ts';

const listed = (exportId: string, status: string): ListedExport => ({ exportId, source: `arn:aws:ec2:us-east-1::image/ami-${exportId}`, status, percent: 50 });

/** A kind whose listing honours its id filter, over two pages. */
function twoPageKind(items: ListedExport[]): Pick<ExportListing, 'name' | 'idFilter' | 'pages'> {
  return {
    name: 'ec2-image',
    idFilter: 'export-image-task-id',
    async *pages(query) {
      const ids = query.filters.get('export-image-task-id');
      const half = Math.ceil(items.length / 2);
      for (const page of [items.slice(0, half), items.slice(half)]) {
        yield { entries: page.map((item) => ({ item, matches: !ids || ids.includes(item.exportId) })), next: undefined };
      }
    },
  };
}

describe('watch and cancel of every kind', () => {
  it('finds one export of a kind by its id, across pages, and refuses an unknown one', async () => {
    const lookups = lookupsThroughPages(twoPageKind([listed('export-ami-1', 'IN_PROGRESS'), listed('export-ami-2', 'COMPLETE'), listed('export-ami-3', 'STARTING')]));

    expect((await lookups.describe('export-ami-3')).status).toBe('STARTING');
    await expect(lookups.describe('export-ami-9')).rejects.toThrow(/ec2-image export export-ami-9 does not exist/);
  });

  it('lists the exports of a kind that have not ended', async () => {
    const lookups = lookupsThroughPages(twoPageKind([listed('export-ami-1', 'IN_PROGRESS'), listed('export-ami-2', 'COMPLETE'), listed('export-ami-3', 'CANCELING')]));

    expect((await lookups.running()).map((item) => item.exportId)).toEqual(['export-ami-1', 'export-ami-3']);
  });

  it('reads --kind for watch and cancel', () => {
    expect(parseCommandLine(['watch', '--kind', 'ec2-image']).args).toMatchObject({ command: 'watch', kind: 'ec2-image' });
    expect(parseCommandLine(['cancel', 'export-ami-1', '--kind', 'ec2-image']).args).toMatchObject({ command: 'cancel', kind: 'ec2-image' });
  });

  it('says in one line that an ADS export cannot be canceled', async () => {
    const stdout = sink();
    const stderr = sink();

    const code = await run(['cancel', 'export-1', '--kind', 'ads'], { stdout, stderr, env: {}, now: () => new Date(), sleep: async () => {} } as never);

    expect(code).toBe(1);
    expect(stderr.lines()).toHaveLength(1);
    expect(stderr.text).toMatch(/cannot be canceled/);
  });
});
