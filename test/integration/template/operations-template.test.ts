import type { Cluster } from '@aws-sdk/client-kafka';
import { MetricName } from '../../../functions/lib/metrics.ts';
import { parseServerProperties } from '../../../functions/pipelines/cluster-rules.ts';
import { evaluateMskRules } from '../../../functions/pipelines/msk-cluster-rules.ts';
import type { KafkaAuth } from '../../../functions/lib/kafka/config.ts';
import { TemplateResolver } from '../../helpers/cfn-resolve.ts';
import { packageTemplate, type CfnTemplate } from '../../helpers/package-template.ts';
import { spec } from '../../helpers/pipelines.ts';
import { connectorSink } from '../../workflow/harness.ts';

/** Evaluates a template Condition with the parameters at their defaults (what a deploy with these --params gets). */
function conditionHolds(t: CfnTemplate, name: string): boolean {
  const value = (node: any): any => {
    if (typeof node !== 'object' || node === null) return node;
    if ('Ref' in node) return t.Parameters?.[node.Ref]?.Default;
    if ('Condition' in node) return conditionHolds(t, node.Condition);
    if ('Fn::Equals' in node) return value(node['Fn::Equals'][0]) === value(node['Fn::Equals'][1]);
    if ('Fn::Not' in node) return !value(node['Fn::Not'][0]);
    if ('Fn::And' in node) return node['Fn::And'].every(value);
    if ('Fn::Or' in node) return node['Fn::Or'].some(value);
    throw new Error(`cannot evaluate ${JSON.stringify(node)}`);
  };
  const c = t.Conditions?.[name];
  if (c === undefined) throw new Error(`no condition ${name}`);
  return value(c);
}

/** Resources a deploy would create: those without a Condition or whose Condition holds. */
function deployed(t: CfnTemplate): string[] {
  return Object.entries(t.Resources)
    .filter(([, r]) => r.Condition === undefined || conditionHolds(t, r.Condition))
    .map(([id]) => id);
}

/** The dashboard body with every ${Name} of its Fn::Sub checked to exist and replaced by <Name>. */
function dashboardBody(t: CfnTemplate): { json: any; text: string } {
  const sub = t.Resources.Dashboard!.Properties.DashboardBody['Fn::Sub'] as string;
  const text = sub.replace(/\$\{([A-Za-z0-9:]+)\}/g, (_m, name: string) => {
    if (!name.startsWith('AWS::') && t.Resources[name] === undefined && t.Parameters?.[name] === undefined)
      throw new Error(`the dashboard references ${name}, which the template does not have`);
    return `<${name}>`;
  });
  return { json: JSON.parse(text), text };
}

describe('serverless package: operations (dashboard, alarms, optional MSK cluster and Glue table)', () => {
  let template: CfnTemplate;
  let withOptions: CfnTemplate;
  beforeAll(async () => {
    template = await packageTemplate();
    withOptions = await packageTemplate({
      createMskCluster: 'true',
      createKafkaClient: 'true',
      createGlueTable: 'true',
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops',
      mskRetentionHours: '24',
    });
  }, 600_000);

  const namespace = () =>
    template.Resources.IngestLambdaFunction!.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE as string;

  it('gives every function the EMF namespace the dashboard and alarms read', () => {
    expect(namespace()).toBe('clickstream-pipeline/test');
    for (const fn of ['IngestLambdaFunction', 'SinkLambdaFunction', 'MarkActiveLambdaFunction']) {
      expect(template.Resources[fn]!.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE).toBe(namespace());
    }
  });

  it('has a dashboard whose JSON body shows the API, events, MSK brokers, sink lag, Firehose, stranded records and workflows', () => {
    const { json, text } = dashboardBody(template);
    expect(json.widgets.length).toBeGreaterThan(10);
    const names = [
      // API
      '"Count"',
      '"4xx"',
      '"5xx"',
      '"Latency"',
      // MSK brokers and consumer lag
      'CpuUser',
      'KafkaDataLogsDiskUsed',
      'BytesInPerSec',
      'BytesOutPerSec',
      'UnderReplicatedPartitions',
      'MaxOffsetLag',
      'EstimatedMaxTimeLag',
      '"OffsetLag"',
      // Firehose
      '"IncomingRecords"',
      'DeliveryToS3.DataFreshness',
      'DeliveryToS3.Success',
      // Stranded records and workflows
      '"PutRequests"',
      'dead-letters',
      'on-failure',
      '"ExecutionsFailed"',
    ];
    for (const name of names) expect(text).toContain(name);
    // Every metric the functions emit is on it, in their namespace.
    for (const name of Object.values(MetricName)) expect(text).toContain(`MetricName=\\"${name}\\"`);
    expect(text).toContain(`\\"${namespace()}\\"`);
    // Per-pipeline series by SEARCH: no per-pipeline edits (docs/decisions.md D17).
    expect(text).toContain('{\\"clickstream-pipeline/test\\",service,app}');
    expect(text).toContain('{AWS/Kafka,\\"Cluster Name\\",\\"Consumer Group\\",Topic}');
    for (const ref of [
      'HttpApi',
      'FirehoseDeliveryStream',
      'SinkLambdaFunction',
      'DataBucket',
      'CreatePipelineStateMachine',
      'DeletePipelineStateMachine',
    ])
      expect(text).toContain(`<${ref}>`);
  });

  it('counts S3 writes under errors/ and aws/lambda/ with request metrics on the data bucket', () => {
    expect(template.Resources.DataBucket!.Properties.MetricsConfigurations).toEqual([
      { Id: 'dead-letters', Prefix: 'errors/' },
      { Id: 'on-failure', Prefix: 'aws/lambda/' },
    ]);
  });

  it('has at least 4 alarms, covering 5xx, lag, Firehose freshness and failures, stranded records and failed workflows, all notifying the alarm topic', () => {
    const alarms = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(4);
    const watched = alarms.map(([, a]) => JSON.stringify(a.Properties));
    const covers = (...needles: string[]) => watched.some((w) => needles.every((n) => w.includes(n)));
    expect(covers('"5xx"', 'AWS/ApiGateway')).toBe(true);
    expect(covers('"KafkaUnavailable"', namespace())).toBe(true);
    expect(covers('"OffsetLag"', 'RATE(')).toBe(true);
    expect(covers('EstimatedMaxTimeLag')).toBe(true);
    expect(covers('DeliveryToS3.DataFreshness')).toBe(true);
    expect(covers('DeliveryToS3.Success')).toBe(true);
    expect(covers('"PutRequests"', 'dead-letters')).toBe(true);
    expect(covers('"PutRequests"', 'on-failure')).toBe(true);
    expect(covers('"ExecutionsFailed"', 'CreatePipelineStateMachine', 'DeletePipelineStateMachine')).toBe(true);
    for (const [id, alarm] of alarms) {
      expect([id, alarm.Properties.AlarmActions]).toEqual([
        id,
        [{ 'Fn::If': ['HasAlarmTopic', { Ref: 'AlarmTopicArn' }, { Ref: 'AWS::NoValue' }] }],
      ]);
    }
    expect(template.Parameters!.AlarmTopicArn.Default).toBe('');
    expect(conditionHolds(template, 'HasAlarmTopic')).toBe(false);
    expect(conditionHolds(withOptions, 'HasAlarmTopic')).toBe(true);
    expect(withOptions.Parameters!.AlarmTopicArn.Default).toBe('arn:aws:sns:us-east-1:123456789012:ops');
  });

  it('creates no MSK cluster, client or Glue table by default', () => {
    const ids = deployed(template);
    for (const id of ['MskCluster', 'MskConfiguration', 'MskClientInstance', 'GlueDatabase', 'GlueTable']) {
      expect(template.Resources[id]).toBeDefined();
      expect(ids).not.toContain(id);
    }
  });

  it('with --param createMskCluster=true creates a provisioned cluster in the stack subnets with a configuration that meets every pipeline rule', () => {
    const ids = deployed(withOptions);
    expect(ids).toEqual(
      expect.arrayContaining(['MskCluster', 'MskConfiguration', 'MskSecurityGroup', 'MskSecurityGroupSelfIngress']),
    );
    const cluster = withOptions.Resources.MskCluster!.Properties;
    const config = withOptions.Resources.MskConfiguration!.Properties;
    expect(withOptions.Resources.MskCluster!.Type).toBe('AWS::MSK::Cluster');
    expect(cluster.NumberOfBrokerNodes).toBeGreaterThanOrEqual(2);
    expect(cluster.BrokerNodeGroupInfo.ClientSubnets).toEqual({
      'Fn::Split': [',', 'subnet-00000000000000001,subnet-00000000000000002'],
    });
    // Brokers in their own group, open on the Kafka ports to the stack's group and to itself.
    expect(cluster.BrokerNodeGroupInfo.SecurityGroups).toEqual([{ 'Fn::GetAtt': ['MskSecurityGroup', 'GroupId'] }]);
    const group = withOptions.Resources.MskSecurityGroup!.Properties;
    expect(group.VpcId).toBe('vpc-00000000000000001');
    expect(group.SecurityGroupIngress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 9092,
        ToPort: 9098,
        SourceSecurityGroupId: 'sg-00000000000000001',
      }),
    ]);
    expect(withOptions.Resources.MskSecurityGroupSelfIngress!.Properties).toMatchObject({
      GroupId: { 'Fn::GetAtt': ['MskSecurityGroup', 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': ['MskSecurityGroup', 'GroupId'] },
      FromPort: 9092,
      ToPort: 9098,
    });
    expect(cluster.ClientAuthentication.Unauthenticated.Enabled).toBe(true);
    expect(cluster.EncryptionInfo.EncryptionInTransit.ClientBroker).toBe('TLS_PLAINTEXT');
    expect(cluster.ConfigurationInfo).toEqual({
      Arn: { Ref: 'MskConfiguration' },
      Revision: { 'Fn::GetAtt': ['MskConfiguration', 'LatestRevision.Revision'] },
    });
    expect(config.KafkaVersionsList).toEqual([cluster.KafkaVersion]);
    const props = parseServerProperties(new TemplateResolver(withOptions).resolve(config.ServerProperties) as string);
    expect(props.get('auto.create.topics.enable')).toBe('true');
    // mskRetentionHours (docs/cost.md: storage grows with it), a number CloudFormation checks.
    expect(props.get('log.retention.hours')).toBe('24');
    expect(withOptions.Parameters!.MskRetentionHours).toMatchObject({ Type: 'Number', MinValue: 1, Default: '24' });
    expect(template.Parameters!.MskRetentionHours.Default).toBe('168');
    expect(Number(props.get('default.replication.factor'))).toBeLessThanOrEqual(cluster.NumberOfBrokerNodes);
    expect(withOptions.Outputs!.MskClusterArn).toMatchObject({
      Condition: 'WithMskCluster',
      Value: { Ref: 'MskCluster' },
    });

    // The cluster as MSK would describe it once ACTIVE passes the rules ValidateCluster applies,
    // for every auth it enables and both sink modes.
    const subnets = ['subnet-00000000000000001', 'subnet-00000000000000002'];
    const described: Cluster = {
      ClusterName: cluster.ClusterName,
      ClusterType: 'PROVISIONED',
      State: 'ACTIVE',
      Provisioned: {
        NumberOfBrokerNodes: cluster.NumberOfBrokerNodes,
        BrokerNodeGroupInfo: {
          ClientSubnets: subnets,
          InstanceType: cluster.BrokerNodeGroupInfo.InstanceType,
        },
        ClientAuthentication: cluster.ClientAuthentication,
        EncryptionInfo: cluster.EncryptionInfo,
      },
    };
    const hosts = Array.from(
      { length: cluster.NumberOfBrokerNodes },
      (_, i) => `b-${i + 1}.c.kafka.us-east-1.amazonaws.com`,
    );
    const at = (port: number) => hosts.map((h) => `${h}:${port}`).join(',');
    const facts = {
      clusterArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/clickstream-pipeline-test/uuid-1',
      cluster: described,
      bootstrap: {
        BootstrapBrokerString: at(9092),
        BootstrapBrokerStringTls: at(9094),
        BootstrapBrokerStringSaslIam: at(9098),
      },
      serverProperties: props,
      subnetVpcs: {},
    };
    const stack = { vpcId: 'vpc-00000000000000001', subnetIds: subnets };
    for (const auth of ['none', 'tls', 'iam'] as KafkaAuth[]) {
      const s = spec();
      const outcome = evaluateMskRules({ ...s, kafka: { ...s.kafka, auth } }, facts, stack);
      expect([auth, outcome.violations]).toEqual([auth, []]);
    }
    expect(evaluateMskRules(spec({ sink: connectorSink() }), facts, stack).violations).toEqual([]);
  });

  it('with --param createKafkaClient=true adds the Kafka client instance reachable through Session Manager', () => {
    expect(deployed(withOptions)).toEqual(
      expect.arrayContaining(['MskClientInstance', 'MskClientRole', 'MskClientInstanceProfile']),
    );
    const role = withOptions.Resources.MskClientRole!.Properties;
    expect(JSON.stringify(role.ManagedPolicyArns)).toContain('AmazonSSMManagedInstanceCore');
    const instance = withOptions.Resources.MskClientInstance!.Properties;
    expect(instance.IamInstanceProfile).toEqual({ Ref: 'MskClientInstanceProfile' });
    const userData = JSON.stringify(instance.UserData);
    expect(userData).toContain('kafka_2.13-');
    expect(userData).toContain('client.properties');
    expect(withOptions.Outputs!.KafkaClientInstanceId).toMatchObject({ Condition: 'WithKafkaClient' });
    // The client needs the cluster: createKafkaClient alone creates nothing.
    expect(JSON.stringify(withOptions.Conditions!.WithKafkaClient)).toContain('WithMskCluster');
  });

  it('with --param createGlueTable=true adds a Glue table over events/ with partition projection and the JSON SerDe', () => {
    expect(deployed(withOptions)).toEqual(expect.arrayContaining(['GlueDatabase', 'GlueTable']));
    const input = withOptions.Resources.GlueTable!.Properties.TableInput;
    expect(input.PartitionKeys.map((k: { Name: string }) => k.Name)).toEqual([
      'app_id',
      'year',
      'month',
      'day',
      'hour',
    ]);
    expect(input.Parameters['projection.enabled']).toBe('true');
    expect(input.Parameters['storage.location.template']).toEqual({
      'Fn::Join': [
        '',
        [
          's3://',
          { Ref: 'DataBucket' },
          '/events/app_id=${app_id}/year=${year}/month=${month}/day=${day}/hour=${hour}/',
        ],
      ],
    });
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(input.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual(
      expect.arrayContaining(['event_id', 'event_type', 'timestamp', 'ingest_time']),
    );
    // The layout the table reads is the one Firehose writes.
    const prefix = template.Resources.FirehoseDeliveryStream!.Properties.ExtendedS3DestinationConfiguration
      .Prefix as string;
    expect(prefix).toMatch(/^events\/app_id=.*\/year=.*\/month=.*\/day=.*\/hour=.*\/$/);
    expect(withOptions.Parameters!.CreateGlueTable.Default).toBe('true');
    expect(template.Parameters!.CreateGlueTable.Default).toBe('false');
  });
});
