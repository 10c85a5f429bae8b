/**
 * The demo pipeline of `npm start`, created the way a user creates one: POST /pipelines on the
 * local HTTP API, which runs the real create workflow (validate the dev cluster as an MSK
 * cluster, create the topic, create the event source mapping, mark ACTIVE). On a restart the
 * project already has its pipeline (409), which is then reused.
 */
export interface DemoSettings {
  projectId: string;
  appId: string;
  topic: string;
  windowSeconds: number;
  batchSize: number;
}

export interface PipelineView {
  id: string;
  projectId: string;
  status: string;
  failureReason?: string;
  violations?: string[];
  resources?: Record<string, unknown>;
  sink?: { mode?: string };
  kafka?: { topic?: string };
}

export function demoRequest(demo: DemoSettings, clusterArn: string) {
  return {
    projectId: demo.projectId,
    appIds: [demo.appId],
    kafka: { type: 'msk', clusterArn, topic: demo.topic },
    sink: { mode: 'lambda', maxIntervalSeconds: demo.windowSeconds, batchSize: demo.batchSize },
  };
}

/** Polls GET /pipelines/{id} until the pipeline leaves CREATING/DELETING (or the timeout). */
export async function waitForPipeline(api: string, id: string, timeoutMs: number): Promise<PipelineView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${api}/pipelines/${encodeURIComponent(id)}`);
    const pipeline = (await res.json()) as PipelineView;
    if (res.ok && pipeline.status !== 'CREATING' && pipeline.status !== 'DELETING') return pipeline;
    if (Date.now() > deadline)
      throw new Error(`pipeline ${id} is still ${pipeline.status ?? res.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function listPipelines(api: string): Promise<PipelineView[]> {
  const list = (await (await fetch(`${api}/pipelines`)).json()) as { pipelines?: PipelineView[] };
  return list.pipelines ?? [];
}

export async function ensureDemoPipeline(
  api: string,
  demo: DemoSettings,
  clusterArn: string,
  say: (line: string) => void,
): Promise<PipelineView> {
  // A demo pipeline left FAILED (e.g. interrupted by a stop) is torn down and created again.
  const failed = (await listPipelines(api)).find((p) => p.projectId === demo.projectId && p.status === 'FAILED');
  if (failed) {
    say(`the demo pipeline ${failed.id} is FAILED (${failed.failureReason ?? ''}); deleting it and creating it again`);
    const del = await fetch(`${api}/pipelines/${encodeURIComponent(failed.id)}`, { method: 'DELETE' });
    if (del.status !== 202)
      throw new Error(`DELETE /pipelines/${failed.id} answered ${del.status}: ${await del.text()}`);
    const gone = await waitForPipeline(api, failed.id, 120_000);
    if (gone.status !== 'DELETED')
      throw new Error(`the demo pipeline ${failed.id} could not be deleted: ${gone.failureReason ?? gone.status}`);
  }
  const res = await fetch(`${api}/pipelines`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(demoRequest(demo, clusterArn)),
  });
  let id: string;
  if (res.status === 202) {
    id = ((await res.json()) as { id: string }).id;
    say(`creating the demo pipeline ${id} through POST /pipelines ...`);
  } else if (res.status === 409) {
    const existing = (await listPipelines(api)).find((p) => p.projectId === demo.projectId && p.status !== 'DELETED');
    if (!existing)
      throw new Error(`POST /pipelines answered 409 but no pipeline of project ${demo.projectId} is listed`);
    id = existing.id;
  } else {
    throw new Error(`POST /pipelines answered ${res.status}: ${await res.text()}`);
  }
  const pipeline = await waitForPipeline(api, id, 120_000);
  if (pipeline.status !== 'ACTIVE') {
    throw new Error(`the demo pipeline ${id} is ${pipeline.status}: ${pipeline.failureReason ?? ''}`);
  }
  return pipeline;
}
