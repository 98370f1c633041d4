// First operator page: camera cards with live status, the latest crossing snapshot and per-line counts of the
// last 15 minutes, refreshed every 5 s. Plain DOM (textContent only, never innerHTML with data).
const REFRESH_MS = 5000;
const WINDOW_MINUTES = 15;

const STATE_LABELS = {
  online: 'Online / Trực tuyến',
  starting: 'Starting / Đang khởi động',
  reconnecting: 'Reconnecting / Đang kết nối lại',
  failed: 'Failed / Lỗi',
  disabled: 'Disabled / Đã tắt',
  unknown: 'No status / Chưa có trạng thái',
};
const CLASS_LABELS = { person: 'người', bicycle: 'xe đạp', car: 'ô tô', motorcycle: 'xe máy', bus: 'xe buýt', truck: 'xe tải' };

async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) {
    let msg = `${res.status}`;
    try {
      const body = await res.json();
      if (body && body.error) msg = `${body.error.code}: ${body.error.message}`;
    } catch {
      /* not JSON */
    }
    throw new Error(`${url} → ${msg}`);
  }
  return res.json();
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function fmtTime(iso) {
  return iso ? new Date(iso).toLocaleTimeString('vi-VN', { hour12: false }) : '—';
}

function statusBlock(status) {
  const state = status ? status.state : 'unknown';
  const meta = el('div', { class: 'meta' }, el('span', { class: `badge ${state}`, 'data-state': state }, STATE_LABELS[state] ?? state));
  if (status) {
    meta.append(
      ' ',
      `${status.inputFps.toFixed(1)} fps · dropped / bỏ qua ${status.droppedFrames} · reconnects / kết nối lại ${status.reconnects} · last frame / khung cuối ${fmtTime(status.lastFrameAt)}`,
    );
    if (status.reason && state !== 'online') meta.append(el('div', {}, `Reason / Lý do: ${status.reason}`));
  }
  return meta;
}

function snapshotBlock(crossing) {
  const box = el('div', { class: 'snap' });
  if (crossing && crossing.snapshotUrl) {
    box.append(el('img', { src: crossing.snapshotUrl, alt: `Latest crossing / Lượt qua gần nhất ${crossing.lineId} ${crossing.class}`, loading: 'lazy' }));
  } else {
    box.append(el('div', { class: 'none' }, 'No crossing yet / Chưa có lượt qua'));
  }
  const caption = crossing
    ? el('div', { class: 'caption muted' }, `Latest crossing / Lượt qua gần nhất: ${crossing.lineId} · ${crossing.class} (${CLASS_LABELS[crossing.class] ?? ''}) · ${crossing.direction} · ${fmtTime(crossing.at)}`)
    : el('div', { class: 'caption muted' }, '');
  return [box, caption];
}

function countsBlock(camera, rows) {
  const perLine = new Map(camera.lines.map((l) => [l.id, { name: l.name ?? l.id, forward: 0, backward: 0 }]));
  for (const r of rows) {
    const entry = perLine.get(r.lineId) ?? { name: r.lineId, forward: 0, backward: 0 };
    entry[r.direction] += r.count;
    perLine.set(r.lineId, entry);
  }
  const table = el(
    'table',
    { 'data-camera': camera.id },
    el('caption', {}, `Counts, last ${WINDOW_MINUTES} min / Lưu lượng ${WINDOW_MINUTES} phút qua`),
    el(
      'thead',
      {},
      el('tr', {}, el('th', {}, 'Line / Vạch'), el('th', { class: 'num' }, 'Forward / Chiều đi'), el('th', { class: 'num' }, 'Backward / Chiều về'), el('th', { class: 'num' }, 'Total / Tổng')),
    ),
  );
  const body = el('tbody');
  if (perLine.size === 0) body.append(el('tr', {}, el('td', { colspan: '4', class: 'muted' }, 'No counting lines / Chưa có vạch đếm')));
  for (const [id, v] of perLine) {
    body.append(el('tr', { 'data-line': id }, el('td', {}, v.name), el('td', { class: 'num' }, v.forward), el('td', { class: 'num' }, v.backward), el('td', { class: 'num total' }, v.forward + v.backward)));
  }
  table.append(body);
  return table;
}

async function cameraCard(camera, from, to) {
  const q = new URLSearchParams({ cameraId: camera.id, bucket: '1m', from, to });
  const [counts, latest] = await Promise.all([
    getJson(`/api/v1/counts?${q}`),
    getJson(`/api/v1/crossings?${new URLSearchParams({ cameraId: camera.id, limit: '1' })}`),
  ]);
  return el(
    'article',
    { class: 'card', 'data-camera': camera.id },
    el('h2', {}, `${camera.name} `, el('span', { class: 'muted' }, `(${camera.id})`)),
    statusBlock(camera.status),
    ...snapshotBlock(latest.items[0] ?? null),
    countsBlock(camera, counts.rows),
  );
}

async function refresh() {
  const errorBox = document.getElementById('error');
  try {
    const now = Date.now();
    const to = new Date(now + 60_000).toISOString();
    const from = new Date(Math.floor(now / 60_000) * 60_000 - (WINDOW_MINUTES - 1) * 60_000).toISOString();
    const { items } = await getJson('/api/v1/cameras');
    const cards = await Promise.all(items.map((c) => cameraCard(c, from, to)));
    document.getElementById('cameras').replaceChildren(...cards);
    document.getElementById('empty').hidden = items.length > 0;
    document.getElementById('updated').textContent = `Updated / Cập nhật: ${new Date().toLocaleTimeString('vi-VN', { hour12: false })}`;
    errorBox.hidden = true;
  } catch (err) {
    errorBox.textContent = `Cannot refresh / Không thể làm mới: ${err.message}`;
    errorBox.hidden = false;
  }
}

async function loop() {
  await refresh();
  setTimeout(loop, REFRESH_MS);
}
void loop();
