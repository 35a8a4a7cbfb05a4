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
 * S3 behind the real S3 client (REST and XML, path-style or virtual-hosted): ListObjectsV2 with
 * prefix, delimiter and continuation tokens, GetObject, DeleteObjects. What RDS writes during an
 * export is put here directly by the local stack.
 */
export class S3Simulator {
  readonly buckets = new Map<string, Map<string, StoredObject>>();
  readonly calls: Record<string, number> = {};

  /** `beforeRequest` lets the writer (the simulated RDS) put what it wrote up to now before each answer. */
  constructor(private readonly options: { pageSize?: number; beforeRequest?: () => void } = {}) {}

  put(bucket: string, key: string, content: string | { size: number }): void {
    const objects = this.buckets.get(bucket) ?? new Map<string, StoredObject>();
    this.buckets.set(bucket, objects);
    const body = typeof content === 'string' ? new TextEncoder().encode(content) : undefined;
    objects.set(key, { size: body ? body.length : (content as { size: number }).size, ...(body ? { body } : {}), lastModified: Date.now() });
  }

  keys(bucket: string, prefix = ''): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].filter((key) => key.startsWith(prefix)).sort();
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
      const object = objects?.get(key);
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

  private list(bucket: string, objects: Map<string, StoredObject>, query: Record<string, string>): string {
    const prefix = query.prefix ?? '';
    const delimiter = query.delimiter;
    const after = query['continuation-token'] ? Buffer.from(query['continuation-token'], 'base64url').toString() : query['start-after'] ?? '';
    const max = Math.min(this.options.pageSize ?? 1000, Number(query['max-keys'] ?? 1000));
    const entries: Array<{ key: string; folder: boolean }> = [];
    const folders = new Set<string>();
    for (const key of [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort()) {
      const rest = key.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut >= 0) {
        const folder = prefix + rest.slice(0, cut + delimiter!.length);
        if (folders.has(folder) || folder <= after) continue;
        folders.add(folder);
        entries.push({ key: folder, folder: true });
      } else entries.push({ key, folder: false });
    }
    const page = entries.slice(0, max);
    const truncated = entries.length > max;
    // A folder's token must skip every key below it.
    const last = page.at(-1);
    const token = truncated && last ? Buffer.from(last.folder ? `${last.key}\uffff` : last.key).toString('base64url') : undefined;
    const contents = page
      .filter((entry) => !entry.folder)
      .map(({ key }) => {
        const object = objects.get(key)!;
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
