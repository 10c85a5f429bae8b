/** Reading the CloudWatch embedded metric format (EMF) documents Powertools Metrics prints. */

export interface Emf {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

/**
 * Captures what Powertools Metrics prints: it writes EMF documents with its own Console on
 * process.stdout, one JSON document per line, which CloudWatch Logs turns into metrics.
 */
export async function emfLinesOf(run: () => Promise<unknown>): Promise<Emf[]> {
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return typeof rest.at(-1) === 'function' ? ((rest.at(-1) as () => void)(), true) : true;
  }) as typeof process.stdout.write;
  try {
    await run();
  } finally {
    process.stdout.write = original;
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Emf);
}

/** name → { value, unit, dimensions } over every EMF document. */
export function metricsOf(
  docs: Emf[],
): { name: string; value: unknown; unit: string; dimensions: Record<string, unknown> }[] {
  return docs.flatMap((doc) =>
    doc._aws.CloudWatchMetrics.flatMap((d) =>
      d.Metrics.map((m) => ({
        name: m.Name,
        value: doc[m.Name],
        unit: m.Unit,
        dimensions: Object.fromEntries(d.Dimensions.flat().map((k) => [k, doc[k]])),
      })),
    ),
  );
}

/**
 * Turns the EMF output on for the calling test file (the jest setup disables metrics for the
 * other tests) and restores the settings afterwards.
 */
export function printEmfInThisFile(): void {
  const saved = { disabled: process.env.POWERTOOLS_METRICS_DISABLED, dev: process.env.POWERTOOLS_DEV };
  beforeAll(() => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    delete process.env.POWERTOOLS_DEV;
  });
  afterAll(() => {
    if (saved.disabled === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved.disabled;
    if (saved.dev !== undefined) process.env.POWERTOOLS_DEV = saved.dev;
  });
}
