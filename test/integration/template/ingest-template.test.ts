import { packageTemplate, roleStatements, type CfnTemplate } from '../../helpers/package-template.ts';
import { LAMBDA_LOGS, LAMBDA_VPC_ENI, statementActions, WRITE_TO_CLUSTER } from '../../helpers/iam-actions.ts';

describe('serverless package: ingest', () => {
  let template: CfnTemplate;
  beforeAll(async () => {
    template = await packageTemplate();
  }, 240_000);

  const fn = () => template.Resources.IngestLambdaFunction!.Properties;

  it('runs the ingest function on nodejs24.x, arm64, without loading source maps at init (docs/decisions.md)', () => {
    expect(fn().Runtime).toBe('nodejs24.x');
    expect(fn().Architectures).toEqual(['arm64']);
    expect(fn().Handler).toBe('functions/ingest/handler.handler');
    expect(fn().Environment.Variables.NODE_OPTIONS ?? '').not.toContain('--enable-source-maps');
  });

  it('places the function in the Kafka cluster VPC from parameters', () => {
    expect(fn().VpcConfig.SecurityGroupIds).toEqual(['sg-00000000000000001']);
    expect(fn().VpcConfig.SubnetIds).toEqual({
      'Fn::Split': [',', 'subnet-00000000000000001,subnet-00000000000000002'],
    });
  });

  it('routes POST /collect, its CORS preflight and GET /ping to the ingest function (HTTP API, payload 2.0)', () => {
    const routes = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties.RouteKey);
    expect(routes).toEqual(expect.arrayContaining(['POST /collect', 'OPTIONS /collect', 'GET /ping']));
    const integration = template.Resources.HttpApiIntegrationIngest!.Properties;
    expect(integration.PayloadFormatVersion).toBe('2.0');
  });

  it('keeps logs for the configured retention', () => {
    expect(template.Resources.IngestLogGroup!.Properties.RetentionInDays).toBe(30);
  });

  it("gives the function its own role with only logs, VPC interfaces, the registry route read, any pipeline's MSK cluster and MSK SCRAM secret, and (when configured) the static route's", () => {
    expect(fn().Role).toEqual({ 'Fn::GetAtt': ['IngestRole', 'Arn'] });
    const statements = roleStatements(template, 'IngestRole');
    const actions = statements.flatMap(statementActions).sort();
    expect(actions).toEqual(
      [
        ...LAMBDA_LOGS,
        ...LAMBDA_VPC_ENI,
        'dynamodb:GetItem',
        // Any pipeline's cluster (a pipeline may pick any MSK cluster in the VPC), then the static route's.
        ...WRITE_TO_CLUSTER,
        ...WRITE_TO_CLUSTER,
        'kms:Decrypt',
      ].sort(),
    );
    expect(statements.find((s) => s.Sid === 'PipelineClustersIamWrite')!.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:kafka:${AWS::Region}:${AWS::AccountId}:cluster/*/*' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:kafka:${AWS::Region}:${AWS::AccountId}:topic/*/*/*' },
    ]);
    // MSK associates only secrets named AmazonMSK_*: those, in this account and region.
    expect(statements.find((s) => s.Sid === 'PipelineScramSecrets')!.Resource).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:AmazonMSK_*',
    });
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    const logs = statements.find((s) => s.Sid === 'Logs')!;
    expect(JSON.stringify(logs.Resource)).toContain('/aws/lambda/clickstream-pipeline-test-ingest');
    // The registry read is one GetItem on the pipelines table (an app's route), nothing else.
    expect(statements.find((s) => s.Sid === 'PipelinesRoutes')).toEqual({
      Sid: 'PipelinesRoutes',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem'],
      Resource: { 'Fn::GetAtt': ['PipelinesTable', 'Arn'] },
    });
    // Only the ENI actions (which AWS does not scope by resource) may use '*'.
    const wildcard = statements.filter((s) => s.Resource === '*').map((s) => s.Sid);
    expect(wildcard).toEqual(['VpcNetworkInterfaces']);
  });

  it('grants MSK IAM and SCRAM permissions only under their conditions', () => {
    const policy = template.Resources.IngestRole!.Properties.Policies[0].PolicyDocument.Statement;
    const conditional = policy.filter((s: any) => s['Fn::If']).map((s: any) => s['Fn::If'][0]);
    expect(conditional.sort()).toEqual(['HasMskCluster', 'HasScramSecret']);
  });

  it('limits a flood: stage throttling on every route and reserved concurrency for ingest, from parameters', () => {
    expect(template.Resources.HttpApiStage!.Properties.DefaultRouteSettings).toEqual({
      DetailedMetricsEnabled: false,
      ThrottlingRateLimit: { Ref: 'ApiThrottleRate' },
      ThrottlingBurstLimit: { Ref: 'ApiThrottleBurst' },
    });
    expect(template.Parameters!.ApiThrottleRate).toMatchObject({
      Type: 'Number',
      Default: '1000',
      MinValue: 1,
    });
    expect(template.Parameters!.ApiThrottleBurst).toMatchObject({
      Type: 'Number',
      Default: '2000',
      MinValue: 1,
    });
    expect(fn().ReservedConcurrentExecutions).toEqual({
      'Fn::If': ['HasIngestReservedConcurrency', { Ref: 'IngestReservedConcurrency' }, { Ref: 'AWS::NoValue' }],
    });
    expect(template.Parameters!.IngestReservedConcurrency).toMatchObject({ Type: 'String', Default: '100' });
    expect(template.Conditions!.HasIngestReservedConcurrency).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'IngestReservedConcurrency' }, 'unreserved'] }],
    });
  });
});
