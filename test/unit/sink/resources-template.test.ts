import { packageTemplate, roleStatements, type CfnTemplate } from '../../helpers/package-template.ts';
import { CONSUME_WITH_IAM, LAMBDA_LOGS, MSK_IN_VPC, statementActions } from '../../helpers/iam-actions.ts';

/** The sink's resources as `serverless package` (no AWS credentials) renders them. */
describe('serverless package: sink resources', () => {
  let template: CfnTemplate;
  beforeAll(async () => {
    template = await packageTemplate();
  }, 240_000);

  const resource = (id: string) => {
    const r = template.Resources[id];
    if (!r) throw new Error(`no resource ${id}`);
    return r;
  };
  const actionsOf = (statements: { Action: string | string[] }[]) => statements.flatMap(statementActions).sort();

  it('defines the sink function outside the VPC, with its own role, no event sources and its configuration', () => {
    const fn = resource('SinkLambdaFunction').Properties;
    expect(fn.Handler).toBe('functions/sink/handler.handler');
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(fn.VpcConfig).toBeUndefined();
    expect(fn.Role).toEqual({ 'Fn::GetAtt': ['SinkRole', 'Arn'] });
    expect(fn.Timeout).toBe(120);
    expect(fn.Environment.Variables).toMatchObject({
      FIREHOSE_STREAM_NAME: { Ref: 'FirehoseDeliveryStream' },
      DLQ_BUCKET: { Ref: 'DataBucket' },
      DLQ_PREFIX: 'errors/sink/',
      POWERTOOLS_SERVICE_NAME: 'sink',
    });
    // Mappings are created per pipeline by the workflow, not by the stack.
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')).toEqual([]);
  });

  it('encrypts the data bucket, blocks public access, enforces bucket ownership and keeps it on stack deletion', () => {
    const bucket = resource('DataBucket') as unknown as {
      DeletionPolicy: string;
      Properties: Record<string, any>;
    };
    expect(bucket.DeletionPolicy).toBe('Retain');
    const p = bucket.Properties;
    expect(p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe(
      'AES256',
    );
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect(p.BucketName).toEqual({
      'Fn::If': ['HasDataBucketName', { Ref: 'DataBucketName' }, { Ref: 'AWS::NoValue' }],
    });
  });

  it('expires dead letters and discarded batches, old versions and incomplete uploads', () => {
    const rules = resource('DataBucket').Properties.LifecycleConfiguration.Rules as Record<string, any>[];
    expect(
      rules.find((r) => r.AbortIncompleteMultipartUpload)?.AbortIncompleteMultipartUpload.DaysAfterInitiation,
    ).toBe(7);
    expect(rules.find((r) => r.NoncurrentVersionExpiration)?.NoncurrentVersionExpiration.NoncurrentDays).toBe(30);
    expect(rules.find((r) => r.Prefix === 'errors/')?.ExpirationInDays).toBe(30);
    expect(rules.find((r) => r.Prefix === 'aws/lambda/')?.ExpirationInDays).toBe(30);
    expect(rules.every((r) => r.Status === 'Enabled')).toBe(true);
  });

  it('denies every request to the bucket that does not use TLS', () => {
    const policy = resource('DataBucketPolicy').Properties;
    expect(policy.Bucket).toEqual({ Ref: 'DataBucket' });
    expect(policy.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ]);
  });

  it('defines a DirectPut Firehose stream to the bucket, gzip, buffering from parameters, with logging', () => {
    const stream = resource('FirehoseDeliveryStream').Properties;
    expect(stream.DeliveryStreamType).toBe('DirectPut');
    expect(stream.DeliveryStreamName).toBe('clickstream-pipeline-test-events');
    const s3 = stream.ExtendedS3DestinationConfiguration;
    expect(s3.BucketARN).toEqual({ 'Fn::GetAtt': ['DataBucket', 'Arn'] });
    expect(s3.RoleARN).toEqual({ 'Fn::GetAtt': ['FirehoseRole', 'Arn'] });
    expect(s3.CompressionFormat).toBe('GZIP');
    expect(s3.BufferingHints).toEqual({ IntervalInSeconds: 60, SizeInMBs: 64 });
    expect(s3.CloudWatchLoggingOptions).toEqual({
      Enabled: true,
      LogGroupName: { Ref: 'FirehoseLogGroup' },
      LogStreamName: { Ref: 'FirehoseLogStream' },
    });
  });

  it('partitions dynamically into app_id=/year=/month=/day=/hour=/ from ingest_time with JQ-1.6, with an error output prefix', () => {
    const s3 = resource('FirehoseDeliveryStream').Properties.ExtendedS3DestinationConfiguration;
    expect(s3.DynamicPartitioningConfiguration.Enabled).toBe(true);
    expect(s3.Prefix).toBe(
      'events/app_id=!{partitionKeyFromQuery:app_id}/year=!{partitionKeyFromQuery:year}/month=!{partitionKeyFromQuery:month}/day=!{partitionKeyFromQuery:day}/hour=!{partitionKeyFromQuery:hour}/',
    );
    expect(s3.ErrorOutputPrefix).toContain('!{firehose:error-output-type}');
    expect(s3.ErrorOutputPrefix.startsWith('errors/firehose/')).toBe(true);
    const processors = s3.ProcessingConfiguration.Processors as {
      Type: string;
      Parameters: { ParameterName: string; ParameterValue: string }[];
    }[];
    // The sink writes the newline itself: no AppendDelimiterToRecord (it would double it).
    expect(processors.map((p) => p.Type)).toEqual(['MetadataExtraction']);
    const params = Object.fromEntries(processors[0]!.Parameters.map((p) => [p.ParameterName, p.ParameterValue]));
    expect(params.JsonParsingEngine).toBe('JQ-1.6');
    const query = params.MetadataExtractionQuery!;
    for (const key of ['app_id: .app_id', 'year:', 'month:', 'day:', 'hour:']) expect(query).toContain(key);
    expect(query).toContain('.ingest_time');
    expect(query).not.toMatch(/\.timestamp\b/);
  });

  it('gives the sink role only logs, PutRecordBatch, dead-letter and discarded-batch writes, ENIs and - for every pipeline cluster, unconditionally - the MSK/SCRAM rights its mappings need', () => {
    const statements = roleStatements(template, 'SinkRole');
    expect(actionsOf(statements)).toEqual(
      [
        ...LAMBDA_LOGS,
        'firehose:PutRecordBatch',
        's3:PutObject',
        's3:PutObject',
        's3:ListBucket',
        ...MSK_IN_VPC,
        ...CONSUME_WITH_IAM,
        'secretsmanager:GetSecretValue',
        'kms:Decrypt',
      ].sort(),
    );
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(bySid.FirehosePut!.Resource).toEqual({ 'Fn::GetAtt': ['FirehoseDeliveryStream', 'Arn'] });
    expect(bySid.DeadLetters!.Resource).toEqual({ 'Fn::Sub': '${DataBucket.Arn}/errors/sink/*' });
    expect(bySid.DiscardedBatches!.Resource).toEqual({ 'Fn::Sub': '${DataBucket.Arn}/aws/lambda/*' });
    expect(JSON.stringify(bySid.Logs!.Resource)).toContain('/aws/lambda/clickstream-pipeline-test-sink');
    // '*' only for actions without resource-level permissions (iam-roles.test.ts checks this with the IAM database).
    expect(statements.filter((s) => s.Resource === '*').map((s) => s.Sid)).toEqual([
      'EventSourceNetworkInterfaces',
      'MskBootstrapBrokers',
    ]);
    const policy = resource('SinkRole').Properties.Policies[0].PolicyDocument.Statement;
    // Lambda needs them for every MSK mapping, whatever the stack's own mskClusterArn: nothing is conditional.
    expect(policy.filter((s: any) => s['Fn::If'])).toEqual([]);
  });

  it('lets only Firehose of this account assume the Firehose role, writing only under its own prefixes', () => {
    const role = resource('FirehoseRole').Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'firehose.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    const statements = roleStatements(template, 'FirehoseRole');
    expect(actionsOf(statements)).toEqual(
      [
        's3:GetBucketLocation',
        's3:ListBucket',
        's3:ListBucketMultipartUploads',
        's3:AbortMultipartUpload',
        's3:GetObject',
        's3:PutObject',
        'logs:PutLogEvents',
      ].sort(),
    );
    const writes = statements.find((s) => s.Sid === 'ObjectWrites')!;
    expect(writes.Resource).toEqual([
      { 'Fn::Sub': '${DataBucket.Arn}/events/*' },
      { 'Fn::Sub': '${DataBucket.Arn}/errors/firehose/*' },
    ]);
  });

  it('outputs the bucket, the stream and the sink function ARN', () => {
    expect(Object.keys(template.Outputs ?? {})).toEqual(
      expect.arrayContaining(['DataBucketName', 'FirehoseStreamName', 'SinkFunctionArn']),
    );
  });
});
