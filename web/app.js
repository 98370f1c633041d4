// Operator page: camera cards (live status, the latest annotated snapshot, per-line counts of the last 15 minutes,
// refreshed every 5 s) and the live incident feed (SSE) with acknowledge / resolve. Vietnamese by default, English
// on the header toggle; every label comes from web/i18n.js. Plain DOM: textContent only, never innerHTML with data.
import { DEFAULT_LANG, I18N } from './i18n.js';

const REFRESH_MS = 5000;
const WINDOW_MINUTES = 15;
const LANG_KEY = 'iocv.lang';
const DOWN_STATES = new Set(['starting', 'reconnecting', 'failed', 'disabled', 'unknown']);

// ---- Language ----------------------------------------------------------------------------------------------------

function storedLang() {
  try {
    const v = window.localStorage.getItem(LANG_KEY);
    return v && Object.hasOwn(I18N, v) ? v : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG; // storage blocked: the default, every time
  }
}

let lang = storedLang();

function lookup(dict, key) {
  let v = dict;
  for (const part of key.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, part)) return undefined;
    v = v[part];
  }
  return typeof v === 'string' ? v : undefined;
}

/** The label `key` in the current language, `{name}` filled from vars. */
function t(key, vars) {
  const s = lookup(I18N[lang], key) ?? lookup(I18N[DEFAULT_LANG], key) ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (Object.hasOwn(vars, k) ? String(vars[k]) : m)) : s;
}

/** A value of a closed set (state, type, class, ...): its label, or the raw value when the page does not know it. */
function label(group, value) {
  return lookup(I18N[lang], `${group}.${value}`) ?? String(value);
}

const formats = new Map();
function format(kind, options) {
  const key = `${lang}:${kind}`;
  let f = formats.get(key);
  if (!f) {
    f = kind === 'number' || kind === 'fps' ? new Intl.NumberFormat(I18N[lang].locale, options) : new Intl.DateTimeFormat(I18N[lang].locale, options);
    formats.set(key, f);
  }
  return f;
}
const TIME = { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
const num = (n) => format('number', { maximumFractionDigits: 0 }).format(n);
const fps = (n) => format('fps', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(n);
const clockTime = (ms) => format('time', TIME).format(ms);
const longDate = (ms) => format('date', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(ms);

/** A time of day; with the date when it is not today. */
function when(msOrIso) {
  if (msOrIso === null || msOrIso === undefined) return '—';
  const ms = typeof msOrIso === 'number' ? msOrIso : Date.parse(msOrIso);
  if (new Date(ms).toDateString() === new Date().toDateString()) return clockTime(ms);
  return format('datetime', { day: '2-digit', month: '2-digit', ...TIME }).format(ms);
}

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 5) return t('time.justNow');
  if (s < 60) return t('time.seconds', { n: num(s) });
  if (s < 3600) return t('time.minutes', { n: num(Math.floor(s / 60)) });
  if (s < 86_400) return t('time.hours', { n: num(Math.floor(s / 3600)) });
  return t('time.days', { n: num(Math.floor(s / 86_400)) });
}

/** A span that keeps saying how long ago `ms` was (updated by the clock tick). */
function agoEl(ms, cls = 'ago') {
  return el('span', { class: cls, 'data-ago': String(ms) }, ago(ms));
}

function applyStaticLabels() {
  document.documentElement.lang = lang;
  document.title = t('page.title');
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll('[data-i18n-aria]')) e.setAttribute('aria-label', t(e.dataset.i18nAria));
  for (const b of document.querySelectorAll('.lang button')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
  if (feedState) setFeedState(feedState);
}

function setLang(next) {
  if (!Object.hasOwn(I18N, next) || next === lang) return;
  lang = next;
  try {
    window.localStorage.setItem(LANG_KEY, next);
  } catch {
    /* not remembered; still switched */
  }
  applyStaticLabels();
  document.getElementById('announcer').textContent = ''; // said once, in the language of its time
  tick();
  renderSummary();
  void renderCameras();
  void renderIncidents();
  showWho();
  if (loginError) showLoginError(...loginError);
  if (refreshError) showRefreshError(refreshError);
}

for (const b of document.querySelectorAll('.lang button')) b.addEventListener('click', () => setLang(b.dataset.lang));

// ---- Session: tokens from POST /auth/login kept in sessionStorage (gone when the tab closes); every call sends
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
    sessionStorage.setItem('iocv.user', pair.user.username);
    sessionStorage.setItem('iocv.role', pair.user.role);
  },
  clear() {
    for (const k of ['iocv.access', 'iocv.refresh', 'iocv.user', 'iocv.role']) sessionStorage.removeItem(k);
  },
  get user() {
    return sessionStorage.getItem('iocv.user');
  },
  get role() {
    return sessionStorage.getItem('iocv.role');
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

async function errorText(res) {
  try {
    const body = await res.json();
    if (body && body.error) return `${body.error.code}: ${body.error.message}`;
  } catch {
    /* not JSON */
  }
  return String(res.status);
}

async function getJson(url) {
  const res = await authed(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url} → ${await errorText(res)}`);
  return res.json();
}

/** Like getJson, but null when the role may not read it (403): that part of the page is left out. */
async function getPermitted(url) {
  const res = await authed(url, { headers: { accept: 'application/json' } });
  if (res.status === 403) return null;
  if (!res.ok) throw new Error(`${url} → ${await errorText(res)}`);
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
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// ---- Large picture viewer (one <dialog> for camera and incident snapshots) ---------------------------------------

const viewer = document.getElementById('viewer');
function openViewer(src, caption) {
  document.getElementById('viewer-img').src = src;
  document.getElementById('viewer-img').alt = caption;
  document.getElementById('viewer-caption').textContent = caption;
  if (!viewer.open) viewer.showModal();
}
viewer.addEventListener('click', (ev) => {
  if (ev.target === viewer) viewer.close(); // a click on the backdrop
});

/** A thumbnail that opens large: a button (keyboard reachable) holding the <img>. */
function zoomable(src, alt, caption, cls) {
  const img = el('img', { src, alt, decoding: 'async' });
  const btn = el('button', { type: 'button', class: cls, title: t('cameras.openLarge') }, img);
  btn.addEventListener('click', () => openViewer(src, caption));
  return btn;
}

// ---- Header: clock, last update, summary --------------------------------------------------------------------------

let lastUpdated = null;
let refreshFailed = false;

function tick() {
  const now = Date.now();
  const clock = document.getElementById('clock');
  clock.textContent = clockTime(now);
  clock.title = longDate(now);
  clock.dateTime = new Date(now).toISOString();
  for (const e of document.querySelectorAll('[data-ago]')) e.textContent = ago(Number(e.dataset.ago));
  const updated = document.getElementById('updated');
  if (lastUpdated !== null) updated.textContent = t(refreshFailed ? 'page.stale' : 'page.updated', { time: clockTime(lastUpdated) });
  else updated.textContent = loginShown ? '' : t('page.loading');
  updated.classList.toggle('stale', lastUpdated !== null && refreshFailed);
}
window.setInterval(tick, 1000);

let cameras = []; // [{ camera, rows, crossing, crossingSrc, error }]
const cameraNames = new Map();
const zoneNames = new Map(); // `${cameraId}\n${zoneId}` → zone name

function renderSummary() {
  const box = document.getElementById('summary');
  if (cameras.length === 0) {
    box.hidden = true;
    return;
  }
  const down = cameras.filter((c) => DOWN_STATES.has(stateOf(c.camera))).length;
  document.getElementById('sum-cameras').textContent = t('summary.cameras', { n: num(cameras.length) });
  document.getElementById('sum-online').textContent = t('summary.online', { n: num(cameras.length - down) });
  const downEl = document.getElementById('sum-down');
  downEl.textContent = t('summary.down', { n: num(down) });
  downEl.hidden = down === 0;
  box.hidden = false;
}

// ---- Camera cards ---------------------------------------------------------------------------------------------------

function stateOf(camera) {
  if (!camera.enabled) return 'disabled';
  return camera.status ? camera.status.state : 'unknown';
}

function tone(state) {
  if (state === 'online') return 'ok';
  if (state === 'failed') return 'bad';
  if (state === 'starting' || state === 'reconnecting') return 'warn';
  return 'off';
}

function stat(name, value, valueEl) {
  return el('div', { class: 'stat' }, el('span', { class: 'stat-label' }, name), valueEl ?? el('span', { class: 'stat-value' }, value));
}

function statusBlock(camera) {
  const status = camera.status;
  const state = stateOf(camera);
  const meta = el('div', { class: 'meta' });
  const stats = el(
    'div',
    { class: 'stats' },
    stat(t('cameras.inputFps'), status ? t('cameras.fps', { n: fps(status.inputFps) }) : '—'),
    stat(t('cameras.dropped'), status ? num(status.droppedFrames) : '—'),
    stat(t('cameras.lastFrame'), null, status && status.lastFrameAt ? agoEl(Date.parse(status.lastFrameAt), 'stat-value') : el('span', { class: 'stat-value' }, t('cameras.never'))),
  );
  meta.append(stats);
  if (status && state !== 'online') {
    const why = el('p', { class: `reason ${tone(state)}` });
    if (status.reason) why.append(t('cameras.reason', { reason: status.reason }));
    if (status.reconnects > 0) why.append(status.reason ? ' · ' : '', t('cameras.reconnects', { n: num(status.reconnects) }));
    if (why.childNodes.length > 0) meta.append(why);
  }
  return meta;
}

/** The newest picture of the camera: its latest crossing, or its latest live incident when that is newer. */
function latestPicture(entry) {
  const c = entry.crossing;
  let best = c && c.snapshotUrl && entry.crossingSrc ? { at: Date.parse(c.at), kind: 'crossing', url: c.snapshotUrl, crossing: c } : null;
  for (const i of incidents.values()) {
    if (i.cameraId !== entry.camera.id || !i.snapshotUrl) continue;
    const at = Date.parse(i.openedAt);
    if (!best || at > best.at) best = { at, kind: 'incident', url: i.snapshotUrl, incident: i };
  }
  return best;
}

function lineName(camera, lineId) {
  const line = camera.lines.find((l) => l.id === lineId);
  return line && line.name ? line.name : lineId;
}

function zoneLabel(cameraId, zoneId) {
  const name = zoneNames.get(`${cameraId}\n${zoneId}`);
  return name ? `${name} (${zoneId})` : zoneId;
}

function pictureCaption(camera, pic) {
  if (pic.kind === 'crossing') {
    const c = pic.crossing;
    return [t('cameras.latestCrossing'), lineName(camera, c.lineId), label('objectClass', c.class), label('direction', c.direction).toLowerCase(), when(c.at)].join(' · ');
  }
  const i = pic.incident;
  return [t('cameras.latestIncident'), label('incidentType', i.type), i.zoneId ? zoneLabel(i.cameraId, i.zoneId) : null, when(i.openedAt)].filter(Boolean).join(' · ');
}

async function snapshotBlock(entry, oldCard) {
  const camera = entry.camera;
  const state = stateOf(camera);
  let pic = latestPicture(entry);
  let src = pic ? (pic.kind === 'crossing' ? entry.crossingSrc : await imageUrl(pic.url).catch(() => null)) : null;
  if (pic && !src && entry.crossingSrc) {
    // the incident's picture cannot be loaded: the latest crossing's, then
    pic = { at: Date.parse(entry.crossing.at), kind: 'crossing', url: entry.crossing.snapshotUrl, crossing: entry.crossing };
    src = entry.crossingSrc;
  }
  const box = el('div', { class: 'snap' });
  if (pic && src) {
    const caption = `${camera.name} · ${pictureCaption(camera, pic)}`;
    const prev = oldCard ? oldCard.querySelector(`.snap img[src="${window.CSS.escape(src)}"]`) : null;
    const btn = zoomable(src, t('cameras.snapshotAlt', { camera: camera.name }), caption, 'snap-open');
    if (prev) {
      prev.alt = t('cameras.snapshotAlt', { camera: camera.name });
      btn.replaceChildren(prev); // the decoded picture moves over: no flicker on refresh
    }
    box.append(btn);
  } else {
    box.append(el('div', { class: 'none' }, t('cameras.noSnapshot')));
  }
  if (DOWN_STATES.has(state) && state !== 'disabled') {
    box.append(el('div', { class: `signal ${tone(state)}` }, el('strong', {}, t('cameras.noSignal')), label('cameraState', state)));
  }
  const captionEl = el('p', { class: 'caption' });
  if (pic && src) {
    captionEl.append(el('span', { class: `kind kind-${pic.kind}` }, pic.kind === 'crossing' ? t('cameras.latestCrossing') : t('cameras.latestIncident')));
    const rest = pictureCaption(camera, pic).split(' · ').slice(1);
    captionEl.append(' ', rest.join(' · '), ' · ', agoEl(pic.at));
  }
  return [box, captionEl];
}

function countsBlock(entry) {
  const camera = entry.camera;
  const perLine = new Map(camera.lines.map((l) => [l.id, { name: l.name ?? l.id, forward: 0, backward: 0 }]));
  const byClass = new Map();
  for (const r of entry.rows) {
    const line = perLine.get(r.lineId) ?? { name: r.lineId, forward: 0, backward: 0 };
    line[r.direction] += r.count;
    perLine.set(r.lineId, line);
    byClass.set(r.class, (byClass.get(r.class) ?? 0) + r.count);
  }
  const wrap = el('div', { class: 'counts' });
  const table = el(
    'table',
    { 'data-camera': camera.id },
    el('caption', {}, t('cameras.countsTitle', { minutes: num(WINDOW_MINUTES) })),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, t('cameras.line')),
        el('th', { scope: 'col', class: 'num' }, el('span', { class: 'arrow', 'aria-hidden': 'true' }, '→ '), label('direction', 'forward')),
        el('th', { scope: 'col', class: 'num' }, el('span', { class: 'arrow', 'aria-hidden': 'true' }, '← '), label('direction', 'backward')),
        el('th', { scope: 'col', class: 'num' }, t('cameras.total')),
      ),
    ),
  );
  const body = el('tbody');
  if (perLine.size === 0) body.append(el('tr', {}, el('td', { colspan: '4', class: 'muted' }, t('cameras.noLines'))));
  for (const [id, v] of perLine) {
    body.append(
      el(
        'tr',
        { 'data-line': id },
        el('th', { scope: 'row', title: id }, v.name),
        el('td', { class: 'num' }, num(v.forward)),
        el('td', { class: 'num' }, num(v.backward)),
        el('td', { class: 'num total' }, num(v.forward + v.backward)),
      ),
    );
  }
  table.append(body);
  wrap.append(table);
  if (byClass.size > 0) {
    const classes = [...byClass].sort((a, b) => b[1] - a[1]);
    wrap.append(el('p', { class: 'by-class' }, el('span', { class: 'muted' }, `${t('cameras.byClass')}: `), classes.map(([cls, n]) => `${label('objectClass', cls)} ${num(n)}`).join(' · ')));
  }
  return wrap;
}

async function cameraCard(entry, oldCard) {
  const camera = entry.camera;
  const state = stateOf(camera);
  const card = el(
    'article',
    { class: `card ${tone(state)}${DOWN_STATES.has(state) ? ' down' : ''}`, 'data-camera': camera.id, 'data-state': state },
    el(
      'header',
      { class: 'card-head' },
      el('h3', {}, camera.name, ' ', el('span', { class: 'cam-id' }, camera.id)),
      el('span', { class: `badge ${state} ${tone(state)}`, 'data-state': state }, label('cameraState', state)),
    ),
    statusBlock(camera),
    ...(await snapshotBlock(entry, oldCard)),
  );
  if (entry.error) card.append(el('p', { class: 'error card-error' }, t('cameras.loadError', { message: entry.error })));
  else if (entry.rows) card.append(countsBlock(entry));
  return card;
}

let cameraRender = Promise.resolve();
/** Renders the cards from what was last fetched (one render at a time, each from the latest data). */
function renderCameras() {
  cameraRender = cameraRender
    .then(async () => {
      const grid = document.getElementById('cameras');
      const old = new Map([...grid.querySelectorAll('article.card')].map((c) => [c.dataset.camera, c]));
      const cards = await Promise.all(cameras.map((entry) => cameraCard(entry, old.get(entry.camera.id))));
      grid.replaceChildren(...cards);
      document.getElementById('empty').hidden = cameras.length > 0 || lastUpdated === null;
    })
    .catch((err) => console.error(err));
  return cameraRender;
}

async function loadCamera(camera, from, to) {
  const q = new URLSearchParams({ cameraId: camera.id, bucket: '1m', from, to });
  const entry = { camera, rows: null, crossing: null, crossingSrc: null, error: null };
  try {
    const [counts, latest] = await Promise.all([getPermitted(`/api/v1/counts?${q}`), getPermitted(`/api/v1/crossings?${new URLSearchParams({ cameraId: camera.id, limit: '1' })}`)]);
    entry.rows = counts ? counts.rows : null;
    entry.crossing = latest ? (latest.items[0] ?? null) : null;
    if (entry.crossing && entry.crossing.snapshotUrl) entry.crossingSrc = await imageUrl(entry.crossing.snapshotUrl);
  } catch (err) {
    if (err instanceof LoginRequired) throw err;
    entry.error = err.message;
  }
  return entry;
}

let loginShown = false;
function showLogin(show) {
  loginShown = show;
  document.getElementById('login').hidden = !show;
  document.getElementById('board').hidden = show;
  document.getElementById('logout').hidden = show || !session.user;
  document.getElementById('queues').hidden = show || session.role !== 'admin';
  if (show) document.getElementById('summary').hidden = true;
  showWho();
}

function showWho() {
  const who = document.getElementById('who');
  if (loginShown || !session.user) {
    who.textContent = '';
    return;
  }
  who.replaceChildren(el('span', { class: 'user' }, session.user), session.role ? el('span', { class: 'role' }, label('role', session.role)) : '');
}

// bull-board is a separate page: it gets the token through a short-lived HttpOnly cookie set by this call.
document.getElementById('queues').addEventListener('click', () => {
  void authed('/admin/queues-session', { method: 'POST' }).then((res) => {
    if (res.ok) window.open('/admin/queues', '_blank', 'noopener');
  });
});

let refreshError = null;
function showRefreshError(message) {
  refreshError = message;
  const box = document.getElementById('error');
  box.textContent = t('page.refreshError', { message });
  box.hidden = false;
}

async function refresh() {
  const errorBox = document.getElementById('error');
  try {
    const now = Date.now();
    const to = new Date(now + 60_000).toISOString();
    const from = new Date(Math.floor(now / 60_000) * 60_000 - (WINDOW_MINUTES - 1) * 60_000).toISOString();
    const { items } = await getJson('/api/v1/cameras');
    for (const c of items) {
      cameraNames.set(c.id, c.name);
      for (const z of c.zones ?? []) if (z.name) zoneNames.set(`${c.id}\n${z.id}`, z.name);
    }
    const loaded = await Promise.all(items.map((c) => loadCamera(c, from, to)));
    cameras = loaded;
    lastUpdated = Date.now();
    keepImages();
    showLogin(false);
    startIncidentFeed();
    await renderCameras();
    renderSummary();
    tick();
    refreshError = null;
    refreshFailed = false;
    errorBox.hidden = true;
  } catch (err) {
    if (err instanceof LoginRequired) {
      showLogin(true);
      lastUpdated = null;
      tick();
      return;
    }
    refreshFailed = true;
    showRefreshError(err.message);
    tick();
  }
}

/** Drops cached pictures nothing shows any more (cards or incidents). */
function keepImages() {
  const keep = new Set();
  for (const c of cameras) if (c.crossing && c.crossing.snapshotUrl) keep.add(c.crossing.snapshotUrl);
  for (const i of incidents.values()) if (i.snapshotUrl) keep.add(i.snapshotUrl);
  pruneImages(keep);
}

let loginError = null; // [key, vars] of the message shown under the login form
function showLoginError(key, vars = {}) {
  loginError = [key, vars];
  const box = document.getElementById('login-error');
  box.textContent = t(key, vars);
  box.hidden = false;
}

document.getElementById('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  const box = document.getElementById('login-error');
  fetch('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: form.get('username'), password: form.get('password') }) })
    .then(async (res) => {
      if (!res.ok) {
        showLoginError('login.wrong');
        return;
      }
      session.save(await res.json());
      loginError = null;
      box.hidden = true;
      ev.target.reset();
      await refresh();
    })
    .catch((err) => showLoginError('login.failed', { message: err.message }));
});

document.getElementById('logout').addEventListener('click', () => {
  void send('/auth/logout', { method: 'POST' }).finally(() => {
    session.clear();
    stopIncidentFeed();
    cameras = [];
    lastUpdated = null;
    pruneImages(new Set());
    document.getElementById('cameras').replaceChildren();
    showLogin(true);
    tick();
  });
});

// ---- Incidents: the open and acknowledged ones, kept live by the SSE feed (read with fetch so the token
// travels in a header, never in a URL), resumed after a drop from the last event id.
const STATE_RANK = { open: 0, acknowledged: 1, resolved: 2 };
const incidents = new Map();
const incidentViews = new Map(); // id → { li, body, note, ack, resolve, error, sig }
let feed = null;
let lastEventId = null;
let feedState = 'connecting';
let feedPrimed = false; // announce only incidents that arrive after the first list

function setFeedState(state) {
  feedState = state;
  const e = document.getElementById('feed-state');
  e.dataset.state = state;
  e.textContent = t(`feed.${state}`);
}

/** Keeps the newer of two versions of an incident (the list and the feed may race). */
function newer(a, b) {
  if (!a) return b;
  const ka = [STATE_RANK[a.state], a.lastSeenAt, a.occurrences];
  const kb = [STATE_RANK[b.state], b.lastSeenAt, b.occurrences];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return kb[i] > ka[i] ? b : a;
  return b;
}

function applyIncident(inc) {
  const known = incidents.has(inc.id);
  const cur = newer(incidents.get(inc.id), inc);
  if (cur.state === 'resolved') incidents.delete(inc.id);
  else incidents.set(inc.id, cur);
  return !known && cur.state !== 'resolved';
}

function announce(inc) {
  document.getElementById('announcer').textContent = t('incidents.newIncident', { type: label('incidentType', inc.type), camera: cameraNames.get(inc.cameraId) ?? inc.cameraId });
}

async function act(id, action) {
  const view = incidentViews.get(id);
  const box = document.getElementById('incident-error');
  const note = view ? view.note.value.trim() : '';
  if (view) {
    view.ack.disabled = true;
    view.resolve.disabled = true;
    view.error.hidden = true;
  }
  try {
    const res = await authed(`/api/v1/incidents/${encodeURIComponent(id)}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(note ? { note } : {}) });
    if (!res.ok) throw new Error(await errorText(res));
    applyIncident(await res.json());
    if (view) view.note.value = '';
    box.hidden = true;
  } catch (err) {
    if (err instanceof LoginRequired) {
      showLogin(true);
      return;
    }
    const message = t('incidents.actionError', { action: t(`incidents.${action}`), message: err.message });
    if (view) {
      view.error.textContent = message;
      view.error.hidden = false;
    } else {
      box.textContent = message;
      box.hidden = false;
    }
  } finally {
    if (view) {
      view.ack.disabled = false;
      view.resolve.disabled = false;
    }
  }
  await renderIncidents();
  void renderCameras();
}

function actor(who) {
  return who && who.startsWith('user:') ? who.slice(5) : who;
}

function detailLine(i) {
  const d = i.details ?? {};
  if (i.type === 'crowding' && typeof d.count === 'number') return t('details.crowding', { count: num(d.count), max: typeof d.maxPeople === 'number' ? num(d.maxPeople) : '?' });
  if (i.type === 'loitering' && typeof d.dwellSeconds === 'number') return t('details.loitering', { seconds: num(Math.round(d.dwellSeconds)) });
  if (i.type === 'zone_intrusion' && Array.isArray(d.classes)) return t('details.intrusion', { classes: d.classes.map((c) => label('objectClass', c)).join(', ') });
  if (typeof d.reason === 'string' && d.reason) return t('details.reason', { reason: d.reason });
  return null;
}

/** The changing part of an incident card; the note field and buttons below it stay (a note being typed survives). */
async function incidentBody(i) {
  const camera = cameraNames.get(i.cameraId) ?? i.cameraId;
  const type = label('incidentType', i.type);
  const body = el('div', { class: 'inc-body' });
  body.append(
    el(
      'div',
      { class: 'inc-head' },
      el('span', { class: `sev ${i.severity}` }, label('severity', i.severity)),
      el('span', { class: `inc-state ${i.state}` }, label('incidentState', i.state)),
    ),
    el('h3', { class: 'title' }, type),
  );
  const facts = el(
    'div',
    { class: 'facts' },
    el('p', { class: 'cam' }, camera),
    i.zoneId ? el('p', { class: 'zone' }, t('incidents.zone', { zone: zoneLabel(i.cameraId, i.zoneId) })) : null,
    el('p', { class: 'when' }, t('incidents.opened', { time: when(i.openedAt) }), ' · ', agoEl(Date.parse(i.openedAt))),
    el('p', { class: 'occurrences' }, t('incidents.occurrences', { n: num(i.occurrences) })),
  );
  const detail = detailLine(i);
  if (detail) facts.append(el('p', { class: 'detail' }, detail));
  const row = el('div', { class: 'inc-row' }, facts);
  if (i.snapshotUrl) {
    const src = await imageUrl(i.snapshotUrl).catch(() => null);
    if (src) {
      const caption = [type, camera, i.zoneId ? zoneLabel(i.cameraId, i.zoneId) : null, when(i.openedAt)].filter(Boolean).join(' · ');
      row.append(zoomable(src, t('incidents.snapshotAlt', { type, camera }), caption, 'thumb'));
    }
  }
  body.append(row);
  if (i.acknowledgedBy) body.append(el('p', { class: 'acked' }, t('incidents.acknowledgedBy', { who: actor(i.acknowledgedBy), time: when(i.acknowledgedAt) })));
  if (i.note) body.append(el('p', { class: 'note-text' }, t('incidents.note', { note: i.note })));
  return body;
}

function incidentView(i) {
  const note = el('input', { class: 'note', name: 'note', maxlength: '2000', autocomplete: 'off' });
  const ack = el('button', { type: 'button', class: 'ack primary' });
  const resolve = el('button', { type: 'button', class: 'resolve' });
  const error = el('p', { class: 'error', role: 'alert', hidden: true });
  ack.addEventListener('click', () => void act(i.id, 'acknowledge'));
  resolve.addEventListener('click', () => void act(i.id, 'resolve'));
  note.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      const cur = incidents.get(i.id);
      void act(i.id, cur && cur.state === 'open' ? 'acknowledge' : 'resolve');
    }
  });
  const placeholder = el('div');
  const li = el('li', { class: 'incident', 'data-incident': i.id }, placeholder, el('div', { class: 'actions' }, note, el('div', { class: 'buttons' }, ack, resolve)), error);
  return { li, body: placeholder, note, ack, resolve, error, sig: null };
}

let incidentRender = Promise.resolve();
/** Brings the list in line with `incidents` (one render at a time); unchanged cards are left as they are. */
function renderIncidents() {
  incidentRender = incidentRender.then(doRenderIncidents).catch((err) => console.error(err));
  return incidentRender;
}

async function doRenderIncidents() {
  const list = [...incidents.values()].sort((a, b) => (a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : a.id < b.id ? 1 : -1));
  const views = await Promise.all(
    list.map(async (i) => {
      const view = incidentViews.get(i.id) ?? incidentView(i);
      const sig = JSON.stringify([lang, i.state, i.severity, i.occurrences, i.lastSeenAt, i.acknowledgedBy, i.note, i.snapshotUrl, cameraNames.get(i.cameraId), i.zoneId && zoneNames.get(`${i.cameraId}\n${i.zoneId}`)]);
      if (sig !== view.sig) {
        const body = await incidentBody(i);
        view.body.replaceWith(body);
        view.body = body;
        view.sig = sig;
      }
      view.li.className = `incident ${i.severity} ${i.state}`;
      view.li.dataset.state = i.state;
      view.li.dataset.severity = i.severity;
      view.ack.textContent = t('incidents.acknowledge');
      view.ack.hidden = i.state !== 'open';
      view.resolve.textContent = t('incidents.resolve');
      view.resolve.className = i.state === 'open' ? 'resolve' : 'resolve primary';
      view.note.placeholder = t('incidents.notePlaceholder');
      view.note.setAttribute('aria-label', t('incidents.notePlaceholder'));
      return [i.id, view];
    }),
  );
  const ol = document.getElementById('incident-list');
  const keep = new Map(views);
  for (const [id, view] of incidentViews) {
    if (!keep.has(id)) view.li.remove();
  }
  incidentViews.clear();
  // Move only what is out of place, so a focused note field keeps its focus.
  views.forEach(([id, view], idx) => {
    incidentViews.set(id, view);
    if (ol.children[idx] !== view.li) ol.insertBefore(view.li, ol.children[idx] ?? null);
  });
  const open = list.filter((i) => i.state === 'open').length;
  const count = document.getElementById('incident-count');
  count.textContent = num(open);
  count.dataset.open = String(open);
  count.classList.toggle('critical', list.some((i) => i.state === 'open' && i.severity === 'critical'));
  count.setAttribute('aria-label', t('incidents.openCount', { n: num(open) }));
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
  const inc = JSON.parse(data).incident;
  if (applyIncident(inc) && feedPrimed) announce(inc);
  return true;
}

async function readFeed(signal) {
  const headers = { accept: 'text/event-stream' };
  if (lastEventId !== null) headers['last-event-id'] = lastEventId;
  const res = await authed('/api/v1/incidents/stream', { headers, signal });
  if (!res.ok) throw new Error(`stream ${res.status}`);
  setFeedState('live');
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
    if (changed) {
      await renderIncidents();
      void renderCameras(); // a new incident picture may be the camera's newest
    }
  }
}

function startIncidentFeed() {
  if (feed) return;
  const ctl = new AbortController();
  feed = ctl;
  setFeedState('connecting');
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
        setFeedState('reconnecting');
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
      feedPrimed = true;
      document.getElementById('incidents').hidden = false;
      await renderIncidents();
      void renderCameras();
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
  feedPrimed = false;
  incidents.clear();
  for (const view of incidentViews.values()) view.li.remove();
  incidentViews.clear();
  document.getElementById('incidents').hidden = true;
}

async function loop() {
  await refresh();
  setTimeout(loop, REFRESH_MS);
}

applyStaticLabels();
tick();
void loop();
