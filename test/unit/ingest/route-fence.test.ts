import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { INGEST_ROUTE_WAIT_SECONDS, ROUTE_MAX_AGE_SECONDS } from '../../../functions/lib/route-fence.ts';

describe('teardown fence (ingest route cache vs the delete workflow)', () => {
  const asl = parse(readFileSync('statemachines/delete-pipeline.asl.yml', 'utf8')) as {
    States: Record<string, { Type: string; Seconds?: number; Next?: string }>;
  };

  it('the delete workflow waits INGEST_ROUTE_WAIT_SECONDS before its drain check', () => {
    expect(asl.States.WaitForIngestRoutes).toMatchObject({
      Type: 'Wait',
      Seconds: INGEST_ROUTE_WAIT_SECONDS,
      Next: 'CheckDrained',
    });
  });

  it('no cached route, stale-if-error included, outlives that wait (5 s margin)', () => {
    expect(ROUTE_MAX_AGE_SECONDS + 5).toBeLessThanOrEqual(INGEST_ROUTE_WAIT_SECONDS);
  });
});
