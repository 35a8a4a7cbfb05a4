import { toWorkflowError } from '../runtime/aws-errors.ts';

/**
 * An SDK paginator (paginateDescribeExportTasks and friends), each answer mapped by `toPage`, and an
 * error of the service named by its operation, as the providers name them. Stopping early (a
 * listing's --max-items) ends the paginator: no page is asked for that is not needed.
 */
export async function* sdkPages<Output, Page>(operation: string, paginator: AsyncIterable<Output>, toPage: (output: Output) => Page): AsyncGenerator<Page> {
  const iterator = paginator[Symbol.asyncIterator]();
  try {
    while (true) {
      let result: IteratorResult<Output>;
      try {
        result = await iterator.next();
      } catch (error) {
        throw toWorkflowError(operation, error);
      }
      if (result.done) return;
      yield toPage(result.value);
    }
  } finally {
    await iterator.return?.();
  }
}
