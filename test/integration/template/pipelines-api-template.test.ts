import { packageTemplate, roleStatements, type CfnTemplate } from '../../helpers/package-template.ts';
import { LAMBDA_LOGS, statementActions } from '../../helpers/iam-actions.ts';

const ADMIN_ROUTES = ['POST /pipelines', 'GET /pipelines', 'GET /pipelines/{id}', 'DELETE /pipelines/{id}'];

describe('serverless package: pipelines admin API and registry', () => {
  let template: CfnTemplate;
  beforeAll(async () => {
    template = await packageTemplate();
  }, 240_000);

  const resourcesOf = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
  const fn = () => template.Resources.PipelinesApiLambdaFunction!.Properties;
  const routes = () => resourcesOf('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);

  it('serves the four admin routes from the pipelines API function, each with the AWS_IAM authorizer', () => {
    const admin = routes().filter((r) => ADMIN_ROUTES.includes(r.RouteKey));
    expect(admin.map((r) => r.RouteKey).sort()).toEqual([...ADMIN_ROUTES].sort());
    for (const route of admin) {
      expect(route.AuthorizationType).toBe('AWS_IAM');
      expect(JSON.stringify(route.Target)).toContain('HttpApiIntegrationPipelinesApi');
    }
    expect(template.Resources.HttpApiIntegrationPipelinesApi!.Properties.PayloadFormatVersion).toBe('2.0');
  });

  it("serves POST /pipelines/{id}/redrive from its own function and role, AWS_IAM, within API Gateway's 30 s", () => {
    const route = routes().find((r) => r.RouteKey === 'POST /pipelines/{id}/redrive');
    expect(route?.AuthorizationType).toBe('AWS_IAM');
    expect(JSON.stringify(route?.Target)).toContain('HttpApiIntegrationRedrive');
    const redrive = template.Resources.RedriveLambdaFunction!.Properties;
    expect(redrive).toMatchObject({
      Runtime: 'nodejs24.x',
      Handler: 'functions/sink/redrive-handler.handler',
      Role: { 'Fn::GetAtt': ['RedriveRole', 'Arn'] },
    });
    expect(redrive.Timeout).toBeLessThan(30);
    const statements = roleStatements(template, 'RedriveRole');
    const actions = statements.flatMap(statementActions);
    expect(actions.sort()).toEqual(
      [
        'dynamodb:GetItem',
        'firehose:PutRecordBatch',
        ...LAMBDA_LOGS,
        's3:DeleteObject',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
      ].sort(),
    );
    // Deleting is allowed only where stranded records live, never under events/.
    const deletes = statements.filter((st) => [st.Action].flat().includes('s3:DeleteObject'));
    expect(JSON.stringify(deletes)).not.toContain('events/');
  });

  it('leaves the public collector routes without the IAM authorizer', () => {
    const collector = routes().filter((r) => ['POST /collect', 'OPTIONS /collect', 'GET /ping'].includes(r.RouteKey));
    expect(collector).toHaveLength(3);
    expect(collector.every((r) => r.AuthorizationType === undefined || r.AuthorizationType === 'NONE')).toBe(true);
  });

  it('runs the admin API on nodejs24.x arm64 outside the VPC, configured with the table and both state machines', () => {
    expect(fn()).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'functions/pipelines/api/handler.handler',
      Role: { 'Fn::GetAtt': ['PipelinesApiRole', 'Arn'] },
    });
    expect(fn().VpcConfig).toBeUndefined();
    const env = fn().Environment.Variables;
    expect(env.PIPELINES_TABLE).toEqual({ Ref: 'PipelinesTable' });
    expect(env.CREATE_PIPELINE_STATE_MACHINE_ARN).toEqual({ Ref: 'CreatePipelineStateMachine' });
    expect(env.DELETE_PIPELINE_STATE_MACHINE_ARN).toEqual({ Ref: 'DeletePipelineStateMachine' });
    expect(template.Resources.CreatePipelineStateMachine!.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(template.Resources.DeletePipelineStateMachine!.Type).toBe('AWS::StepFunctions::StateMachine');
  });

  it('lets the admin API role do only what the API calls: its logs, the registry items and index, StartExecution on the two workflows', () => {
    const statements = roleStatements(template, 'PipelinesApiRole');
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual(['Logs', 'RegistryItems', 'RegistryList', 'StartWorkflows']);
    expect(bySid.Logs!.Action).toEqual(LAMBDA_LOGS);
    expect(JSON.stringify(bySid.Logs!.Resource)).toContain('/aws/lambda/clickstream-pipeline-test-pipelinesApi:*');
    expect(bySid.RegistryItems).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      Resource: { 'Fn::GetAtt': ['PipelinesTable', 'Arn'] },
    });
    expect(bySid.RegistryList).toMatchObject({
      Action: ['dynamodb:Query'],
      Resource: { 'Fn::Sub': '${PipelinesTable.Arn}/index/byCreatedAt' },
    });
    expect(bySid.StartWorkflows).toEqual({
      Sid: 'StartWorkflows',
      Effect: 'Allow',
      Action: ['states:StartExecution'],
      Resource: [{ Ref: 'CreatePipelineStateMachine' }, { Ref: 'DeletePipelineStateMachine' }],
    });
    expect(JSON.stringify(statements)).not.toContain('"*"');
  });

  it('keeps the registry in one on-demand table with PITR, SSE, TTL on expiresAt and the byCreatedAt index', () => {
    const table = template.Resources.PipelinesTable!;
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byCreatedAt',
          KeySchema: [
            { AttributeName: 'listPk', KeyType: 'HASH' },
            { AttributeName: 'listSk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    expect((table as unknown as { DeletionPolicy: string }).DeletionPolicy).toBe('Retain');
  });

  it('routes the ingest function through the registry table', () => {
    expect(template.Resources.IngestLambdaFunction!.Properties.Environment.Variables.PIPELINES_TABLE).toEqual({
      Ref: 'PipelinesTable',
    });
  });

  it('outputs the admin API URL and the table name', () => {
    expect(Object.keys(template.Outputs ?? {})).toEqual(expect.arrayContaining(['PipelinesUrl', 'PipelinesTableName']));
  });
});
