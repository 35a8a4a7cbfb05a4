import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorName, toWorkflowError } from '../../runtime/aws-errors.ts';
import type { ExportObjects, ObjectPage } from '../ports.ts';

/** The export's objects over S3: listing, reading the metadata files, deleting partial data. */
export function s3ExportObjects(s3: S3Client): ExportObjects {
  return {
    async listPage(bucket, prefix, options = {}): Promise<ObjectPage> {
      try {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ...(options.delimiter ? { Delimiter: options.delimiter } : {}),
            ...(options.token ? { ContinuationToken: options.token } : {}),
          }),
        );
        return {
          objects: (page.Contents ?? []).flatMap((object) => (object.Key ? [{ key: object.Key, size: object.Size ?? 0 }] : [])),
          folders: (page.CommonPrefixes ?? []).flatMap((folder) => (folder.Prefix ? [folder.Prefix] : [])),
          ...(page.IsTruncated && page.NextContinuationToken ? { nextToken: page.NextContinuationToken } : {}),
        };
      } catch (error) {
        throw toWorkflowError(`S3 ListObjectsV2 s3://${bucket}/${prefix}`, error);
      }
    },

    async readText(bucket, key) {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await object.Body?.transformToString('utf-8')) ?? '';
      } catch (error) {
        if (awsErrorName(error) === 'NoSuchKey') return undefined;
        throw toWorkflowError(`S3 GetObject s3://${bucket}/${key}`, error);
      }
    },

    async deleteKeys(bucket, keys) {
      let deleted = 0;
      const failures: string[] = [];
      for (let start = 0; start < keys.length; start += 1000) {
        const batch = keys.slice(start, start + 1000);
        try {
          const answer = await s3.send(
            new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
          );
          const errors = answer.Errors ?? [];
          deleted += batch.length - errors.length;
          failures.push(...errors.map((error) => `${error.Key}: ${error.Code ?? 'Error'} ${error.Message ?? ''}`.trim()));
        } catch (error) {
          throw toWorkflowError(`S3 DeleteObjects s3://${bucket}`, error);
        }
      }
      return { deleted, failures };
    },
  };
}
