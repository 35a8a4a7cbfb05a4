'use strict';

/**
 * The verify step's role (issue 12), built from the parameters at packaging time so that it grants
 * exactly what the configuration uses, nothing more:
 * - always: list the export bucket, read the export's objects (its metadata files) and decrypt them
 *   with the export key, only through S3;
 * - catalog on (`catalogExports`, and by default when `glueDatabase` is set): glue:CreateDatabase,
 *   GetTable, CreateTable and UpdateTable on the catalog, the database(s) the template names and
 *   their tables;
 * - `deletePartialData` or `retainExports`: s3:DeleteObject on the export objects;
 * - `retainExports`: rds:DescribeExportTasks (export tasks are not IAM resources).
 */
const { objectsPattern } = require('./resolvers.cjs');

async function readParam(resolveVariable, name) {
  const value = await resolveVariable(`param:${name}`);
  return value == null ? '' : String(value).trim();
}

/** The Glue database names a template can produce, as an IAM pattern: "rds_{source}" -> "rds_*". */
function glueDatabasePattern(template) {
  const pattern = template
    .toLowerCase()
    .replace(/\{[^}]*\}/g, '\u0000')
    .replace(/[^a-z0-9_\u0000]+/g, '_')
    .replace(/\u0000+/g, '*');
  if (!/[a-z0-9_]/.test(pattern.replace(/\*/g, ''))) {
    throw new Error(`glueDatabase "${template}" needs a fixed part besides placeholders (e.g. rds_{source}), so that IAM can name the databases it may write`);
  }
  return pattern;
}

function verifySettings(params) {
  const catalogExports = params.catalogExports || 'auto';
  if (!['auto', 'true', 'false'].includes(catalogExports)) throw new Error(`catalogExports "${catalogExports}" must be auto, true or false`);
  if (catalogExports === 'true' && !params.glueDatabase) throw new Error('catalogExports is true but glueDatabase is empty: name the database, e.g. --param="glueDatabase=rds_{source}"');
  const deletePartialData = params.deletePartialData || 'false';
  if (!['true', 'false'].includes(deletePartialData)) throw new Error(`deletePartialData "${deletePartialData}" must be true or false`);
  // No default here: serverless.yml's is 0, and an explicit empty one would reach the function, which refuses it.
  const retainExports = params.retainExports ?? '0';
  if (!/^\d+$/.test(retainExports)) throw new Error(`retainExports "${retainExports}" must be a whole number (0 keeps every export)`);
  return {
    catalog: catalogExports === 'true' || (catalogExports === 'auto' && params.glueDatabase !== ''),
    deletes: deletePartialData === 'true' || Number(retainExports) > 0,
    retention: Number(retainExports) > 0,
  };
}

function verifyRoles(params) {
  const settings = verifySettings(params);
  // The given bucket and key, or the stack's own (serverless.yml, "Export bucket and key").
  const bucket = { 'Fn::If': ['CreateExportBucket', { Ref: 'ExportBucket' }, { Ref: 'ExportBucketName' }] };
  const key = { 'Fn::If': ['CreateExportKey', { 'Fn::GetAtt': ['ExportKey', 'Arn'] }, { Ref: 'KmsKeyArn' }] };
  const bucketArn = { 'Fn::Sub': ['arn:${AWS::Partition}:s3:::${Bucket}', { Bucket: bucket }] };
  const objectsArn = { 'Fn::Sub': [`arn:\${AWS::Partition}:s3:::\${Bucket}/${objectsPattern(params.exportPrefix)}`, { Bucket: bucket }] };
  const statements = [
    { Sid: 'Logs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': ['VerifyExportLogGroup', 'Arn'] } },
    // It publishes the export's end itself, with what it found.
    { Sid: 'Publish', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'NotificationTopic' } },
  ];
  const dataStatements = [
    { Sid: 'ListExports', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn },
    { Sid: 'ReadExports', Effect: 'Allow', Action: 's3:GetObject', Resource: objectsArn },
    // The export's objects are SSE-KMS encrypted with the export key: reading one decrypts through S3.
    {
      Sid: 'DecryptExports',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: key,
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 's3.${AWS::Region}.amazonaws.com' } } },
    },
  ];
  if (settings.deletes) dataStatements.push({ Sid: 'DeleteExportObjects', Effect: 'Allow', Action: 's3:DeleteObject', Resource: objectsArn });
  if (settings.retention) {
    // Lists the account's completed export tasks: a filter, not a named resource.
    statements.push({ Sid: 'ListExportHistory', Effect: 'Allow', Action: 'rds:DescribeExportTasks', Resource: '*' });
  }
  if (settings.catalog) {
    const database = glueDatabasePattern(params.glueDatabase);
    statements.push({
      Sid: 'CatalogExports',
      Effect: 'Allow',
      Action: ['glue:CreateDatabase', 'glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable'],
      Resource: [
        { 'Fn::Sub': 'arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog' },
        { 'Fn::Sub': `arn:\${AWS::Partition}:glue:\${AWS::Region}:\${AWS::AccountId}:database/${database}` },
        { 'Fn::Sub': `arn:\${AWS::Partition}:glue:\${AWS::Region}:\${AWS::AccountId}:table/${database}/*` },
      ],
    });
  }
  return {
    role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: `Runs the verifyExport function of ${params.service}-${params.stage}`,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [{ PolicyName: 'verify-export', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
      },
    },
    // Only with a customer-managed topic key (snsKmsKeyArn), as for the other publishers (serverless.yml).
    topicKey: {
      Type: 'AWS::IAM::RolePolicy',
      Condition: 'CustomerManagedTopicKey',
      Properties: {
        RoleName: { Ref: 'VerifyExportRole' },
        PolicyName: 'use-topic-key',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'UseTopicKey',
              Effect: 'Allow',
              Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
              Resource: { Ref: 'SnsKmsKeyArn' },
              Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'sns.${AWS::Region}.amazonaws.com' } } },
            },
          ],
        },
      },
    },
    // Apart from the role: the stack's own key names the role in its policy (and its bucket names the key), so the role cannot name them.
    dataAccess: {
      Type: 'AWS::IAM::RolePolicy',
      Properties: {
        RoleName: { Ref: 'VerifyExportRole' },
        PolicyName: 'read-exports',
        PolicyDocument: { Version: '2012-10-17', Statement: dataStatements },
      },
    },
  };
}

/** Resources fragment merged into `resources`. */
async function resources({ resolveVariable }) {
  const params = {};
  for (const name of ['exportPrefix', 'glueDatabase', 'catalogExports', 'deletePartialData', 'retainExports']) {
    params[name] = await readParam(resolveVariable, name);
  }
  params.service = String(await resolveVariable('self:service'));
  params.stage = String(await resolveVariable('sls:stage'));
  const roles = verifyRoles(params);
  return {
    Resources: { VerifyExportRole: roles.role, VerifyExportDataAccess: roles.dataAccess, VerifyExportTopicKeyPolicy: roles.topicKey },
    // osls adds a DependsOn on the role beside the GetAtt that already orders it (cfn-lint W3005).
    extensions: { VerifyExportLambdaFunction: { Metadata: { 'cfn-lint': { config: { ignore_checks: ['W3005'] } } } } },
  };
}

module.exports = { resources, verifyRoles, verifySettings, glueDatabasePattern };
