import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { COMPLETE_WITH_WARNINGS, recordForState, renderNotification } from '../../shared/notify/record.ts';
import { accountPartialData, describePartialData, formatBytes, MAX_LISTED_OBJECTS } from '../../shared/verification/partial-data.ts';
import type { ExportHistory, ExportObjects, PastExport } from '../../shared/verification/ports.ts';
import { applyRetention, startedByThisWorkflow } from '../../shared/verification/retention.ts';
import { exportFolderOf, verifyExport, type VerifyDeps } from '../../shared/verification/verify.ts';
import { awaitsVerification } from '../../shared/verification/when.ts';
import { exportIdentifier, parseSourceArn } from '../../shared/export-kinds/rds/source.ts';
import { exportState, NOW } from '../support/requests.ts';
import { memoryCatalog } from '../support/verification.ts';

/** S3 in memory, in pages of `pageSize` keys, counting calls. */
function memoryObjects(pageSize = 1000): ExportObjects & { objects: Map<string, { size: number; text?: string }>; calls: Record<string, number> } {
  const objects = new Map<string, { size: number; text?: string }>();
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  return {
    objects,
    calls,
    async listPage(_bucket, prefix, options = {}) {
      count('list');
      const keys = [...objects.keys()].filter((key) => key.startsWith(prefix) && (!options.delimiter || !key.slice(prefix.length).includes(options.delimiter))).sort();
      const start = options.token ? keys.indexOf(options.token) + 1 : 0;
      const page = keys.slice(start, start + pageSize);
      const folders = options.delimiter
        ? [...new Set([...objects.keys()].filter((key) => key.startsWith(prefix) && key.slice(prefix.length).includes(options.delimiter!)).map((key) => prefix + key.slice(prefix.length).split(options.delimiter!)[0] + options.delimiter))].sort()
        : [];
      return { objects: page.map((key) => ({ key, size: objects.get(key)!.size })), folders: start === 0 ? folders : [], ...(start + pageSize < keys.length ? { nextToken: page.at(-1)! } : {}) };
    },
    async readText(_bucket, key) {
      count('read');
      return objects.get(key)?.text;
    },
    async deleteKeys(_bucket, keys) {
      count('delete');
      for (const key of keys) objects.delete(key);
      return { deleted: keys.length, failures: [] };
    },
  };
}

const state = exportState({ status: 'COMPLETE', percent: 100, taskStartTime: '2026-03-04T05:10:00.000Z' });
const folder = exportFolderOf(state);
const id = state.request.exportId;
const orders = { target: 'shop.public.orders', status: 'COMPLETE', sizeGB: 2, schemaMetadata: { originalTypeMappings: [{ columnName: 'id', originalType: 'bigint', expectedExportedType: 'int64' }] } };

function depsWith(objects: ExportObjects, settings: Partial<VerifyDeps['settings']> = {}, history?: ExportHistory) {
  const catalog = memoryCatalog();
  const deps: VerifyDeps = {
    objects,
    catalog: () => catalog,
    history: () => history ?? { completedExports: async () => [] },
    settings: { deletePartialData: false, retainExports: 0, ...settings },
  };
  return { deps, catalog };
}

describe('verifying an export', () => {
  it('reads every metadata part across listing pages, folds the tables and catalogs them', async () => {
    // Prepare: three parts, a data folder, listed two keys a page.
    const s3 = memoryObjects(2);
    s3.objects.set(`${folder.prefix}export_info_${id}.json`, { size: 10, text: JSON.stringify({ status: 'COMPLETE' }) });
    s3.objects.set(`${folder.prefix}export_tables_info_${id}_from_1_to_1.json`, { size: 10, text: JSON.stringify({ perTableStatus: [orders] }) });
    s3.objects.set(`${folder.prefix}export_tables_info_${id}_from_2_to_2.json`, { size: 10, text: JSON.stringify({ perTableStatus: [{ ...orders, target: 'shop.public.items' }] }) });
    s3.objects.set(`${folder.prefix}export_tables_info_${id}_from_3_to_3.json`, { size: 10, text: JSON.stringify({ perTableStatus: [{ target: 'shop.public.tmp', warningMessage: 'unlogged table' }] }) });
    s3.objects.set(`${folder.prefix}shop/public.orders/1/part-00000-x-c000.gz.parquet`, { size: 2 ** 30 });
    const { deps, catalog } = depsWith(s3, { catalogDatabase: 'rds_{source}' });

    // Act
    const verified = await verifyExport(state, deps);

    // Assess
    expect(verified.verification.tables).toMatchObject({ exported: 2, failed: 0, skipped: 1, totalSizeGb: 4 });
    expect(verified.verification.catalog?.tables.map((t) => t.name)).toEqual(['shop_public_orders', 'shop_public_items']);
    // shop.public.items is reported with 2 GB but has no folder.
    expect(verified.verification.warnings).toEqual([`shop.public.items: reported exported (2 GB) but its folder shop/public.items/ is not in the bucket.`]);
    expect(s3.calls.list).toBe(3);
    expect([...catalog.databases.keys()]).toEqual(['rds_orders_db']);
  });

  it('names a data folder that no metadata file mentions', async () => {
    const s3 = memoryObjects();
    s3.objects.set(`${folder.prefix}export_tables_info_${id}_from_1_to_1.json`, { size: 10, text: JSON.stringify({ perTableStatus: [orders] }) });
    s3.objects.set(`${folder.prefix}shop/public.orders/1/part-00000.gz.parquet`, { size: 10 });
    s3.objects.set(`${folder.prefix}shop/public.ghost/1/part-00000.gz.parquet`, { size: 10 });

    const verified = await verifyExport(state, depsWith(s3).deps);

    expect(verified.verification.warnings).toContain('shop/public.ghost/ holds data that no metadata file names: check which table it is.');
    expect(verified.verification.warnings.filter((warning) => warning.includes('public.orders'))).toEqual([]);
  });

  it('warns, without failing, when the metadata files are missing', async () => {
    const { deps, catalog } = depsWith(memoryObjects(), { catalogDatabase: 'rds_{source}' });

    const verified = await verifyExport(state, deps);

    expect(verified.verification.tables).toMatchObject({ exported: 0, failed: 0, skipped: 0, items: [] });
    expect(verified.verification.warnings).toEqual([
      `No export_tables_info_${id}_from_*.json file was found: the tables of this export could not be verified.`,
      `export_info_${id}.json was not found under s3://${folder.bucket}/${folder.prefix}.`,
    ]);
    expect(verified.verification.catalog).toBeUndefined();
    expect(catalog.calls).toEqual([]);
  });

  it('counts what a failed export left and deletes it only when asked', async () => {
    const s3 = memoryObjects();
    for (let i = 0; i < 3; i++) s3.objects.set(`${folder.prefix}shop/public.orders/1/part-0000${i}.gz.parquet`, { size: 1000 });
    s3.objects.set(`other/${id}-neighbour/keep.parquet`, { size: 5 });

    const counted = await verifyExport({ ...state, status: 'FAILED' }, depsWith(s3).deps);
    const deleted = await verifyExport({ ...state, status: 'CANCELED' }, depsWith(s3, { deletePartialData: true }).deps);

    expect(counted.verification.partialData).toEqual({ s3Uri: `s3://${folder.bucket}/${folder.prefix}`, objects: 3, bytes: 3000, truncated: false });
    expect(deleted.verification.partialData?.deleted).toEqual({ objects: 3, bytes: 3000, failures: [], remaining: false });
    expect([...s3.objects.keys()]).toEqual([`other/${id}-neighbour/keep.parquet`]);
  });

  it('stops counting at MAX_LISTED_OBJECTS and says there may be more', async () => {
    const s3 = memoryObjects();
    for (let i = 0; i < MAX_LISTED_OBJECTS + 5; i++) s3.objects.set(`${folder.prefix}t/${String(i).padStart(6, '0')}`, { size: 1 });

    const partial = await accountPartialData(folder, s3, false);

    expect(partial).toMatchObject({ objects: MAX_LISTED_OBJECTS, truncated: true });
    expect(describePartialData(partial).summary).toMatch(/^10000\+ object\(s\), 9\.8 KB or more remain under s3:\/\//);
    expect(s3.calls.list).toBe(10);
  });

  it('says so plainly when nothing was written', () => {
    expect(describePartialData({ s3Uri: 's3://b/p/', objects: 0, bytes: 0, truncated: false })).toEqual({ summary: 'Nothing was written under s3://b/p/.' });
    expect(formatBytes(5)).toBe('5 bytes');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GB');
  });
});

describe('retention', () => {
  const source = 'arn:aws:rds:us-east-1:123456789012:snapshot:rds:orders-db-2026-03-0';
  const past = (day: number, overrides: Partial<PastExport> = {}): PastExport => {
    const sourceArn = `${source}${day}-05-06`;
    return { exportId: exportIdentifier(parseSourceArn(sourceArn)!, new Date(0)), sourceArn, s3Bucket: 'b', s3Prefix: `p${day}`, takenAt: `2026-03-0${day}T05:06:00.000Z`, ...overrides };
  };

  it('keeps the newest N exports of the source and deletes the older ones\' objects', async () => {
    const s3 = memoryObjects();
    for (const day of [1, 2, 3]) s3.objects.set(`p${day}/${past(day).exportId}/data.parquet`, { size: 10 });
    const foreign = past(1, { exportId: 'someone-elses-export', s3Prefix: 'p9' });
    s3.objects.set('p9/someone-elses-export/data.parquet', { size: 10 });
    const otherDb = { ...past(1), sourceArn: 'arn:aws:rds:us-east-1:123456789012:snapshot:rds:billing-2026-03-01-05-06' };
    const history = { completedExports: async () => [past(1), past(2), foreign, otherDb] };

    const result = await applyRetention(past(3), 2, history, s3);

    expect(result.kept).toEqual([past(3).exportId, past(2).exportId]);
    expect(result.removed).toEqual([{ exportId: past(1).exportId, objects: 1, bytes: 10, remaining: false }]);
    expect([...s3.objects.keys()].sort()).toEqual([`p2/${past(2).exportId}/data.parquet`, `p3/${past(3).exportId}/data.parquet`, 'p9/someone-elses-export/data.parquet']);
  });

  it('recognises the identifiers this workflow derives, live clusters included', () => {
    const cluster = 'arn:aws:rds:us-east-1:123456789012:cluster:prod-aurora';
    const liveId = exportIdentifier(parseSourceArn(cluster)!, new Date('2026-03-04T05:06:00Z'));

    expect(startedByThisWorkflow({ exportId: liveId, sourceArn: cluster })).toBe(true);
    expect(startedByThisWorkflow({ exportId: 'prod-aurora-manual', sourceArn: cluster })).toBe(false);
    // Exported again (attempt 2), and a snapshot whose own name ends like an attempt.
    expect(startedByThisWorkflow({ exportId: exportIdentifier(parseSourceArn(cluster)!, new Date('2026-03-04T05:06:00Z'), 2), sourceArn: cluster })).toBe(true);
    const snapshot = 'arn:aws:rds:us-east-1:123456789012:snapshot:db-r2';
    expect(startedByThisWorkflow({ exportId: exportIdentifier(parseSourceArn(snapshot)!, new Date(0)), sourceArn: snapshot })).toBe(true);
    expect(startedByThisWorkflow({ exportId: exportIdentifier(parseSourceArn(snapshot)!, new Date(0), 3), sourceArn: snapshot })).toBe(true);
    expect(startedByThisWorkflow({ exportId: 'x', sourceArn: 'not an arn' })).toBe(false);
  });
});

describe('the notification of an export\'s end', () => {
  it('is COMPLETE with warnings (subject and status attribute) naming each failed or skipped table and what to try', () => {
    const verified = {
      ...state,
      verification: {
        tables: { exported: 1, failed: 1, skipped: 1, totalSizeGb: 2, totalExtractionSeconds: 60, items: [{ name: 'shop.public.events', status: 'FAILED' as const, reason: 'Row too large' }, { name: 'shop.public.tmp', status: 'SKIPPED' as const, reason: 'unlogged table' }, { name: 'shop.public.orders', status: 'EXPORTED' as const }] },
        catalog: { database: 'rds_orders_db', tables: [{ name: 'shop_public_orders', target: 'shop.public.orders', action: 'created' as const }], warnings: [] },
        warnings: [],
      },
    };

    const notification = renderNotification(recordForState(verified, NOW));

    expect(notification.subject).toBe('Export COMPLETE with warnings: DB snapshot rds:orders-db-2026-03-04-05-06');
    expect(notification.attributes.status).toBe(COMPLETE_WITH_WARNINGS);
    expect(notification.body).toContain('Tables:      1 exported, 1 failed, 1 skipped (2 GB)');
    expect(notification.body).toContain('Table:       shop.public.events FAILED: Row too large');
    expect(notification.body).toContain('Table:       shop.public.tmp SKIPPED: unlogged table');
    expect(notification.body).toContain('Catalog:     Glue database rds_orders_db: 1 table(s): shop_public_orders');
    expect(notification.body).toContain('Athena:      SELECT * FROM "rds_orders_db"."shop_public_orders" LIMIT 10');
    expect(notification.body).toMatch(/What to try: Tables that failed or were skipped are not in the export\..*exportOnly\./);
    expect(notification.record.verification?.tables?.notExported).toEqual([
      { name: 'shop.public.events', status: 'FAILED', reason: 'Row too large' },
      { name: 'shop.public.tmp', status: 'SKIPPED', reason: 'unlogged table' },
    ]);
  });

  it('is a plain COMPLETE when every table was exported', () => {
    const clean = { ...state, verification: { tables: { exported: 2, failed: 0, skipped: 0, totalSizeGb: 4, totalExtractionSeconds: 0, items: [] }, warnings: [] } };

    const notification = renderNotification(recordForState(clean, NOW));

    expect(notification.subject).toBe('Export COMPLETE: DB snapshot rds:orders-db-2026-03-04-05-06');
    expect(notification.attributes.status).toBe('COMPLETE');
    expect(notification.body).not.toContain('What to try');
  });

  it('is COMPLETE with warnings when the verification itself failed, saying why', () => {
    const notification = renderNotification(recordForState({ ...state, verifyError: { Error: 'ExportServiceError', Cause: JSON.stringify({ errorMessage: 'S3 GetObject failed: AccessDenied' }) } }, NOW));

    expect(notification.attributes.status).toBe(COMPLETE_WITH_WARNINGS);
    expect(notification.body).toContain('Check:       The export could not be verified: ExportServiceError: S3 GetObject failed: AccessDenied');
  });

  it('states what a failed export left and how to remove it', () => {
    const failed = { ...state, status: 'FAILED' as const, failureCause: 'S3 write denied', verification: { partialData: { s3Uri: 's3://b/p/e/', objects: 37, bytes: 5 * 1024 ** 3, truncated: false }, warnings: [] } };

    const notification = renderNotification(recordForState(failed, NOW));

    expect(notification.attributes.status).toBe('FAILED');
    expect(notification.body).toContain('Left in S3:  37 object(s), 5.0 GB remain under s3://b/p/e/ (partial data: not usable as an export).');
    expect(notification.body).toContain('Remove with: aws s3 rm s3://b/p/e/ --recursive');
  });

  it('waits for verification only for RDS exports that ended', () => {
    expect(awaitsVerification(state)).toBe(true);
    expect(awaitsVerification({ ...state, status: 'IN_PROGRESS' })).toBe(false);
    expect(awaitsVerification({ ...state, verification: { warnings: [] } })).toBe(false);
    expect(awaitsVerification({ ...state, verifyError: { Error: 'X' } })).toBe(false);
    expect(awaitsVerification({ ...state, request: { ...state.request, kind: 'ec2-image' } })).toBe(false);
  });
});

describe('the verify step\'s role (config/verify-resources.cjs)', () => {
  const { verifyRoles, glueDatabasePattern, verifySettings } = createRequire(import.meta.url)('../../config/verify-resources.cjs') as {
    verifyRoles: (params: Record<string, string>) => { role: { Properties: { Policies: Array<{ PolicyDocument: { Statement: Array<{ Sid: string; Action: string | string[]; Resource: unknown }> } }> } }; dataAccess: { Properties: { PolicyDocument: { Statement: Array<{ Sid: string; Action: string | string[] }> } } } };
    glueDatabasePattern: (template: string) => string;
    verifySettings: (params: Record<string, string>) => unknown;
  };
  const base = { exportPrefix: '{sourceId}/{date}', glueDatabase: '', catalogExports: 'auto', deletePartialData: 'false', retainExports: '0', service: 's', stage: 't' };
  const actions = (params: Record<string, string>) => {
    const roles = verifyRoles(params);
    return [...roles.role.Properties.Policies[0]!.PolicyDocument.Statement, ...roles.dataAccess.Properties.PolicyDocument.Statement].flatMap((s) => [s.Action].flat()).sort();
  };

  it('reads and publishes only, by default', () => {
    expect(actions(base)).toEqual(['kms:Decrypt', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:ListBucket', 'sns:Publish']);
  });

  it('adds exactly the Glue calls on the configured databases, deletes and the export history when configured, and never a wildcard action', () => {
    const all = actions({ ...base, glueDatabase: 'rds_{source}', deletePartialData: 'true', retainExports: '3' });
    const glue = verifyRoles({ ...base, glueDatabase: 'rds_{source}' }).role.Properties.Policies[0]!.PolicyDocument.Statement.find((s) => s.Sid === 'CatalogExports')!;

    expect(all).toEqual(['glue:CreateDatabase', 'glue:CreateTable', 'glue:GetTable', 'glue:UpdateTable', 'kms:Decrypt', 'logs:CreateLogStream', 'logs:PutLogEvents', 'rds:DescribeExportTasks', 's3:DeleteObject', 's3:GetObject', 's3:ListBucket', 'sns:Publish']);
    expect(all.some((action) => action === '*' || action.endsWith(':*'))).toBe(false);
    expect(JSON.stringify(glue.Resource)).toContain(':database/rds_*');
    expect(JSON.stringify(glue.Resource)).toContain(':table/rds_*/*');
    expect(actions({ ...base, glueDatabase: 'rds_{source}', catalogExports: 'false' })).not.toContain('glue:CreateTable');
  });

  it('refuses configurations that cannot work, naming the parameter', () => {
    expect(() => verifySettings({ ...base, catalogExports: 'true' })).toThrow(/catalogExports is true but glueDatabase is empty/);
    expect(() => verifySettings({ ...base, retainExports: 'two' })).toThrow(/retainExports "two" must be a whole number/);
    // An explicit empty value is refused here as the function would refuse it at its cold start.
    expect(() => verifySettings({ ...base, retainExports: '' })).toThrow(/retainExports "" must be a whole number/);
    expect(() => glueDatabasePattern('{source}')).toThrow(/needs a fixed part/);
    expect(glueDatabasePattern('Exports-{account}_{source}')).toBe('exports_*_*');
  });
});

describe('the Slack message of an export\'s end', () => {
  it('is amber, headed COMPLETE with warnings, with the tables, the catalog and what to try', async () => {
    const { renderSlackMessage } = await import('../../shared/notify/slack/render.ts');
    const record = recordForState({ ...state, verification: { tables: { exported: 1, failed: 1, skipped: 0, totalSizeGb: 1, totalExtractionSeconds: 1, items: [{ name: 'shop.public.events', status: 'FAILED', reason: 'Row too large' }] }, catalog: { database: 'rds_orders_db', tables: [], warnings: [] }, warnings: [] } }, NOW);

    const message = renderSlackMessage(record);
    const text = JSON.stringify(message.attachments[0]!.blocks);

    expect(message.text).toMatch(/^:warning: Export COMPLETE with warnings: DB snapshot /);
    expect(message.attachments[0]!.color).toBe('#ECB22E');
    expect(text).toContain('*Table* shop.public.events FAILED: Row too large');
    expect(text).toContain('Tables that failed or were skipped are not in the export.');
  });
});
