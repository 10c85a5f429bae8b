import { packageTemplate, roleStatements, type CfnTemplate } from '../../helpers/package-template.ts';
import { LAMBDA_LOGS, LAMBDA_VPC_ENI, MSK_IN_VPC, statementActions } from '../../helpers/iam-actions.ts';

/** Bootstrap brokers, the SCRAM secret and the topic's description: what DeleteTopic and CheckDrained share. */
const TOPIC_OVER_BOOTSTRAP = [
  'kafka:GetBootstrapBrokers',
  'secretsmanager:GetSecretValue',
  'kms:Decrypt',
  'kafka-cluster:Connect',
  'kafka-cluster:DescribeTopic',
];

/** Function key → the IAM actions its role allows (beyond its own log stream), and whether it runs in the VPC. */
const TASKS: Record<string, { role: string; vpc: boolean; actions: string[] }> = {
  validateCluster: {
    role: 'ValidateClusterRole',
    vpc: true,
    actions: [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'kafka:DescribeClusterV2',
      'kafka:GetBootstrapBrokers',
      'kafka:DescribeConfigurationRevision',
      'secretsmanager:GetSecretValue',
      'kms:Decrypt',
    ],
  },
  createTopic: {
    role: 'CreateTopicRole',
    vpc: true,
    actions: [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'secretsmanager:GetSecretValue',
      'kms:Decrypt',
      'kafka-cluster:Connect',
      'kafka-cluster:DescribeTopic',
      'kafka-cluster:CreateTopic',
    ],
  },
  createPlugin: {
    role: 'CreatePluginRole',
    vpc: false,
    actions: [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'kafkaconnect:CreateCustomPlugin',
      'kafkaconnect:ListCustomPlugins',
      's3:GetObject',
      's3:GetObjectVersion',
    ],
  },
  describePlugin: {
    role: 'DescribePluginRole',
    vpc: false,
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'kafkaconnect:DescribeCustomPlugin'],
  },
  createConnector: {
    role: 'CreateConnectorRole',
    vpc: false,
    actions: [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'kafkaconnect:CreateConnector',
      'kafkaconnect:ListConnectors',
      'iam:PassRole',
      'iam:CreateServiceLinkedRole',
      'iam:AttachRolePolicy',
      'iam:PutRolePolicy',
      'iam:CreateServiceLinkedRole',
      ...MSK_IN_VPC,
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ],
  },
  describeConnector: {
    role: 'DescribeConnectorRole',
    vpc: false,
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'kafkaconnect:DescribeConnector'],
  },
  createEventSourceMapping: {
    role: 'CreateEventSourceMappingRole',
    vpc: false,
    actions: [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'lambda:CreateEventSourceMapping',
      'lambda:ListEventSourceMappings',
    ],
  },
  getEventSourceMapping: {
    role: 'GetEventSourceMappingRole',
    vpc: false,
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'lambda:GetEventSourceMapping'],
  },
  deleteConnector: {
    role: 'DeleteConnectorRole',
    vpc: false,
    actions: [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'kafkaconnect:DescribeConnector',
      'kafkaconnect:DeleteConnector',
      'kafkaconnect:ListConnectors',
      'logs:DeleteLogDelivery',
      'logs:GetLogDelivery',
      'logs:ListLogDeliveries',
    ],
  },
  deletePlugin: {
    role: 'DeletePluginRole',
    vpc: false,
    actions: [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'kafkaconnect:DeleteCustomPlugin',
      'kafkaconnect:ListCustomPlugins',
    ],
  },
  deleteEventSourceMapping: {
    role: 'DeleteEventSourceMappingRole',
    vpc: false,
    actions: [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'lambda:DeleteEventSourceMapping',
      'lambda:ListEventSourceMappings',
    ],
  },
  deleteTopic: {
    role: 'DeleteTopicRole',
    vpc: true,
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', ...TOPIC_OVER_BOOTSTRAP, 'kafka-cluster:DeleteTopic'],
  },
  checkDrained: {
    role: 'CheckDrainedRole',
    vpc: true,
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', ...TOPIC_OVER_BOOTSTRAP, 'kafka-cluster:DescribeGroup'],
  },
  markActive: {
    role: 'MarkActiveRole',
    vpc: false,
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  },
  markFailed: {
    role: 'MarkFailedRole',
    vpc: false,
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  },
  markDeleted: {
    role: 'MarkDeletedRole',
    vpc: false,
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  },
};
const CREATE_TASKS = [
  'validateCluster',
  'createTopic',
  'createPlugin',
  'describePlugin',
  'createConnector',
  'describeConnector',
  'createEventSourceMapping',
  'getEventSourceMapping',
  'markActive',
  'deleteConnector',
  'deletePlugin',
  'deleteEventSourceMapping',
  'deleteTopic',
  'markFailed',
];
const DELETE_TASKS = [
  'checkDrained',
  'deleteConnector',
  'deletePlugin',
  'deleteEventSourceMapping',
  'deleteTopic',
  'markDeleted',
  'markFailed',
];

const logicalId = (key: string) => `${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction`;

describe('serverless package: pipelines workflow', () => {
  let template: CfnTemplate;
  beforeAll(async () => {
    template = await packageTemplate();
  }, 240_000);

  it.each(Object.entries(TASKS))(
    '%s: nodejs24.x arm64, its own role, in the VPC only when it talks to Kafka, the environment it reads',
    (key, spec) => {
      const fn = template.Resources[logicalId(key)]!.Properties;
      expect(fn).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Role: { 'Fn::GetAtt': [spec.role, 'Arn'] },
      });
      expect(fn.VpcConfig !== undefined).toBe(spec.vpc);
      const env = fn.Environment.Variables;
      expect(env.PIPELINES_TABLE).toEqual({ Ref: 'PipelinesTable' });
      expect(env.POWERTOOLS_SERVICE_NAME).toBe('pipelines-workflow');
      if (key === 'validateCluster' || key === 'createConnector' || key === 'createEventSourceMapping') {
        expect(env).toMatchObject({
          VPC_ID: 'vpc-00000000000000001',
          SUBNET_IDS: 'subnet-00000000000000001,subnet-00000000000000002',
          SECURITY_GROUP_ID: 'sg-00000000000000001',
        });
        // The mappings have no on-failure destination (D15): the mapping task needs no bucket.
        expect(env.DATA_BUCKET === undefined).toBe(key === 'createEventSourceMapping');
      }
      if (key === 'createConnector')
        expect(env).toMatchObject({
          CONNECTOR_ROLE_ARN: { 'Fn::GetAtt': ['ConnectorServiceRole', 'Arn'] },
          CONNECTOR_LOG_GROUP: { Ref: 'ConnectorLogGroup' },
        });
      if (key === 'createEventSourceMapping' || key === 'deleteEventSourceMapping')
        expect(env.SINK_FUNCTION_NAME).toEqual({ Ref: 'SinkLambdaFunction' });
    },
  );

  it.each(Object.entries(TASKS))('%s role allows only the calls its task makes', (key, spec) => {
    const statements = roleStatements(template, spec.role);
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    const logs = statements.find((s) => s.Sid === 'Logs')!;
    expect(logs.Action).toEqual(LAMBDA_LOGS);
    expect(JSON.stringify(logs.Resource)).toContain(`/aws/lambda/clickstream-pipeline-test-${key}:*`);
    const actions = statements.filter((s) => s.Sid !== 'Logs').flatMap(statementActions);
    const expected = spec.vpc ? [...spec.actions, ...LAMBDA_VPC_ENI] : spec.actions;
    expect([...actions].sort()).toEqual([...expected].sort());
    const registry = statements.find((s) => s.Sid === 'Registry')!;
    expect(registry.Resource).toEqual({ 'Fn::GetAtt': ['PipelinesTable', 'Arn'] });
    expect(template.Resources[spec.role]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
  });

  // The sensitive grants (PassRole, service-linked roles, mappings only for the sink function,
  // AmazonMSK_* secrets, no '*' for resource-scoped actions) are checked with the IAM simulator
  // and database in iam-roles.test.ts.

  it.each([
    ['CreatePipelineStateMachine', 'create-pipeline', CREATE_TASKS],
    ['DeletePipelineStateMachine', 'delete-pipeline', DELETE_TASKS],
  ])(
    '%s runs the ASL of statemachines/%s.asl.yml and its role may only invoke the task functions it uses',
    (id, file, tasks) => {
      const machine = template.Resources[id]!;
      expect(machine.Type).toBe('AWS::StepFunctions::StateMachine');
      expect(machine.Properties.StateMachineName).toBe(`clickstream-pipeline-test-${file}`);
      const [body, substitutions] = machine.Properties.DefinitionString['Fn::Sub'] as [string, Record<string, unknown>];
      const definition = JSON.parse(body.replace(/"\$\{[0-9a-f]+\}"/g, '"arn"')) as {
        StartAt: string;
        States: Record<string, unknown>;
      };
      expect(definition.StartAt).toBe(file === 'create-pipeline' ? 'ValidateCluster' : 'StartTeardown');
      expect(
        Object.values(substitutions)
          .map((v) => (v as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0])
          .sort(),
      ).toEqual([...new Set(tasks)].map(logicalId).sort());

      const roleId = machine.Properties.RoleArn['Fn::GetAtt'][0] as string;
      const statements = roleStatements(template, roleId);
      expect(statements.flatMap(statementActions)).toEqual(['lambda:InvokeFunction']);
      const invoked = (statements[0]!.Resource as Array<Record<string, any>>).map(
        (r) => r['Fn::GetAtt']?.[0] ?? r['Fn::Sub'][1].functionArn['Fn::GetAtt'][0],
      );
      expect([...new Set(invoked)].sort()).toEqual([...new Set(tasks)].map(logicalId).sort());
    },
  );

  it('the admin API starts exactly these two state machines', () => {
    const env = template.Resources.PipelinesApiLambdaFunction!.Properties.Environment.Variables;
    expect(env.CREATE_PIPELINE_STATE_MACHINE_ARN).toEqual({ Ref: 'CreatePipelineStateMachine' });
    expect(env.DELETE_PIPELINE_STATE_MACHINE_ARN).toEqual({ Ref: 'DeletePipelineStateMachine' });
  });

  it("gives MSK Connect a service execution role limited to this account's connectors, the data bucket and MSK IAM reads, and a worker log group", () => {
    const role = template.Resources.ConnectorServiceRole!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'kafkaconnect.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: expect.objectContaining({
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        }),
      }),
    ]);
    const actions = roleStatements(template, 'ConnectorServiceRole').flatMap(statementActions);
    expect(actions).toEqual(
      expect.arrayContaining([
        's3:PutObject',
        's3:AbortMultipartUpload',
        's3:ListBucket',
        'kafka-cluster:Connect',
        'kafka-cluster:ReadData',
      ]),
    );
    expect(actions.filter((a) => !a.startsWith('s3:') && !a.startsWith('kafka-cluster:'))).toEqual([]);
    expect(template.Resources.ConnectorLogGroup!.Properties).toEqual({
      LogGroupName: '/aws/msk-connect/clickstream-pipeline-test',
      RetentionInDays: 30,
    });
  });
});
