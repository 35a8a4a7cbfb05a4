import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponse } from '@smithy/types';
import { escapeXml } from './aws-query.ts';

interface StoredObject {
  size: number;
  /** Metadata files have a body; simulated Parquet data only a size. */
  body?: Uint8Array;
  lastModified: number;
}

/**
 * A bucket's objects, with their keys kept sorted: a listing seeks to its prefix and reads on to
 * the page's end, as S3 does, instead of sorting every key of the bucket (a fleet's exports write
 * tens of thousands) on each request.
 */
class Bucket {
  readonly objects = new Map<string, StoredObject>();
  private readonly sorted: string[] = [];

  set(key: string, object: StoredObject): void {
    if (!this.objects.has(key)) this.sorted.splice(this.firstAtOrAbove(key), 0, key);
    this.objects.set(key, object);
  }

  delete(key: string): void {
    if (this.objects.delete(key)) this.sorted.splice(this.firstAtOrAbove(key), 1);
  }

  /** Keys that start with `prefix` and sort after `after`, in order, from the first on (a generator: the caller stops when its page is full). */
  *keysFrom(prefix: string, after = ''): Generator<string> {
    for (let i = this.firstAbove(prefix, after); i < this.sorted.length && this.sorted[i]!.startsWith(prefix); i++) {
      const skipTo = yield this.sorted[i]!;
      // The caller may skip ahead (past a folder it has listed): `next(key)` resumes after `key`.
      if (typeof skipTo === 'string') i = this.firstAbove(prefix, skipTo) - 1;
    }
  }

  private firstAbove(prefix: string, after: string): number {
    const start = this.firstAtOrAbove(prefix);
    const past = this.firstAtOrAbove(after);
    const afterIndex = this.sorted[past] === after ? past + 1 : past;
    return Math.max(start, after === '' ? 0 : afterIndex);
  }

  private firstAtOrAbove(key: string): number {
    let [lo, hi] = [0, this.sorted.length];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * S3 behind the real S3 client (REST and XML, path-style or virtual-hosted): ListObjectsV2 with
 * prefix, delimiter and continuation tokens, GetObject, DeleteObjects. What RDS writes during an
 * export is put here directly by the local deployment.
 */
export class S3Simulator {
  private readonly buckets = new Map<string, Bucket>();
  readonly calls: Record<string, number> = {};

  /** `beforeRequest` lets the writer (the simulated RDS) put what it wrote up to now before each answer. */
  constructor(private readonly options: { pageSize?: number; beforeRequest?: () => void } = {}) {}

  put(bucket: string, key: string, content: string | { size: number }): void {
    const objects = this.buckets.get(bucket) ?? new Bucket();
    this.buckets.set(bucket, objects);
    const body = typeof content === 'string' ? new TextEncoder().encode(content) : undefined;
    objects.set(key, { size: body ? body.length : (content as { size: number }).size, ...(body ? { body } : {}), lastModified: Date.now() });
  }

  keys(bucket: string, prefix = ''): string[] {
    return [...(this.buckets.get(bucket)?.keysFrom(prefix) ?? [])];
  }

  /** The SDK's request handler. */
  requestHandler() {
    return {
      metadata: { handlerProtocol: 'http/1.1' },
      handle: async (request: HttpRequest): Promise<{ response: HttpResponse }> => ({ response: this.answer(request) }),
      updateHttpClientConfig(): void {},
      httpHandlerConfigs: () => ({}),
      destroy(): void {},
    };
  }

  private answer(request: HttpRequest): HttpResponse {
    this.options.beforeRequest?.();
    const { bucket, key } = locate(request);
    const query = request.query ?? {};
    const objects = this.buckets.get(bucket);
    const count = (operation: string) => (this.calls[operation] = (this.calls[operation] ?? 0) + 1);
    if (request.method === 'GET' && key === '' && query['list-type'] === '2') {
      count('ListObjectsV2');
      if (!objects) return error(404, 'NoSuchBucket', 'The specified bucket does not exist');
      return xml(200, this.list(bucket, objects, query as Record<string, string>));
    }
    if (request.method === 'GET' && key !== '') {
      count('GetObject');
      const object = objects?.objects.get(key);
      if (!objects) return error(404, 'NoSuchBucket', 'The specified bucket does not exist');
      if (!object) return error(404, 'NoSuchKey', 'The specified key does not exist.');
      const body = object.body ?? new Uint8Array(0);
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length), 'last-modified': new Date(object.lastModified).toUTCString() },
        body: Readable.from([Buffer.from(body)]),
      } as HttpResponse;
    }
    if (request.method === 'POST' && 'delete' in query) {
      count('DeleteObjects');
      if (!objects) return error(404, 'NoSuchBucket', 'The specified bucket does not exist');
      const text = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body as Uint8Array);
      const keys = [...text.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((match) => unescapeXml(match[1]!));
      for (const deleted of keys) objects.delete(deleted);
      return xml(200, `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></DeleteResult>`);
    }
    return error(501, 'NotImplemented', `The simulator does not implement ${request.method} ${request.path}`);
  }

  private list(bucket: string, objects: Bucket, query: Record<string, string>): string {
    const prefix = query.prefix ?? '';
    const delimiter = query.delimiter;
    const after = query['continuation-token'] ? Buffer.from(query['continuation-token'], 'base64url').toString() : query['start-after'] ?? '';
    const max = Math.min(this.options.pageSize ?? 1000, Number(query['max-keys'] ?? 1000));
    const entries: Array<{ key: string; folder: boolean }> = [];
    // One entry past the page says whether it is truncated.
    const keys = objects.keysFrom(prefix, after);
    for (let next = keys.next(); !next.done && entries.length <= max; ) {
      const key = next.value;
      const rest = key.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut >= 0) {
        const folder = prefix + rest.slice(0, cut + delimiter!.length);
        if (folder > after) entries.push({ key: folder, folder: true });
        // Every key below the folder rolls up into it: read on after the last of them.
        next = keys.next(`${folder}\uffff`);
      } else {
        entries.push({ key, folder: false });
        next = keys.next();
      }
    }
    const page = entries.slice(0, max);
    const truncated = entries.length > max;
    // A folder's token must skip every key below it.
    const last = page.at(-1);
    const token = truncated && last ? Buffer.from(last.folder ? `${last.key}\uffff` : last.key).toString('base64url') : undefined;
    const contents = page
      .filter((entry) => !entry.folder)
      .map(({ key }) => {
        const object = objects.objects.get(key)!;
        return `<Contents><Key>${escapeXml(key)}</Key><LastModified>${new Date(object.lastModified).toISOString()}</LastModified><ETag>"${object.size.toString(16)}"</ETag><Size>${object.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const common = page.filter((entry) => entry.folder).map(({ key }) => `<CommonPrefixes><Prefix>${escapeXml(key)}</Prefix></CommonPrefixes>`).join('');
    return (
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix>` +
      `<KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys>${delimiter ? `<Delimiter>${escapeXml(delimiter)}</Delimiter>` : ''}` +
      `<IsTruncated>${truncated}</IsTruncated>${token ? `<NextContinuationToken>${token}</NextContinuationToken>` : ''}${contents}${common}</ListBucketResult>`
    );
  }
}

/** Path-style (`/bucket/key`) or virtual-hosted (`bucket.s3.region.amazonaws.com/key`). */
function locate(request: HttpRequest): { bucket: string; key: string } {
  const path = request.path.replace(/^\//, '');
  const virtualHost = /^(.+)\.s3[.-]/.exec(request.hostname ?? '');
  if (virtualHost) return { bucket: virtualHost[1]!, key: decodePath(path) };
  const slash = path.indexOf('/');
  return slash < 0 ? { bucket: decodePath(path), key: '' } : { bucket: decodePath(path.slice(0, slash)), key: decodePath(path.slice(slash + 1)) };
}

function decodePath(path: string): string {
  return path.split('/').map(decodeURIComponent).join('/');
}

function xml(statusCode: number, text: string): HttpResponse {
  const body = new TextEncoder().encode(`<?xml version="1.0" encoding="UTF-8"?>${text}`);
  return { statusCode, headers: { 'content-type': 'application/xml', 'content-length': String(body.length) }, body } as HttpResponse;
}

function error(statusCode: number, code: string, message: string): HttpResponse {
  return xml(statusCode, `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><RequestId>sim</RequestId></Error>`);
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}
