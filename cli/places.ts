import { splitList } from '../shared/runtime/config.ts';
import { placeKey, type Place } from '../shared/accounts/place.ts';
import type { ListedExport } from '../shared/export-kinds/contract.ts';
import { ExportTaskNotFound } from '../shared/runtime/errors.ts';
import { UsageError } from './errors.ts';
import type { PlaceArgs } from './args.ts';
import type { WatchSource } from './commands/watch.ts';

/** The places of the options, accounts × regions; `own` is the caller's account, `region` the one the clients resolved. */
export function placesOf(args: PlaceArgs, env: Readonly<Record<string, string | undefined>>, own: string, region: string): Place[] {
  const fromEnv = (name: 'MEMBER_ACCOUNTS' | 'MEMBER_REGIONS', flag: string): string[] => {
    const listed = splitList(env[name] ?? '');
    if (listed.length === 0 && name === 'MEMBER_ACCOUNTS') throw new UsageError(`${flag} all: MEMBER_ACCOUNTS is not set: export it as the deployment has it (memberAccounts), or list the accounts`);
    return listed;
  };
  const accounts = args.accounts === 'all' ? [own, ...fromEnv('MEMBER_ACCOUNTS', '--accounts')] : (args.accounts ?? [own]);
  const listedRegions = args.regions === 'all' ? fromEnv('MEMBER_REGIONS', '--regions') : (args.regions ?? []);
  const regions = listedRegions.length > 0 ? listedRegions : [region];
  return [...new Set(accounts)].flatMap((account) => regions.map((name) => ({ account, region: name })));
}

/** Every place's running exports, and an export looked for in each place until one has it. */
export function watchAcrossPlaces(sources: Array<{ place: Place; source: WatchSource }>): WatchSource {
  const where = new Map<string, WatchSource>();
  return {
    running: async () => {
      const running: ListedExport[] = [];
      for (const { source } of sources) {
        for (const item of await source.running()) {
          where.set(item.exportId, source);
          running.push(item);
        }
      }
      return running;
    },
    describe: async (exportId) => {
      const known = where.get(exportId);
      if (known) return known.describe(exportId);
      for (const { source } of sources) {
        try {
          const found = await source.describe(exportId);
          where.set(exportId, source);
          return found;
        } catch (error) {
          if (!(error instanceof ExportTaskNotFound)) throw error;
        }
      }
      throw new ExportTaskNotFound(`Export task ${exportId} does not exist in ${sources.map(({ place }) => placeKey(place)).join(', ')}`);
    },
  };
}
