// The local console's script: renders /console/api/overview every 2 s, previews objects, and
// posts the form to the admin API (POST /pipelines). Plain DOM, no framework, no build step.
const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('data-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
  return node;
}

const fmt = (n) => (n == null ? '–' : Number(n).toLocaleString('en-US'));

function stepsList(steps) {
  const list = el('ol', { class: 'steps' });
  for (const s of [...(steps ?? [])].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))) {
    list.append(el('li', { 'data-step': s.name }, `${s.name}: ${s.status}${s.detail ? ` — ${s.detail}` : ''}`));
  }
  return list;
}

function pipelineRow(p) {
  const stats = p.stats ?? {};
  const cluster = p.kafka?.cluster ?? {};
  const status = el('td', {}, el('span', { class: `status ${p.status}` }, p.status));
  if (p.failureReason) status.append(el('div', { class: 'error' }, p.failureReason));
  for (const v of p.violations ?? []) status.append(el('div', { class: 'error' }, `• ${v}`));
  status.append(stepsList(p.steps));
  const kafkaNote = stats.kafkaError ? el('div', { class: 'error' }, stats.kafkaError) : '';
  return el(
    'tr',
    { 'data-pipeline-id': p.id },
    el(
      'td',
      {},
      el('strong', {}, p.projectId),
      el('div', { class: 'muted' }, p.id),
      el('div', { class: 'muted' }, `apps: ${(p.appIds ?? []).join(', ')}`),
      el('div', { class: 'muted' }, `topic ${p.kafka?.topic} on ${cluster.clusterArn ?? cluster.brokers ?? '?'}`),
    ),
    status,
    el(
      'td',
      {},
      p.sink?.mode ?? '',
      el('div', { class: 'muted' }, `≤ ${p.sink?.maxIntervalSeconds} s, ≤ ${p.sink?.batchSize} records`),
    ),
    el('td', { class: 'num accepted' }, fmt(stats.accepted)),
    el('td', { class: 'num in-kafka' }, fmt(stats.inKafka), kafkaNote),
    el('td', { class: 'num delivered' }, fmt(stats.delivered)),
    el('td', { class: 'num lag' }, fmt(stats.lag)),
  );
}

async function preview(key) {
  $('#preview-title').textContent = `loading ${key}…`;
  const res = await fetch(`/console/api/object?key=${encodeURIComponent(key)}`);
  const body = await res.json();
  if (!res.ok) {
    $('#preview-title').textContent = body.message;
    $('#preview').textContent = '';
    return;
  }
  $('#preview-title').textContent = `${key} — first ${body.lines.length} of ${body.totalLines} lines`;
  $('#preview').textContent = body.lines
    .map((l) => {
      try {
        return JSON.stringify(JSON.parse(l));
      } catch {
        return l;
      }
    })
    .join('\n');
}

async function refresh() {
  try {
    const res = await fetch('/console/api/overview', { cache: 'no-store' });
    const data = await res.json();
    if (!res.ok) throw new Error(data.message ?? `HTTP ${res.status}`);
    const body = $('#pipelines tbody');
    body.replaceChildren(
      ...(data.pipelines.length
        ? data.pipelines.map(pipelineRow)
        : [el('tr', {}, el('td', { colSpan: 7, class: 'muted' }, 'no pipelines yet: create one below'))]),
    );
    $('#bucket').textContent = data.bucket;
    const objects = $('#objects');
    objects.replaceChildren(
      ...(data.objects.length
        ? data.objects.map((o) =>
            el(
              'li',
              {},
              el('button', { type: 'button', 'data-key': o.key, onclick: () => preview(o.key) }, o.key),
              el('div', { class: 'muted' }, `${fmt(o.size)} bytes · ${new Date(o.modified).toLocaleTimeString()}`),
            ),
          )
        : [el('li', { class: 'muted' }, 'none yet')]),
    );
    if (!$('#clusterArn').value && data.defaults?.clusterArn) $('#clusterArn').value = data.defaults.clusterArn;
    $('#updated').textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    $('#load-error').textContent = '';
    document.body.dataset.loaded = 'true';
  } catch (err) {
    $('#load-error').textContent = `Could not load: ${err.message}`;
  }
}

$('#create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const f = new FormData(event.target);
  const request = {
    projectId: f.get('projectId'),
    appIds: String(f.get('appIds'))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    kafka: {
      type: 'msk',
      clusterArn: f.get('clusterArn'),
      ...(f.get('topic') ? { topic: f.get('topic') } : {}),
    },
    sink: {
      mode: f.get('mode'),
      maxIntervalSeconds: Number(f.get('maxIntervalSeconds')),
      batchSize: Number(f.get('batchSize')),
    },
  };
  const out = $('#create-result');
  out.className = '';
  out.textContent = 'creating…';
  const res = await fetch('/pipelines', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const body = await res.json().catch(() => ({}));
  if (res.ok) {
    out.textContent = `${res.status}: pipeline ${body.id} is ${body.status}; its workflow runs now.`;
  } else {
    out.className = 'error';
    out.textContent = `${res.status}: ${body.message ?? 'failed'}${(body.violations ?? body.errors ?? []).map((v) => `\n• ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('')}`;
  }
  refresh();
});

refresh();
setInterval(refresh, 2000);
