/**
 * Vitest globalSetup: a folder for this run's function zips, at `inject('bundleCache')`. The first
 * `serverless package` of the run (test/packaging-helpers.ts packageService) builds the bundles and
 * leaves its zips there; the others package those zips as they are (PREBUILT_BUNDLES, serverless.yml)
 * instead of building the same bundles again (one build is ~7 CPU-seconds of esbuild on 2 cores).
 * The folder lives for one run only, so the zips always come from the sources being tested.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where this run's first packaging leaves its function zips (empty until then). */
    bundleCache: string;
  }
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'export-orchestrator-bundles-'));
  provide('bundleCache', dir);
  return () => rm(dir, { recursive: true, force: true });
}
