/**
 * docs/cost.md shows what `npm run cost` prints (a new measured figure, price or setting makes
 * this fail until `npm run cost -- --write`), and the model's arithmetic on the charges that
 * decide the comparison.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BEGIN, END, OPTIONS, readInputs, render, withGenerated } from '../../../bin/cost.ts';
import { brokerSize, estimate } from '../../../bin/cost/model.ts';

const inputs = readInputs(process.cwd());
const line = (optionId: string, rps: number, item: string) => {
  const e = estimate(
    OPTIONS.find((o) => o.id === optionId)!,
    rps,
    inputs.measured,
    inputs.settings,
  );
  return e.lines.find((l) => l.item.startsWith(item))!.usd;
};

describe('cost model (bin/cost.ts)', () => {
  it('docs/cost.md holds exactly the output of npm run cost', () => {
    const doc = readFileSync(join(process.cwd(), 'docs/cost.md'), 'utf8');
    expect(doc).toContain(BEGIN);
    expect(doc).toContain(END);
    expect(withGenerated(doc, render(inputs))).toBe(doc);
  });

  it('prints the 10, 100 and 1,000 requests/s columns, every option and both published figures', () => {
    const out = render(inputs);
    expect(out).toContain('| option | 10 req/s | 100 req/s | 1,000 req/s |');
    for (const o of OPTIONS) expect(out).toContain(`| ${o.label} |`);
    expect(out).toContain('| Clickstream Analytics on AWS, Fargate + MSK (published) | $466.8 | $492.8 | $938.8 |');
    expect(out).toContain('| Clickstream Analytics on AWS, EC2 + MSK (published) | $570.8 | $596.8 | $988.8 |');
    expect(out).toMatch(/\| 1,000 req\/s \| .+ \| (yes|no) \|/);
  });

  it('charges the HTTP API per request with the cheaper tier beyond 300 million, and nothing for a function URL', () => {
    // 1,000 req/s = 2,628 M requests: 300 at $1.00 + 2,328 at $0.90.
    expect(line('httpApi+connector', 1000, 'API Gateway')).toBeCloseTo(300 + 2328 * 0.9, 6);
    const url = estimate(
      OPTIONS.find((o) => o.id === 'functionUrl+connector')!,
      1000,
      inputs.measured,
      inputs.settings,
    );
    expect(url.lines.some((l) => l.item.startsWith('API Gateway'))).toBe(false);
  });

  it('bills each Firehose record of the lambda sink as 5 KB (one event a record)', () => {
    const events = 10 * 10 * 730 * 3600;
    expect(line('functionUrl+lambda', 10, 'Firehose ingestion')).toBeCloseTo(((events * 5120) / 1024 ** 3) * 0.029, 6);
  });

  it('takes the cheapest broker size whose throughput holds the load', () => {
    expect(brokerSize(0.5)).toBe('kafka.t3.small');
    expect(brokerSize(4.6)).toBe('kafka.m7g.large');
    expect(() => brokerSize(1000)).toThrow(/no broker size/);
  });
});
