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

// Session: tokens from POST /auth/login kept in sessionStorage (gone when the tab closes); every call sends
// the access token, a 401 triggers one refresh, then the login form. A server started without auth never
// answers 401, and then no login is asked for.
const session = {
  get access() {
    return sessionStorage.getItem('iocv.access');
  },
  get refresh() {
    return sessionStorage.getItem('iocv.refresh');
  },
  save(pair) {
    sessionStorage.setItem('iocv.access', pair.accessToken);
    sessionStorage.setItem('iocv.refresh', pair.refreshToken);
    sessionStorage.setItem('iocv.user', `${pair.user.username} (${pair.user.role})`);
  },
  clear() {
    for (const k of ['iocv.access', 'iocv.refresh', 'iocv.user']) sessionStorage.removeItem(k);
  },
  get user() {
    return sessionStorage.getItem('iocv.user');
  },
};

class LoginRequired extends Error {}

async function send(url, init = {}) {
  const headers = { ...(init.headers ?? {}) };
  if (session.access) headers.authorization = `Bearer ${session.access}`;
  return fetch(url, { ...init, headers });
}

async function tryRefresh() {
  if (!session.refresh) return false;
  const res = await fetch('/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: session.refresh }) });
  if (!res.ok) {
    session.clear();
    return false;
  }
  session.save(await res.json());
  return true;
}

/** fetch with the session; one refresh on 401, else LoginRequired. */
async function authed(url, init = {}) {
  let res = await send(url, init);
  if (res.status === 401 && (await tryRefresh())) res = await send(url, init);
  if (res.status === 401) throw new LoginRequired();
  return res;
}

async function getJson(url) {
  const res = await authed(url, { headers: { accept: 'application/json' } });
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

// Snapshots need the Authorization header too, so they are fetched and shown as blob URLs (cached by URL).
const imageCache = new Map();
async function imageUrl(url) {
  const hit = imageCache.get(url);
  if (hit) return hit;
  const res = await authed(url);
  if (!res.ok) return null;
  const blobUrl = URL.createObjectURL(await res.blob());
  imageCache.set(url, blobUrl);
  return blobUrl;
}
function pruneImages(keep) {
  for (const [url, blobUrl] of imageCache) {
    if (!keep.has(url)) {
      URL.revokeObjectURL(blobUrl);
      imageCache.delete(url);
    }
  }
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

function snapshotBlock(crossing, src) {
  const box = el('div', { class: 'snap' });
  if (crossing && src) {
    box.append(el('img', { src, alt: `Latest crossing / Lượt qua gần nhất ${crossing.lineId} ${crossing.class}` }));
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

async function cameraCard(camera, from, to, shownImages) {
  const q = new URLSearchParams({ cameraId: camera.id, bucket: '1m', from, to });
  const [counts, latest] = await Promise.all([
    getJson(`/api/v1/counts?${q}`),
    getJson(`/api/v1/crossings?${new URLSearchParams({ cameraId: camera.id, limit: '1' })}`),
  ]);
  const crossing = latest.items[0] ?? null;
  let src = null;
  if (crossing && crossing.snapshotUrl) {
    shownImages.add(crossing.snapshotUrl);
    src = await imageUrl(crossing.snapshotUrl);
  }
  return el(
    'article',
    { class: 'card', 'data-camera': camera.id },
    el('h2', {}, `${camera.name} `, el('span', { class: 'muted' }, `(${camera.id})`)),
    statusBlock(camera.status),
    ...snapshotBlock(crossing, src),
    countsBlock(camera, counts.rows),
  );
}

function showLogin(show) {
  document.getElementById('login').hidden = !show;
  document.getElementById('board').hidden = show;
  document.getElementById('logout').hidden = show || !session.user;
  document.getElementById('who').textContent = show ? '' : (session.user ?? '');
  document.getElementById('queues').hidden = show || !(session.user ?? '').endsWith('(admin)');
}

// bull-board is a separate page: it gets the token through a short-lived HttpOnly cookie set by this call.
document.getElementById('queues').addEventListener('click', () => {
  void authed('/admin/queues-session', { method: 'POST' }).then((res) => {
    if (res.ok) window.open('/admin/queues', '_blank', 'noopener');
  });
});

async function refresh() {
  const errorBox = document.getElementById('error');
  try {
    const now = Date.now();
    const to = new Date(now + 60_000).toISOString();
    const from = new Date(Math.floor(now / 60_000) * 60_000 - (WINDOW_MINUTES - 1) * 60_000).toISOString();
    const { items } = await getJson('/api/v1/cameras');
    for (const c of items) cameraNames.set(c.id, c.name);
    const shownImages = new Set();
    const cards = await Promise.all(items.map((c) => cameraCard(c, from, to, shownImages)));
    pruneImages(shownImages);
    showLogin(false);
    startIncidentFeed();
    document.getElementById('cameras').replaceChildren(...cards);
    document.getElementById('empty').hidden = items.length > 0;
    document.getElementById('updated').textContent = `Updated / Cập nhật: ${new Date().toLocaleTimeString('vi-VN', { hour12: false })}`;
    errorBox.hidden = true;
  } catch (err) {
    if (err instanceof LoginRequired) {
      showLogin(true);
      document.getElementById('updated').textContent = '';
      return;
    }
    errorBox.textContent = `Cannot refresh / Không thể làm mới: ${err.message}`;
    errorBox.hidden = false;
  }
}

document.getElementById('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  const box = document.getElementById('login-error');
  fetch('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: form.get('username'), password: form.get('password') }) })
    .then(async (res) => {
      if (!res.ok) {
        box.textContent = 'Wrong user name or password / Sai tên đăng nhập hoặc mật khẩu';
        box.hidden = false;
        return;
      }
      session.save(await res.json());
      box.hidden = true;
      ev.target.reset();
      await refresh();
    })
    .catch((err) => {
      box.textContent = err.message;
      box.hidden = false;
    });
});

document.getElementById('logout').addEventListener('click', () => {
  void send('/auth/logout', { method: 'POST' }).finally(() => {
    session.clear();
    stopIncidentFeed();
    pruneImages(new Set());
    showLogin(true);
  });
});

// ---- Incidents: the open and acknowledged ones, kept live by the SSE feed (read with fetch so the token
// travels in a header, never in a URL), resumed after a drop from the last event id.
const cameraNames = new Map();
const TYPE_LABELS = {
  zone_intrusion: 'Zone intrusion / Xâm nhập khu vực',
  loitering: 'Loitering / Lảng vảng',
  crowding: 'Crowding / Tụ tập đông người',
  camera_offline: 'Camera offline / Mất kết nối camera',
  camera_online: 'Camera back online / Camera kết nối lại',
};
const INCIDENT_STATE_LABELS = { open: 'Open / Mới', acknowledged: 'Acknowledged / Đã xác nhận', resolved: 'Resolved / Đã giải quyết' };
const STATE_RANK = { open: 0, acknowledged: 1, resolved: 2 };
const incidents = new Map();
let feed = null;
let lastEventId = null;

/** Keeps the newer of two versions of an incident (the list and the feed may race). */
function newer(a, b) {
  if (!a) return b;
  const ka = [STATE_RANK[a.state], a.lastSeenAt, a.occurrences];
  const kb = [STATE_RANK[b.state], b.lastSeenAt, b.occurrences];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return kb[i] > ka[i] ? b : a;
  return b;
}

function applyIncident(inc) {
  const cur = newer(incidents.get(inc.id), inc);
  if (cur.state === 'resolved') incidents.delete(inc.id);
  else incidents.set(inc.id, cur);
}

async function act(id, action) {
  const box = document.getElementById('incident-error');
  try {
    const res = await authed(`/api/v1/incidents/${encodeURIComponent(id)}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ? body.error.message : String(res.status));
    applyIncident(body);
    box.hidden = true;
    await renderIncidents();
  } catch (err) {
    box.textContent = `${action}: ${err.message}`;
    box.hidden = false;
  }
}

async function renderIncidents() {
  const list = [...incidents.values()].sort((a, b) => (a.openedAt < b.openedAt ? 1 : -1));
  const items = await Promise.all(
    list.map(async (i) => {
      const li = el(
        'li',
        { class: `incident ${i.severity}`, 'data-incident': i.id, 'data-state': i.state },
        el('div', { class: 'title' }, `${TYPE_LABELS[i.type] ?? i.type} · ${cameraNames.get(i.cameraId) ?? i.cameraId}${i.zoneId ? ` · ${i.zoneId}` : ''}`),
        el('div', { class: 'when muted' }, `${fmtTime(i.openedAt)}${i.occurrences > 1 ? ` · ×${i.occurrences}` : ''}`),
        el('div', { class: 'state' }, INCIDENT_STATE_LABELS[i.state] ?? i.state, i.acknowledgedBy ? ` · ${i.acknowledgedBy}` : ''),
      );
      if (i.snapshotUrl) {
        const src = await imageUrl(i.snapshotUrl).catch(() => null);
        if (src) li.append(el('img', { src, alt: TYPE_LABELS[i.type] ?? i.type }));
      }
      const actions = el('div', { class: 'actions' });
      if (i.state === 'open') {
        const ack = el('button', { type: 'button', class: 'ack' }, 'Acknowledge / Xác nhận');
        ack.addEventListener('click', () => void act(i.id, 'acknowledge'));
        actions.append(ack);
      }
      const resolve = el('button', { type: 'button', class: 'resolve' }, 'Resolve / Giải quyết');
      resolve.addEventListener('click', () => void act(i.id, 'resolve'));
      actions.append(resolve);
      li.append(actions);
      return li;
    }),
  );
  document.getElementById('incident-list').replaceChildren(...items);
  const open = list.filter((i) => i.state === 'open').length;
  document.getElementById('incident-count').textContent = String(open);
  document.getElementById('no-incidents').hidden = list.length > 0;
}

function handleBlock(block) {
  let id = null;
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('id:')) id = line.slice(3).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (id !== null) lastEventId = id;
  if (!data) return false;
  applyIncident(JSON.parse(data).incident);
  return true;
}

async function readFeed(signal) {
  const headers = { accept: 'text/event-stream' };
  if (lastEventId !== null) headers['last-event-id'] = lastEventId;
  const res = await authed('/api/v1/incidents/stream', { headers, signal });
  if (!res.ok) throw new Error(`stream ${res.status}`);
  document.getElementById('feed-state').textContent = 'Live / Trực tiếp';
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let changed = false;
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      changed = handleBlock(buf.slice(0, i)) || changed;
      buf = buf.slice(i + 2);
    }
    if (changed) await renderIncidents();
  }
}

function startIncidentFeed() {
  if (feed) return;
  const ctl = new AbortController();
  feed = ctl;
  void (async () => {
    // The stream first, then the list: nothing that happens in between can be missed.
    const streaming = (async () => {
      while (!ctl.signal.aborted) {
        try {
          await readFeed(ctl.signal);
        } catch (err) {
          if (ctl.signal.aborted) return;
          if (err instanceof LoginRequired) {
            stopIncidentFeed(); // the next refresh shows the login form; logging in starts the feed again
            return;
          }
        }
        document.getElementById('feed-state').textContent = 'Reconnecting… / Đang kết nối lại…';
        await new Promise((r) => setTimeout(r, 2000));
      }
    })();
    try {
      const res = await authed('/api/v1/incidents?state=open,acknowledged&limit=100');
      if (res.status === 404 || res.status === 403) {
        ctl.abort();
        return; // no incident routes on this server, or not for this role
      }
      const body = await res.json();
      for (const inc of body.items ?? []) applyIncident(inc);
      document.getElementById('incidents').hidden = false;
      await renderIncidents();
    } catch {
      /* the next refresh shows the error */
    }
    await streaming;
  })();
}

function stopIncidentFeed() {
  if (feed) feed.abort();
  feed = null;
  lastEventId = null;
  incidents.clear();
  document.getElementById('incidents').hidden = true;
}

async function loop() {
  await refresh();
  setTimeout(loop, REFRESH_MS);
}
void loop();
