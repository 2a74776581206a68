// Sabre live dashboard: plain browser JS, no build step. Subscribes to
// /ws/stats (one StatsSnapshot per second), keeps a few minutes of history
// and renders it with uPlot (served from node_modules/uplot, no CDN).
// Every number the tests read carries a data-testid and its raw value in
// data-value; #app[data-updates] counts the snapshots rendered and
// #app[data-push] is the push they came in (server.push: /api/stats?push=N
// returns that snapshot). The uPlot instances are on window.sabreCharts.
(function () {
  'use strict';

  const HISTORY = 300; // points kept (5 min at 1/s)
  const STAGES = ['queue', 'process', 'emit', 'early', 'output'];
  const GC_KINDS = ['minor', 'major', 'incremental', 'weakcb'];
  const COLORS = ['#4fb3ff', '#4cd08a', '#f2b84b', '#ff6b6b', '#b98cff', '#5ee0d6', '#ff9f5a', '#e37bd1', '#9ccc65', '#90a4ae'];
  const PAUSE_LABELS = ['.1', '.25', '.5', '1', '2.5', '5', '10', '25', '50', '100', '∞'];
  // snapshot.ingest (src/metrics/stats-snapshot.ts): [group, endpoint, [[field, label], …]].
  const INGEST = [
    ['http', 'POST /ingest', [['requests', 'requests'], ['accepted202', '202'], ['badRequest400', '400'], ['unauthorized401', '401'], ['forbidden403', '403'], ['tooLarge413', '413'],
      ['unsupported415', '415'], ['unavailable503', '503'], ['recordsNotAccepted', 'records not accepted'], ['aborted', 'aborted'], ['waiting', 'waiting']]],
    ['ws', '/ws/ingest', [['clients', 'clients'], ['frames', 'frames'], ['queuedFrames', 'queued'], ['creditViolations', 'closed 4008'], ['tooLarge1009', 'closed 1009'],
      ['unauthorized401', 'refused 401'], ['forbidden403', 'refused 403'], ['unavailable503', 'refused 503']]],
    ['results', '/ws/results', [['clients', 'clients'], ['framesSent', 'frames sent'], ['resultsSent', 'results sent'],
      ['slowDisconnects', 'closed 4009'], ['unauthorized401', 'refused 401'], ['forbidden403', 'refused 403'], ['unavailable503', 'refused 503']]],
  ];

  const $ = (id) => document.getElementById(id);
  const app = $('app');
  let updates = 0;
  let last = null;

  const hist = { t: [], in: [], proc: [], out: [], lat: {}, gcThreads: [], gc: [] };
  for (const s of STAGES) hist.lat[s] = { p50: [], p99: [], p999: [], max: [] };

  // ---------- formatting ----------
  const nf = new Intl.NumberFormat('en-US');
  const fmtInt = (n) => nf.format(Math.round(n));
  const fmtRate = (n) => (n >= 1e6 ? (n / 1e6).toFixed(2) + ' M/s' : n >= 1e4 ? (n / 1e3).toFixed(1) + ' k/s' : fmtInt(n) + ' /s');
  function fmtMs(ms) {
    if (!Number.isFinite(ms)) return '–';
    if (ms === 0) return '0';
    if (ms < 0.01) return ms.toFixed(4);
    if (ms < 1) return ms.toFixed(3);
    if (ms < 100) return ms.toFixed(2);
    return fmtInt(ms);
  }
  const usToMs = (us) => us / 1000;
  function fmtBytes(b) {
    if (b == null) return '–';
    if (b >= 1 << 30) return (b / (1 << 30)).toFixed(2) + ' GiB';
    if (b >= 1 << 20) return (b / (1 << 20)).toFixed(1) + ' MiB';
    return (b / 1024).toFixed(0) + ' KiB';
  }
  function fmtUptime(s) {
    s = Math.floor(s);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h > 0 ? `${h}h ${m}m ${sec}s` : m > 0 ? `${m}m ${sec}s` : `${sec} s`;
  }
  function setNum(testid, value, text) {
    const el = document.querySelector(`[data-testid="${testid}"]`);
    if (!el) return;
    el.dataset.value = String(value);
    el.textContent = text;
  }
  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  function push(arr, v) {
    arr.push(v);
    if (arr.length > HISTORY) arr.shift();
  }

  // ---------- charts ----------
  const axisStyle = { stroke: '#8394a6', grid: { stroke: '#222b35', width: 1 }, ticks: { stroke: '#26303b', width: 1 } };

  function makeChart(container, series, opts) {
    const width = Math.max(320, container.clientWidth);
    const u = new uPlot({
      width, height: 220,
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: s.color || COLORS[i % COLORS.length], width: 1.6, spanGaps: true, points: { show: false } }))],
      axes: [{ ...axisStyle }, { ...axisStyle, size: 60, values: opts && opts.values }],
      scales: { x: { time: true }, y: opts && opts.log ? { distr: 3 } : { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    }, [[], ...series.map(() => [])], container);
    new ResizeObserver(() => u.setSize({ width: Math.max(320, container.clientWidth), height: 220 })).observe(container);
    return u;
  }

  const throughput = makeChart($('chart-throughput'), [
    { label: 'in /s' }, { label: 'processed /s' }, { label: 'results /s' },
  ], { values: (u, v) => v.map((x) => (x >= 1e6 ? x / 1e6 + 'M' : x >= 1e3 ? x / 1e3 + 'k' : x)) });
  const latency = makeChart($('chart-latency'), [
    { label: 'p50' }, { label: 'p99' }, { label: 'p99.9' }, { label: 'max' },
  ], { log: true, values: (u, v) => v.map((x) => fmtMs(x)) });
  let gcChart = null;
  window.sabreCharts = { throughput, latency, get gc() { return gcChart; } };
  const stageSelect = $('stage-select');
  stageSelect.addEventListener('change', () => drawLatency());

  function drawLatency() {
    const h = hist.lat[stageSelect.value];
    latency.setData([hist.t.slice(), h.p50.slice(), h.p99.slice(), h.p999.slice(), h.max.slice()]);
  }

  // ---------- rendering ----------
  function render(s) {
    const t = s.time / 1000;
    push(hist.t, t);
    push(hist.in, s.rates.recordsIn);
    push(hist.proc, s.rates.recordsProcessed);
    push(hist.out, s.rates.resultsOut);
    for (const st of STAGES) {
      const q = s.latency.stages[st].interval;
      const v = (x) => (q.count > 0 && x > 0 ? usToMs(x) : null); // log scale: no zeros
      push(hist.lat[st].p50, v(q.p50));
      push(hist.lat[st].p99, v(q.p99));
      push(hist.lat[st].p999, v(q.p999));
      push(hist.lat[st].max, v(q.max));
    }
    renderGcChart(s, t);

    // header
    const conn = $('conn');
    const uws = $('uws');
    uws.textContent = `uWS: ${s.uws.implementation}`;
    uws.dataset.value = s.uws.implementation;
    uws.className = `pill ${s.uws.implementation}`;
    uws.title = `${s.uws.binary} — ${s.uws.detail}`;
    $('uptime').textContent = `up ${fmtUptime(s.uptimeSeconds)}`;
    conn.textContent = 'live';
    conn.dataset.state = 'open';

    // KPIs
    const T = s.totals, R = s.rates;
    setNum('records-in', T.recordsIn, fmtInt(T.recordsIn));
    setNum('records-processed', T.recordsProcessed, fmtInt(T.recordsProcessed));
    setNum('results-out', T.resultsOut, fmtInt(T.resultsOut));
    setNum('late', T.late, fmtInt(T.late));
    setNum('dead-letter', T.deadLetter, fmtInt(T.deadLetter));
    setNum('rejected', T.rejected, fmtInt(T.rejected));
    setNum('records-in-rate', R.recordsIn, fmtRate(R.recordsIn));
    setNum('records-processed-rate', R.recordsProcessed, fmtRate(R.recordsProcessed));
    setNum('results-out-rate', R.resultsOut, fmtRate(R.resultsOut));
    setNum('late-rate', R.late, fmtRate(R.late));
    if (s.eventLoop) {
      setNum('eld-p99', s.eventLoop.p99Ms, `${fmtMs(s.eventLoop.p99Ms)} ms`);
      setNum('elu', s.eventLoop.utilization, `utilisation ${(s.eventLoop.utilization * 100).toFixed(1)} %`);
    }

    throughput.setData([hist.t.slice(), hist.in.slice(), hist.proc.slice(), hist.out.slice()]);
    drawLatency();
    renderLatencyTable(s);
    renderGcTable(s);
    renderGcHistograms(s);
    renderRings(s);
    renderWorkers(s);
    renderSources(s);
    renderIngest(s);
    renderJob(s);
    renderMember(s);
    const sv = s.server;
    $('ws-info').textContent = sv ? `WebSocket: ${sv.wsClients} client(s), ${fmtInt(sv.wsFramesSent)} frames sent, ${fmtInt(sv.wsFramesSkipped)} skipped (slow clients)` : '';
    app.dataset.push = String(sv ? sv.push : 0);
    app.dataset.snapshotTime = String(s.time);
    last = s;
  }

  function renderGcChart(s, t) {
    const names = s.gc.threads.map((x) => x.thread);
    if (!gcChart || names.join() !== hist.gcThreads.join()) {
      hist.gcThreads = names;
      hist.gc = names.map(() => hist.t.map(() => null));
      $('chart-gc').textContent = '';
      gcChart = makeChart($('chart-gc'), names.map((n) => ({ label: n })), { values: (u, v) => v.map((x) => fmtMs(x)) });
    }
    s.gc.threads.forEach((th, i) => {
      const prev = last && last.gc.threads.find((x) => x.thread === th.thread);
      push(hist.gc[i], prev ? Math.max(0, th.totalMs - prev.totalMs) : 0);
    });
    // Keep every series as long as the time axis.
    for (const arr of hist.gc) while (arr.length > hist.t.length) arr.shift();
    gcChart.setData([hist.t.slice(), ...hist.gc.map((a) => a.slice())]);
  }

  function latencyRow(body, stage, worker, q, cls) {
    const tr = el('tr', { 'data-testid': `latency-${stage}-${worker}`, class: cls || '' });
    tr.append(el('td', null, stage), el('td', null, String(worker)), el('td', null, fmtInt(q.count)));
    for (const k of ['p50', 'p90', 'p99', 'p999', 'max']) {
      tr.append(el('td', { 'data-testid': `latency-${stage}-${worker}-${k}`, 'data-value': String(q[k]) }, q.count ? fmtMs(usToMs(q[k])) : '–'));
    }
    body.append(tr);
  }

  function renderLatencyTable(s) {
    const body = $('latency-body');
    body.textContent = '';
    for (const st of STAGES) {
      const l = s.latency.stages[st];
      latencyRow(body, st, 'all', l.all, 'all');
      l.workers.forEach((q, w) => { if (q.count > 0) latencyRow(body, st, w, q); });
    }
  }

  function renderGcTable(s) {
    const body = $('gc-body');
    body.textContent = '';
    for (const th of s.gc.threads) {
      const tr = el('tr', { 'data-testid': `gc-${th.thread}`, 'data-value': String(th.count) });
      tr.append(el('td', null, th.thread));
      let p99 = 0, max = 0;
      for (const k of GC_KINDS) {
        const kk = th.kinds[k];
        tr.append(el('td', { 'data-testid': `gc-${th.thread}-${k}`, 'data-value': String(kk.count) }, kk.count ? `${fmtInt(kk.count)} · ${fmtMs(kk.totalMs)}ms` : '0'));
        p99 = Math.max(p99, kk.pauseMs.p99);
        max = Math.max(max, kk.pauseMs.max);
      }
      tr.append(el('td', { 'data-testid': `gc-${th.thread}-total`, 'data-value': String(th.totalMs) }, fmtMs(th.totalMs)),
        el('td', null, fmtMs(p99)), el('td', null, fmtMs(max)), el('td', null, fmtBytes(th.heap && th.heap.usedBytes)));
      body.append(tr);
    }
  }

  function renderGcHistograms(s) {
    const root = $('gc-hist');
    root.textContent = '';
    for (const th of s.gc.threads) {
      const box = el('div', { class: 'gc-thread', 'data-testid': `gc-hist-${th.thread}` });
      box.append(el('h3', { 'data-testid': `gc-${th.thread}-count`, 'data-value': String(th.count) }, `${th.thread} — ${fmtInt(th.count)} pauses`));
      const cols = el('div', { class: 'cols' });
      const peak = Math.max(1, ...th.pauseBuckets);
      th.pauseBuckets.forEach((c, i) => {
        const h = c === 0 ? 2 : Math.max(4, Math.round((Math.log1p(c) / Math.log1p(peak)) * 88));
        const col = el('div', { class: c === 0 ? 'col zero' : 'col', title: `≤ ${PAUSE_LABELS[i]} ms: ${c}` });
        col.style.height = `${h}px`;
        cols.append(col);
      });
      const ticks = el('div', { class: 'ticks' });
      for (const l of PAUSE_LABELS) ticks.append(el('span', null, l));
      box.append(cols, ticks);
      root.append(box);
    }
  }

  function renderRings(s) {
    const root = $('rings');
    root.textContent = '';
    for (const p of s.partitions) {
      const pct = Math.round(p.ringOccupancy * 1000) / 10;
      const row = el('div', { class: 'bar', 'data-testid': `ring-${p.partition}`, 'data-value': String(p.ringOccupancy) });
      const track = el('div', { class: 'track' });
      const fill = el('div', { class: p.ringOccupancy >= 0.95 ? 'fill full' : p.ringOccupancy >= 0.6 ? 'fill hot' : 'fill' });
      fill.style.width = `${pct}%`;
      track.append(fill);
      row.append(el('span', null, `p${p.partition}`), track, el('span', { class: 'pct' }, `${pct.toFixed(1)}%`));
      root.append(row);
    }
  }

  function renderWorkers(s) {
    const body = $('workers-body');
    body.textContent = '';
    for (const w of s.workers) {
      const tr = el('tr', { 'data-testid': `worker-${w.worker}` });
      tr.append(el('td', null, String(w.worker)), el('td', null, fmtInt(w.resultsOut)), el('td', null, fmtInt(w.late)),
        el('td', { 'data-testid': `worker-${w.worker}-lag`, 'data-value': String(w.watermarkLagSeconds) },
          w.watermarkLagSeconds === null ? '–' : w.watermarkLagSeconds.toFixed(3)),
        el('td', null, fmtBytes(w.heap && w.heap.usedBytes)));
      body.append(tr);
    }
  }

  function renderSources(s) {
    const body = $('sources-body');
    body.textContent = '';
    if (s.sources.length === 0) {
      const tr = el('tr');
      tr.append(el('td', { colspan: '4', class: 'empty' }, 'no sources'));
      body.append(tr);
    }
    for (const x of s.sources) {
      const tr = el('tr', { 'data-testid': `source-${x.name}` });
      // readsWith: how the source reads (the Kafka source: which record batch decoder is in use).
      const name = x.readsWith ? el('td', { title: x.readsWith }, `${x.name} (${x.readsWith})`) : el('td', null, x.name);
      tr.append(name, el('td', null, fmtInt(x.records)),
        el('td', { 'data-testid': `source-${x.name}-pauses`, 'data-value': String(x.pauses) }, fmtInt(x.pauses)),
        el('td', { 'data-testid': `source-${x.name}-paused`, 'data-value': String(x.pausedSeconds) }, x.pausedSeconds.toFixed(3)));
      body.append(tr);
    }
  }

  // A job module's run (--job): its pipeline, what each stage passed on, and what each of its sinks got.
  function renderJob(s) {
    const card = $('job-card');
    card.hidden = !s.job;
    if (!s.job) return;
    const j = s.job;
    $('job-pipeline').textContent = j.pipeline;
    const stages = $('job-stages-body');
    stages.textContent = '';
    j.stages.forEach((x, i) => {
      // Stage i of the job (stats order): a filter's row shows what it kept, the keyed stage's its window results or process outputs.
      const tr = el('tr', { 'data-testid': `job-stage-${i}` });
      tr.append(el('td', null, String(x.branch + 1)), el('td', null, x.stage), el('td', { title: x.where }, x.where.slice(x.where.lastIndexOf('/') + 1)),
        el('td', { 'data-testid': `job-stage-${i}-out`, 'data-value': String(x.out) }, fmtInt(x.out)));
      stages.append(tr);
    });
    const body = $('job-sinks-body');
    body.textContent = '';
    for (const k of j.sinks) {
      const name = k.name === '' ? 'default' : k.name;
      const tr = el('tr', { 'data-testid': `job-sink-${name}` });
      tr.append(el('td', null, name), el('td', null, k.target),
        el('td', { 'data-testid': `job-sink-${name}-outputs`, 'data-value': String(k.outputs) }, fmtInt(k.outputs)));
      body.append(tr);
    }
    const ue = $('job-user-errors');
    ue.dataset.value = String(j.userFunctionDeadLetters);
    ue.textContent = `${fmtInt(j.userFunctionDeadLetters)} record(s) dead-lettered by a throwing job function`;
    const le = $('job-lookup-errors');
    le.dataset.value = String(j.lookupReloadErrors);
    le.textContent = `${fmtInt(j.lookupReloadErrors)} lookup table reload(s) failed (the previous table kept)`;
  }

  // Partitions as a compact list: 0-2,5.
  function partitionList(ps) {
    if (ps.length === 0) return '–';
    const parts = [];
    for (let i = 0; i < ps.length;) {
      let j = i;
      while (j + 1 < ps.length && ps[j + 1] === ps[j] + 1) j++;
      parts.push(j === i ? String(ps[i]) : `${ps[i]}-${ps[j]}`);
      i = j + 1;
    }
    return parts.join(',');
  }

  // A member of a scaled-out job (--changelog): its partitions, the group's members, restores, changelog and transactions.
  function renderMember(s) {
    const card = $('member-card');
    card.hidden = !s.member;
    if (!s.member) return;
    const m = s.member;
    $('member-id').textContent = `${m.memberId ?? 'joining'} · group ${m.group} · ${m.topic} → changelog ${m.changelogTopic}`;
    const last = m.restores.recent.length > 0 ? m.restores.recent[m.restores.recent.length - 1] : null;
    const figs = [
      ['member-assigned', m.assigned.join(','), partitionList(m.assigned)],
      ['member-generation', String(m.generation), fmtInt(m.generation)],
      ['member-restores', String(m.restores.count), fmtInt(m.restores.count)],
      ['member-last-restore-ms', String(last ? last.readMs + last.rewindMs : 0), last ? fmtMs(last.readMs + last.rewindMs) : '–'],
      ['member-last-restore-bytes', String(last ? last.bytes : 0), last ? fmtInt(last.bytes) : '–'],
      ['member-changelog-bytes', String(m.changelog.bytes), fmtInt(m.changelog.bytes)],
      ['member-commits', String(m.transactions.commits), fmtInt(m.transactions.commits)],
      ['member-aborts', String(m.transactions.aborts), fmtInt(m.transactions.aborts)],
    ];
    for (const [id, value, text] of figs) {
      const e = $(id);
      e.dataset.value = value;
      e.textContent = text;
    }
    const body = $('member-members-body');
    body.textContent = '';
    for (const x of m.members) {
      const tr = el('tr', { 'data-testid': `member-row-${x.memberId}`, 'data-partitions': x.partitions.join(',') });
      tr.append(el('td', null, x.memberId === m.memberId ? `${x.memberId} (this)` : x.memberId), el('td', null, x.clientId),
        el('td', null, x.host), el('td', null, partitionList(x.partitions)));
      body.append(tr);
    }
    const at = $('member-members-at');
    at.dataset.value = String(m.membersAt ?? '');
    at.textContent = (m.membersAt === null ? 'group not described yet' : `group as of ${new Date(m.membersAt).toLocaleTimeString()}`)
      + (m.membersError ? ` (last describe failed: ${m.membersError})` : '');
  }

  function renderIngest(s) {
    const card = $('ingest-card');
    card.hidden = !s.ingest;
    if (!s.ingest) return;
    const body = $('ingest-body');
    body.textContent = '';
    for (const [group, endpoint, fields] of INGEST) {
      const g = s.ingest[group];
      const tr = el('tr', { 'data-testid': `ingest-${group}` });
      const td = el('td', { class: 'figures' });
      for (const [k, label] of fields) {
        const fig = el('span', { class: 'fig', 'data-testid': `ingest-${group}-${k}`, 'data-value': String(g[k]) });
        fig.append(el('b', null, fmtInt(g[k])), document.createTextNode(label));
        td.append(fig);
      }
      tr.append(el('td', null, endpoint), td);
      body.append(tr);
    }
  }

  // ---------- connection ----------
  let backoff = 500;
  function connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/ws/stats`);
    const conn = $('conn');
    ws.onopen = () => { backoff = 500; conn.textContent = 'live'; conn.dataset.state = 'open'; };
    ws.onmessage = (ev) => {
      let s;
      try { s = JSON.parse(ev.data); } catch { return; }
      render(s);
      updates++;
      app.dataset.updates = String(updates);
      $('updates').textContent = `${updates} updates`;
    };
    ws.onclose = () => {
      conn.textContent = 'disconnected — retrying';
      conn.dataset.state = 'closed';
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }
  connect();
})();
