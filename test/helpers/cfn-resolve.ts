/**
 * Evaluates the CloudFormation intrinsic functions of a packaged template the way CloudFormation
 * would at deploy time, for a given set of parameter values and made-up physical ids: the IAM
 * tests then see each role's policies as concrete JSON (conditions decided, ARNs substituted).
 * Only what the template uses is supported; anything else throws, so a new construct is noticed.
 */
import type { CfnTemplate } from './package-template.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const PARTITION = 'aws';
export const STACK = 'clickstream-pipeline-test';

const NO_VALUE = Symbol('AWS::NoValue');

/** The Arn a GetAtt yields for the stack's resources, by logical id (physical names made up). */
export function attributeArn(logicalId: string): string {
  const fixed: Record<string, string> = {
    DataBucket: `arn:${PARTITION}:s3:::clickstream-data-${ACCOUNT}`,
    PipelinesTable: `arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/${STACK}-PipelinesTable-1A2B3C`,
    FirehoseDeliveryStream: `arn:${PARTITION}:firehose:${REGION}:${ACCOUNT}:deliverystream/${STACK}-events`,
  };
  if (fixed[logicalId]) return fixed[logicalId]!;
  const fn = /^(.+)LambdaFunction$/.exec(logicalId);
  if (fn)
    return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${STACK}-${fn[1]!.charAt(0).toLowerCase()}${fn[1]!.slice(1)}`;
  if (/Role$/.test(logicalId)) return `arn:${PARTITION}:iam::${ACCOUNT}:role/${STACK}-${logicalId}-XYZ`;
  throw new Error(`no made-up ARN for ${logicalId}`);
}

/** What `Ref` yields for the stack's resources (names, or ARNs for state machines). */
function resourceRef(logicalId: string): string {
  if (logicalId === 'DataBucket') return `clickstream-data-${ACCOUNT}`;
  if (logicalId === 'PipelinesTable') return `${STACK}-PipelinesTable-1A2B3C`;
  if (logicalId.endsWith('StateMachine')) {
    const name = logicalId.replace(/PipelineStateMachine$/, '').toLowerCase();
    return `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${STACK}-${name}-pipeline`;
  }
  if (logicalId.endsWith('LambdaFunction')) return attributeArn(logicalId).split(':').pop()!;
  return `${STACK}-${logicalId}`;
}

export class TemplateResolver {
  readonly #template: CfnTemplate;
  readonly #params: Record<string, string>;

  /** `overrides`: CloudFormation parameter values; the others take their Default. */
  constructor(template: CfnTemplate, overrides: Record<string, string> = {}) {
    this.#template = template;
    this.#params = {};
    for (const [name, p] of Object.entries(template.Parameters ?? {}))
      this.#params[name] = String((p as { Default?: unknown }).Default ?? '');
    Object.assign(this.#params, overrides);
  }

  condition(name: string): boolean {
    const body = this.#template.Conditions?.[name];
    if (body === undefined) throw new Error(`no condition ${name}`);
    return Boolean(this.resolve(body));
  }

  #ref(name: string): unknown {
    const pseudo: Record<string, unknown> = {
      'AWS::Partition': PARTITION,
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': STACK,
      'AWS::NoValue': NO_VALUE,
    };
    if (name in pseudo) return pseudo[name];
    if (name in this.#params) return this.#params[name];
    if (name in this.#template.Resources) return resourceRef(name);
    throw new Error(`Ref to unknown ${name}`);
  }

  #sub(text: string, vars: Record<string, unknown>): string {
    return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
      if (name in vars) return String(vars[name]);
      if (name.endsWith('.Arn')) return attributeArn(name.slice(0, -4));
      return String(this.#ref(name));
    });
  }

  /** The value of a template fragment with every intrinsic function evaluated. */
  resolve(node: unknown): unknown {
    if (Array.isArray(node)) return node.map((n) => this.resolve(n)).filter((n) => n !== NO_VALUE);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0]!;
      const args = arg as unknown[];
      switch (key) {
        case 'Ref':
          return this.#ref(arg as string);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
          if (attr !== 'Arn') throw new Error(`GetAtt ${id}.${attr} is not supported`);
          return attributeArn(id!);
        }
        case 'Fn::Sub': {
          if (typeof arg === 'string') return this.#sub(arg, {});
          const [text, vars] = args as [string, Record<string, unknown>];
          const values = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, this.resolve(v)]));
          return this.#sub(text, values);
        }
        case 'Fn::Join':
          return (this.resolve(args[1]) as unknown[]).join(args[0] as string);
        case 'Fn::Split':
          return String(this.resolve(args[1])).split(args[0] as string);
        case 'Fn::Select':
          return (this.resolve(args[1]) as unknown[])[Number(this.resolve(args[0]))];
        case 'Fn::If':
          return this.condition(args[0] as string) ? this.resolve(args[1]) : this.resolve(args[2]);
        case 'Fn::Equals':
          return this.resolve(args[0]) === this.resolve(args[1]);
        case 'Fn::Not':
          return !this.resolve(args[0]);
        case 'Fn::And':
          return args.every((a) => this.resolve(a));
        case 'Fn::Or':
          return args.some((a) => this.resolve(a));
        case 'Condition':
          return this.condition(arg as string);
        default:
          if (key.startsWith('Fn::')) throw new Error(`${key} is not supported`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const value = this.resolve(v);
      if (value !== NO_VALUE) out[k] = value;
    }
    return out;
  }

  /** A role's inline policy documents, resolved. */
  rolePolicies(roleId: string): Array<{ name: string; policy: PolicyDocument }> {
    const role = this.#template.Resources[roleId];
    if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not an IAM role`);
    const policies = (role.Properties.Policies ?? []) as Array<{
      PolicyName: unknown;
      PolicyDocument: unknown;
    }>;
    return policies.map((p) => ({
      name: String(this.resolve(p.PolicyName)),
      policy: this.resolve(p.PolicyDocument) as PolicyDocument,
    }));
  }

  /** Whether a resource exists under these parameters (its Condition holds). */
  exists(logicalId: string): boolean {
    const resource = this.#template.Resources[logicalId];
    if (!resource) return false;
    return resource.Condition === undefined || this.condition(resource.Condition);
  }
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

export const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
