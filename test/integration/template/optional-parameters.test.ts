/**
 * `serverless package` with none and with every optional parameter (`--param`), and what each
 * optional parameter turns on: the VPC endpoints, reserved concurrency, MSK IAM and SCRAM grants,
 * the ingest's function URL instead of its HTTP API routes, the ingest without platform log lines.
 * (.ci/run lints both templates with cfn-lint.)
 */
import { ACCOUNT, REGION, TemplateResolver } from '../../helpers/cfn-resolve.ts';
import { packageTemplate, type CfnTemplate } from '../../helpers/package-template.ts';

const CLUSTER = `arn:aws:kafka:${REGION}:${ACCOUNT}:cluster/clicks/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f-2`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:AmazonMSK_stack-GhIjKl`;

/** Every optional serverless param of serverless.yml, set (.ci/run lints a template packaged with the same). */
const EVERY_OPTIONAL_PARAM: Record<string, string> = {
  mskClusterArn: CLUSTER,
  kafkaScramSecretArn: SECRET,
  kafkaSecurityProtocol: 'SASL_SSL',
  kafkaSaslMechanism: 'SCRAM-SHA-512',
  dataBucketName: `clickstream-data-${ACCOUNT}`,
  topic: 'clickstream',
  appIds: 'shop-web,shop-ios',
  apiThrottleRate: '50',
  apiThrottleBurst: '100',
  ingestReservedConcurrency: 'unreserved',
  interfaceEndpoints: 'true',
  gatewayEndpointRouteTables: 'rtb-0123456789abcdef0,rtb-0fedcba9876543210',
  ingestEndpoint: 'functionUrl',
  ingestPlatformLogs: 'false',
};

const INTERFACE_ENDPOINTS = {
  SecretsManagerEndpoint: 'secretsmanager',
  KafkaEndpoint: 'kafka',
  Ec2Endpoint: 'ec2',
  StsEndpoint: 'sts',
  LambdaEndpoint: 'lambda',
};
const GATEWAY_ENDPOINTS = { S3GatewayEndpoint: 's3', DynamoDbGatewayEndpoint: 'dynamodb' };
const ENDPOINTS = { ...INTERFACE_ENDPOINTS, ...GATEWAY_ENDPOINTS, VpcEndpointSecurityGroup: '' };

/** Which of `ids` the template has once its conditions are evaluated, by logical id. */
const existence = (cfn: TemplateResolver, ids: string[]): Record<string, boolean> =>
  Object.fromEntries(ids.map((id) => [id, cfn.exists(id)]));

describe('serverless package with and without every optional parameter', () => {
  let none: CfnTemplate;
  let every: CfnTemplate;
  beforeAll(async () => {
    none = await packageTemplate();
    every = await packageTemplate(EVERY_OPTIONAL_PARAM);
  }, 480_000);

  it('packages both ways with the same resources, the optional ones behind conditions', () => {
    // (The function versions' logical ids hash the code and configuration, so they differ.)
    const ids = (t: CfnTemplate) =>
      Object.keys(t.Resources)
        .filter((id) => !/LambdaVersion/.test(id))
        .sort();
    expect(ids(every)).toEqual(ids(none));
    for (const id of Object.keys(ENDPOINTS))
      expect([id, none.Resources[id]?.Condition]).toEqual([
        id,
        expect.stringMatching(/^Create(Interface|Gateway)Endpoints$/),
      ]);
  });

  it('creates no VPC endpoint and reserves 100 ingest executions by default', () => {
    const cfn = new TemplateResolver(none);
    for (const id of Object.keys(ENDPOINTS)) expect([id, cfn.exists(id)]).toEqual([id, false]);
    expect(cfn.resolve(none.Resources.IngestLambdaFunction!.Properties.ReservedConcurrentExecutions)).toBe('100');
    expect(cfn.condition('HasMskCluster') || cfn.condition('HasScramSecret')).toBe(false);
  });

  it('with every optional parameter: the interface and gateway endpoints, unreserved ingest, MSK IAM and SCRAM grants, the throttling given', () => {
    const cfn = new TemplateResolver(every);
    expect(existence(cfn, Object.keys(ENDPOINTS))).toEqual(
      Object.fromEntries(Object.keys(ENDPOINTS).map((id) => [id, true])),
    );
    // Interface endpoints sit in the functions' subnets behind their own group; gateways in the route tables.
    const placement = {
      Interface: {
        SubnetIds: ['subnet-00000000000000001', 'subnet-00000000000000002'],
        SecurityGroupIds: ['clickstream-pipeline-test-VpcEndpointSecurityGroup'],
        PrivateDnsEnabled: true,
      },
      Gateway: { RouteTableIds: ['rtb-0123456789abcdef0', 'rtb-0fedcba9876543210'] },
    };
    const byType = [
      ['Interface', INTERFACE_ENDPOINTS],
      ['Gateway', GATEWAY_ENDPOINTS],
    ] as const;
    for (const [type, endpoints] of byType)
      for (const [id, service] of Object.entries(endpoints))
        expect(cfn.resolve(every.Resources[id]!.Properties)).toEqual({
          VpcEndpointType: type,
          VpcId: 'vpc-00000000000000001',
          ServiceName: `com.amazonaws.${REGION}.${service}`,
          ...placement[type],
        });
    // HTTPS from the functions' security group only.
    expect(every.Resources.VpcEndpointSecurityGroup!.Properties.SecurityGroupIngress).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: 'sg-00000000000000001',
        Description: expect.any(String),
      },
    ]);
    expect(cfn.resolve({ x: every.Resources.IngestLambdaFunction!.Properties.ReservedConcurrentExecutions })).toEqual(
      {},
    );
    expect(
      cfn.condition('HasMskCluster') && cfn.condition('HasScramSecret') && cfn.condition('HasDataBucketName'),
    ).toBe(true);
    expect(cfn.resolve(every.Resources.HttpApiStage!.Properties.DefaultRouteSettings)).toMatchObject({
      ThrottlingRateLimit: '50',
      ThrottlingBurstLimit: '100',
    });
    expect(every.Resources.IngestLambdaFunction!.Properties.Environment.Variables).toMatchObject({
      INGEST_TOPIC: 'clickstream',
      KAFKA_SCRAM_SECRET_ARN: SECRET,
    });
  });

  it('a gateway endpoint needs route tables and an interface endpoint the switch, each on its own', () => {
    const gatewayOnly = new TemplateResolver(none, { GatewayEndpointRouteTables: 'rtb-0123456789abcdef0' });
    expect(existence(gatewayOnly, ['S3GatewayEndpoint', 'DynamoDbGatewayEndpoint', 'KafkaEndpoint'])).toEqual({
      S3GatewayEndpoint: true,
      DynamoDbGatewayEndpoint: true,
      KafkaEndpoint: false,
    });
    const interfaceOnly = new TemplateResolver(none, { InterfaceEndpoints: 'true' });
    expect(existence(interfaceOnly, ['S3GatewayEndpoint', 'KafkaEndpoint', 'VpcEndpointSecurityGroup'])).toEqual({
      S3GatewayEndpoint: false,
      KafkaEndpoint: true,
      VpcEndpointSecurityGroup: true,
    });
    // Malformed values are refused by CloudFormation before anything changes.
    expect(none.Parameters!.GatewayEndpointRouteTables.AllowedPattern).toBe(
      '^(rtb-[0-9a-f]{8,17}(,rtb-[0-9a-f]{8,17})*)?$',
    );
    expect(none.Parameters!.InterfaceEndpoints.AllowedValues).toEqual(['true', 'false']);
    const scram = new RegExp(none.Parameters!.KafkaScramSecretArn.AllowedPattern as string);
    expect([scram.test(''), scram.test(SECRET), scram.test(SECRET.replace('AmazonMSK_', ''))]).toEqual([
      true,
      true,
      false,
    ]);
    expect(none.Parameters!.IngestReservedConcurrency.AllowedPattern).toBe('^([1-9][0-9]{0,4}|unreserved)$');
  });

  const INGEST_ROUTES = [
    'HttpApiRoutePostCollect',
    'HttpApiRouteOptionsCollect',
    'HttpApiRouteGetPing',
    'HttpApiIntegrationIngest',
    'IngestLambdaPermissionHttpApi',
  ];
  const URL_RESOURCES = ['IngestFunctionUrl', 'IngestFunctionUrlPermission', 'IngestFunctionUrlInvokePermission'];
  const exists = (cfn: TemplateResolver, ids: string[]) => ids.map((id) => [id, cfn.exists(id)]);

  it('serves /collect from the HTTP API by default, with no function URL', () => {
    const cfn = new TemplateResolver(none);
    expect(none.Parameters!.IngestEndpoint).toMatchObject({
      Default: 'httpApi',
      AllowedValues: ['httpApi', 'functionUrl'],
    });
    expect(exists(cfn, INGEST_ROUTES)).toEqual(INGEST_ROUTES.map((id) => [id, true]));
    expect(exists(cfn, URL_RESOURCES)).toEqual(URL_RESOURCES.map((id) => [id, false]));
    expect(cfn.resolve(none.Outputs!.CollectUrl.Value['Fn::If'][2])).toBe(
      `https://clickstream-pipeline-test-HttpApi.execute-api.${REGION}.amazonaws.com/collect`,
    );
    const alarm = JSON.stringify(cfn.resolve(none.Resources.AlarmIngest5xxRate!.Properties.Metrics));
    expect([alarm.includes('AWS/ApiGateway'), alarm.includes('Url5xxCount')]).toEqual([true, false]);
  });

  it('with ingestEndpoint=functionUrl: the function URL (no Cors block: the function answers CORS), no ingest routes on the HTTP API, the admin routes kept, the 5xx alarm on the URL', () => {
    const cfn = new TemplateResolver(every);
    expect(exists(cfn, URL_RESOURCES)).toEqual(URL_RESOURCES.map((id) => [id, true]));
    expect(exists(cfn, INGEST_ROUTES)).toEqual(INGEST_ROUTES.map((id) => [id, false]));
    expect(every.Resources.IngestFunctionUrl!.Properties).not.toHaveProperty('Cors');
    expect(every.Resources.IngestFunctionUrl!.Properties.AuthType).toBe('NONE');
    expect(
      ['HttpApiRoutePostPipelines', 'HttpApiRouteGetPipelines', 'HttpApiRoutePostPipelinesIdVarRedrive'].map((id) =>
        cfn.exists(id),
      ),
    ).toEqual([true, true, true]);
    expect(every.Outputs!.CollectUrl.Value['Fn::If'][0]).toBe('IngestOnFunctionUrl');
    expect(every.Outputs!.CollectUrl.Value['Fn::If'][1]).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': ['IngestFunctionUrl', 'FunctionUrl'] }, 'collect']],
    });
    const alarm = cfn.resolve(every.Resources.AlarmIngest5xxRate!.Properties.Metrics) as {
      Id: string;
      MetricStat?: { Metric: unknown };
    }[];
    expect(alarm.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric)).toEqual([
      {
        Namespace: 'AWS/Lambda',
        MetricName: 'UrlRequestCount',
        Dimensions: [{ Name: 'FunctionName', Value: 'clickstream-pipeline-test-ingest' }],
      },
      {
        Namespace: 'AWS/Lambda',
        MetricName: 'Url5xxCount',
        Dimensions: [{ Name: 'FunctionName', Value: 'clickstream-pipeline-test-ingest' }],
      },
    ]);
  });

  it('keeps the ingest log format by default; with ingestPlatformLogs=false: JSON logs, system logs at WARN, application logs at INFO', () => {
    const logging = (t: CfnTemplate) =>
      new TemplateResolver(t).resolve({ x: t.Resources.IngestLambdaFunction!.Properties.LoggingConfig });
    expect(logging(none)).toEqual({});
    expect(logging(every)).toEqual({ x: { LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO' } });
    expect(none.Parameters!.IngestPlatformLogs).toMatchObject({ Default: 'true', AllowedValues: ['true', 'false'] });
    // Powertools' own level stays INFO: the runtime's application level must not be stricter.
    expect(every.Resources.IngestLambdaFunction!.Properties.Environment.Variables.POWERTOOLS_LOG_LEVEL).toBe('INFO');
  });
});
