import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that mostly wait on child processes: `serverless package` then cfn-lint (the longest
 * chain of the run), `npm start` and the CLI's bin. Started first, they overlap with the hundreds of
 * quick files instead of trailing after them; vitest's own order would start them only once every
 * file of the `isolated` project has been handed out (it orders projects by name), ~20 s into the run.
 */
export const SLOW_FIRST = ['test/packaging.test.ts', 'test/packaging-cn.test.ts', 'test/packaging-member.test.ts', 'test/local/main-job.test.ts', 'test/cli/bin.test.ts', 'test/cli/moto.wire.test.ts', 'test/packaging-params.test.ts'];

/**
 * vitest's order (the last run's slowest first, else the largest file first), with SLOW_FIRST ahead
 * of everything, and the shared project's files before the isolated ones, so that a shared worker
 * that finishes a file finds another shared file next and keeps its modules (vitest ends a shared
 * worker when the next file in the queue is an isolated one). The many small isolated files then
 * fill the run's tail.
 */
export class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const vitestOrder = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const hint = SLOW_FIRST.indexOf(relative(spec.project.config.root, spec.moduleId).split('\\').join('/'));
      if (hint !== -1) return hint;
      return SLOW_FIRST.length + (spec.project.config.isolate === false ? 0 : 1);
    };
    return vitestOrder
      .map((spec, index) => ({ spec, index, rank: rank(spec) }))
      .sort((a, b) => a.rank - b.rank || a.index - b.index)
      .map(({ spec }) => spec);
  }
}
