// Tika site app: the vaccinator's offline-first app (docs/SITE-API.md is its contract).
//
// Everything a session needs is downloaded once (the bundle) into IndexedDB; everything done at
// the site becomes a record in an IndexedDB outbox, shown at once from local data and uploaded
// by a sync loop whenever the network allows.  No framework and no build step: the screens are
// in the shell HTML, this file fills and toggles them.  Every word shown comes from i18n.js.
(() => {
  'use strict';

  const API = '/api/site/v1';
  const SYNC_EVERY_MS = 15_000;
  const SYNC_BATCH = 200;
  const BACKOFF_MAX_MS = 60_000;
  const OBSERVE_MS = 30 * 60_000;

  const $ = (id) => document.getElementById(id);
  const S = {
    lang: 'en',
    auth: null, // {token, expires_at (ms), staff}
    deviceId: '',
    bundle: null, // the open session's bundle
    entries: [], // outbox entries of the open session, in creation order
    reviews: [], // GET /sync/status items of the open session
    view: null, // people, tally, … derived from bundle + entries
    person: null, // beneficiary id shown in the person view
    pending: 0,
    errors: 0,
    lastSync: 0,
  };

  // -------------------------------------------------------------------------------------------
  // Words

  function t(key, vars) {
    const dict = window.TIKA_I18N;
    let s = (dict[S.lang] && dict[S.lang][key]) || dict.en[key] || key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
    return s;
  }

  function esc(v) {
    return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  /** A server error in the UI language: known codes are translated, others keep the text. */
  function errorText(e) {
    if (e.status === 0) return t('err_offline');
    if (e.status === 401) return t('err_login_again');
    const known = window.TIKA_I18N[S.lang][`err_${e.code}`];
    return known || e.message || t('err_server', { status: e.status });
  }

  function setLang(lang) {
    S.lang = lang === 'hi' ? 'hi' : 'en';
    localStorage.setItem('tika_site_lang', S.lang);
    document.documentElement.lang = S.lang;
    document.title = t('app_name');
    for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
    $('lang-toggle').textContent = t('other_language');
    $('lang-toggle').lang = S.lang === 'hi' ? 'en' : 'hi';
  }

  // -------------------------------------------------------------------------------------------
  // Ids

  /** UUIDv7: 48-bit unix ms, version 7, RFC 4122 variant, the rest random. */
  function uuidv7() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    let ms = Date.now();
    for (let i = 5; i >= 0; i--) {
      b[i] = ms % 256;
      ms = Math.floor(ms / 256);
    }
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // -------------------------------------------------------------------------------------------
  // IndexedDB: kv (auth, device id, sync state), bundles (by session id), outbox (records)

  let dbPromise = null;
  function db() {
    dbPromise ||= new Promise((resolve, reject) => {
      const open = indexedDB.open('tika-site', 1);
      open.onupgradeneeded = () => {
        const d = open.result;
        d.createObjectStore('kv');
        d.createObjectStore('bundles');
        const outbox = d.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
        outbox.createIndex('client_id', 'client_id', { unique: true });
        outbox.createIndex('session', 'session_id');
        outbox.createIndex('state', 'state');
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    return dbPromise;
  }

  const done = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

  /** Runs `fn(stores)` in one transaction and resolves with its result once committed. */
  async function tx(names, mode, fn) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const x = d.transaction(names, mode);
      const stores = Object.fromEntries(names.map((n) => [n, x.objectStore(n)]));
      let result;
      Promise.resolve(fn(stores)).then((r) => { result = r; }, (e) => {
        try { x.abort(); } catch { /* already finished */ }
        reject(e);
      });
      x.oncomplete = () => resolve(result);
      x.onerror = x.onabort = () => reject(x.error);
    });
  }

  const kvGet = (k) => tx(['kv'], 'readonly', (s) => done(s.kv.get(k)));
  const kvSet = (k, v) => tx(['kv'], 'readwrite', (s) => { s.kv.put(v, k); });
  const kvDel = (k) => tx(['kv'], 'readwrite', (s) => { s.kv.delete(k); });

  // -------------------------------------------------------------------------------------------
  // API

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, { method = 'GET', body, blob = false } = {}) {
    const headers = { accept: blob ? 'application/pdf' : 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (S.auth) headers.authorization = `Bearer ${S.auth.token}`;
    let res;
    try {
      res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'NET', '');
    }
    if (res.ok) return blob ? res.blob() : res.json();
    let code = '';
    let message = '';
    try {
      const j = await res.json();
      code = j.errorCode || '';
      message = j.error || '';
    } catch { /* 401 is plain text; a proxy may answer HTML */ }
    if (res.status === 401 && S.auth) loginExpired();
    throw new ApiError(res.status, code, message);
  }

  // -------------------------------------------------------------------------------------------
  // Screens

  const VIEWS = ['login-view', 'sessions-view', 'session-view', 'person-view', 'walkin-view', 'print-view'];
  function show(view) {
    $('loading').hidden = true;
    for (const v of VIEWS) $(v).hidden = v !== view;
    $('session-bar').hidden = !S.bundle || view === 'login-view' || view === 'sessions-view';
    $('status-line').hidden = view === 'login-view';
    document.body.dataset.view = view;
    window.scrollTo(0, 0);
  }
  const current = () => document.body.dataset.view;

  function banner(text) {
    $('banner').textContent = text || '';
    $('banner').hidden = !text;
  }

  function hhmm(ms) {
    return new Date(ms).toLocaleTimeString(S.lang === 'hi' ? 'hi-IN' : 'en-IN', { hour: '2-digit', minute: '2-digit' });
  }

  function renderStatus() {
    const online = navigator.onLine;
    $('net').textContent = online ? t('online') : t('offline');
    $('net').className = `net ${online ? 'on' : 'off'}`;
    $('pending').textContent = S.pending ? t('pending_n', { n: S.pending }) : t('all_synced');
    $('pending').className = `pending ${S.pending ? 'waiting' : 'clear'}`;
    $('pending').dataset.count = String(S.pending);
    $('last-sync').textContent = S.lastSync ? t('last_sync', { time: hhmm(S.lastSync) }) : '';
    $('who').textContent = S.auth ? S.auth.staff.name : '';
  }

  // -------------------------------------------------------------------------------------------
  // Login

  function expiresMs(v) {
    const n = typeof v === 'number' ? v : Date.parse(v);
    return n < 1e12 ? n * 1000 : n; // seconds or milliseconds
  }

  async function loggedIn(answer) {
    S.auth = { token: answer.token, expires_at: expiresMs(answer.expires_at), staff: answer.staff };
    await kvSet('auth', S.auth);
    banner('');
    $('password').value = '';
    $('otp').value = '';
    await showSessions();
    syncSoon();
  }

  /** The token was refused or ran out: log in again; every record stays in the outbox. */
  function loginExpired() {
    S.auth = null;
    kvDel('auth');
    banner(t('login_expired'));
    show('login-view');
  }

  function loginError(e) {
    $('login-error').textContent = e instanceof ApiError ? errorText(e) : t(e);
    $('login-error').hidden = false;
  }

  let otpTxn = null;
  function bindLogin() {
    for (const r of document.querySelectorAll('input[name="login-method"]')) {
      r.addEventListener('change', () => {
        const otp = r.value === 'otp' && r.checked;
        $('password-box').hidden = otp;
        $('otp-box').hidden = !otp;
        $('login-error').hidden = true;
      });
    }
    $('send-otp').addEventListener('click', async () => {
      $('login-error').hidden = true;
      const username = $('username').value.trim();
      if (!username) return loginError('err_username');
      try {
        otpTxn = (await api('/login/otp', { method: 'POST', body: { username } })).txnId;
        $('otp-sent').hidden = false;
        $('otp').focus();
      } catch (e) {
        loginError(e);
      }
    });
    $('login-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      $('login-error').hidden = true;
      const username = $('username').value.trim();
      const byOtp = !$('otp-box').hidden;
      if (!username) return loginError('err_username');
      $('login-button').disabled = true;
      try {
        if (byOtp) {
          const otp = $('otp').value.trim();
          if (!otpTxn) return loginError('err_send_otp_first');
          if (!/^\d{6}$/.test(otp)) return loginError('err_otp_format');
          await loggedIn(await api('/login/otp/confirm', { method: 'POST', body: { txnId: otpTxn, otp } }));
        } else {
          const password = $('password').value;
          if (!password) return loginError('err_password');
          await loggedIn(await api('/login', { method: 'POST', body: { username, password } }));
        }
      } catch (e) {
        loginError(e);
      } finally {
        $('login-button').disabled = false;
      }
    });
    $('logout').addEventListener('click', logout);
  }

  async function logout() {
    await countPending();
    if (S.pending && !window.confirm(t('logout_unsynced', { n: S.pending }))) return;
    // The bundles hold names and security codes: they go. The outbox stays, so nothing done
    // at the site is lost; it uploads after the next login.
    await tx(['kv', 'bundles'], 'readwrite', (s) => {
      s.kv.delete('auth');
      s.kv.delete('current');
      s.bundles.clear();
    });
    Object.assign(S, { auth: null, bundle: null, view: null, entries: [], reviews: [] });
    banner('');
    renderStatus();
    show('login-view');
  }

  // -------------------------------------------------------------------------------------------
  // Sessions

  async function showSessions() {
    await kvDel('current');
    S.bundle = null;
    show('sessions-view');
    renderStatus();
    $('center-name').textContent = S.auth.staff.center_name || '';
    const stored = await tx(['bundles'], 'readonly', (s) => done(s.bundles.getAll()));
    let sessions = stored.map((b) => ({ ...b.session, booked: b.appointments.length, downloaded: true }));
    let note = '';
    if (navigator.onLine) {
      try {
        const have = new Set(sessions.map((x) => x.session_id));
        const online = (await api('/sessions')).sessions;
        sessions = online.map((x) => ({ ...x, downloaded: have.has(x.session_id) }))
          .concat(sessions.filter((x) => !online.some((o) => o.session_id === x.session_id)));
      } catch (e) {
        note = errorText(e);
      }
    } else {
      note = t('offline_downloaded_only');
    }
    if (!sessions.length) note = note || t('no_sessions');
    $('sessions-note').textContent = note;
    $('sessions-note').hidden = !note;
    $('session-list').innerHTML = sessions.map((x) => `
      <li class="card session" data-session-id="${esc(x.session_id)}">
        <div class="row-between"><b>${esc(x.date)} · ${esc(x.vaccine)}</b>
          ${x.downloaded ? `<span class="badge ok">${esc(t('downloaded'))}</span>` : ''}</div>
        <div class="muted small">${esc(ages(x))} · ${esc(t('booked_n', { n: x.booked }))}</div>
        <button type="button" class="primary open-session" data-open="${esc(x.session_id)}">${esc(t('open'))}</button>
      </li>`).join('');
  }

  function ages(x) {
    return x.max_age_limit == null ? t('ages_from', { min: x.min_age_limit }) : t('ages_range', { min: x.min_age_limit, max: x.max_age_limit });
  }

  /** Opens a session from IndexedDB at once when it is there; downloads it first otherwise. */
  async function openSession(sessionId) {
    const stored = await tx(['bundles'], 'readonly', (s) => done(s.bundles.get(sessionId)));
    if (stored) {
      await loadSession(stored);
      if (navigator.onLine) refreshBundle();
      return;
    }
    try {
      await saveBundle(await api(`/sessions/${encodeURIComponent(sessionId)}/bundle`));
      await loadSession(await tx(['bundles'], 'readonly', (s) => done(s.bundles.get(sessionId))));
      refreshReviews();
    } catch (e) {
      $('sessions-note').textContent = errorText(e);
      $('sessions-note').hidden = false;
    }
  }

  function saveBundle(bundle) {
    return tx(['bundles'], 'readwrite', (s) => { s.bundles.put(bundle, bundle.session.session_id); });
  }

  async function loadSession(bundle) {
    S.bundle = bundle;
    await kvSet('current', bundle.session.session_id);
    S.reviews = (await kvGet(`reviews:${bundle.session.session_id}`)) || [];
    await reloadEntries();
    fillSessionForms();
    show('session-view');
    renderSession();
    $('search').disabled = false;
    performance.mark('tika-list-ready'); // read by e2e/bench-site.mjs
  }

  /** Downloads the bundle again; local records are kept and merged over it by `deriveView`. */
  async function refreshBundle() {
    if (!S.bundle) return;
    const id = S.bundle.session.session_id;
    $('refresh').disabled = true;
    try {
      const fresh = await api(`/sessions/${encodeURIComponent(id)}/bundle`);
      await saveBundle(fresh);
      if (S.bundle && S.bundle.session.session_id === id) {
        S.bundle = fresh;
        note('refresh-note', t('updated_at', { time: hhmm(Date.now()) }));
        await refreshReviews();
        rerender();
      }
    } catch (e) {
      note('refresh-note', errorText(e));
    } finally {
      $('refresh').disabled = false;
    }
  }

  function note(id, text) {
    $(id).textContent = text;
    $(id).hidden = !text;
  }

  async function refreshReviews() {
    if (!S.bundle || !navigator.onLine) return;
    const id = S.bundle.session.session_id;
    try {
      const items = (await api(`/sync/status?session_id=${encodeURIComponent(id)}`)).items || [];
      await kvSet(`reviews:${id}`, items);
      if (S.bundle && S.bundle.session.session_id === id) S.reviews = items;
    } catch { /* the last known list stays */ }
  }

  // -------------------------------------------------------------------------------------------
  // The local view: the bundle with this device's records folded over it

  async function reloadEntries() {
    const id = S.bundle.session.session_id;
    S.entries = await tx(['outbox'], 'readonly', (s) => done(s.outbox.index('session').getAll(id)));
    S.entries.sort((a, b) => a.seq - b.seq);
    S.view = deriveView(S.bundle, S.entries, S.reviews);
  }

  function deriveView(bundle, entries, reviews) {
    const session = bundle.session;
    const people = new Map();
    const slotOrder = new Map((session.slots || []).map((s, i) => [s, i]));
    for (const a of bundle.appointments) {
      people.set(a.beneficiary_id, { ...a, id: a.beneficiary_id, walkIn: false, order: slotOrder.get(a.slot) ?? 99 });
    }
    const arrived = new Set(bundle.arrivals.map((a) => a.beneficiary_id));
    const vax = new Map(bundle.vaccinations.map((v) => [v.client_id, { ...v, state: 'server' }]));
    const discarded = new Set(reviews.filter((r) => r.status === 'discarded').map((r) => r.client_id));
    const alias = new Map(); // server id of a walk-in merged into someone → the walk-in's id
    const undone = new Set();
    const aefi = new Map();
    const addWalkIn = (id, b, e) => {
      if (!people.has(id)) {
        people.set(id, {
          id, name: b.name, birth_year: b.birth_year, gender_id: b.gender_id, photo_id_type: b.photo_id_type,
          photo_id_last4: e.last4 || '', dose: 1, slot: '', status: 'booked', history: [], reference_id: '', order: 1000 + e.seq,
        });
      }
      const p = people.get(id);
      p.walkIn = true;
      const res = e.result || {};
      if (res.reference_id) p.reference_id = res.reference_id;
      if (res.beneficiary_id && res.beneficiary_id !== id) alias.set(res.beneficiary_id, id);
    };
    for (const e of entries) {
      const r = e.record;
      switch (r.kind) {
        case 'arrival':
          arrived.add(r.beneficiary_id);
          break;
        case 'walk_in':
          addWalkIn(r.client_id, r.beneficiary, e);
          break;
        case 'dose':
          if (r.walk_in) addWalkIn(r.beneficiary_id, r.walk_in, e);
          if (vax.has(r.client_id)) vax.get(r.client_id).local = true;
          else {
            // As the server decides: a dose not given against a live booking is a walk-in's.
            const booking = people.get(r.beneficiary_id);
            const walkIn = !r.appointment_id || !booking || booking.status === 'cancelled';
            vax.set(r.client_id, { ...r, walk_in: walkIn, voided: false, local: true, state: discarded.has(r.client_id) ? 'discarded' : e.state, message: e.result && e.result.message });
          }
          break;
        case 'undo':
          undone.add(r.vaccination_client_id);
          break;
        case 'aefi':
          aefi.set(r.vaccination_client_id, r.severity);
          break;
      }
    }
    for (const id of undone) if (vax.has(id)) vax.get(id).voided = true;

    for (const v of vax.values()) {
      const id = alias.get(v.beneficiary_id) || v.beneficiary_id;
      if (!people.has(id)) {
        // A walk-in registered on another device: the bundle carries the dose, not the person.
        people.set(id, { id, walkIn: true, name: t('walkin_other_device'), birth_year: '', gender_id: 0, photo_id_type: 0, photo_id_last4: '', dose: v.dose, slot: '', status: 'booked', history: [], reference_id: '', order: 2000 });
      }
      const p = people.get(id);
      p.doses = p.doses || [];
      p.doses.push(v);
    }

    // The tally counts as GET /tally does: arrived = arrived or vaccinated; walk-ins and
    // vaccinated count doses given (not undone, not waiting in review).
    const tally = { booked: 0, arrived: 0, vaccinated: 0, walk_ins: 0, no_shows: 0 };
    for (const p of people.values()) {
      const doses = p.doses || [];
      p.vax = doses.filter((v) => !v.voided && v.state !== 'discarded' && v.state !== 'error').pop() || null;
      const given = p.vax && p.vax.state !== 'review';
      p.arrived = arrived.has(p.id) || p.walkIn || !!p.vax;
      p.aefi = p.vax ? aefi.get(p.vax.client_id) || null : null;
      p.state = p.vax ? (given ? 'vaccinated' : 'review')
        : p.arrived ? 'arrived'
        : p.status === 'cancelled' ? 'cancelled'
        : p.status === 'completed' ? 'completed'
        : 'booked';
      if (arrived.has(p.id) || given) tally.arrived++;
      if (given) {
        tally.vaccinated++;
        if (p.vax.walk_in) tally.walk_ins++;
      }
      if (!p.walkIn && p.status !== 'cancelled') {
        tally.booked++;
        if (!arrived.has(p.id) && !given) tally.no_shows++;
      }
    }
    const list = [...people.values()].sort((a, b) => a.order - b.order || String(a.name).localeCompare(String(b.name)));
    return { people, list, tally };
  }

  /** The dose number this person gets today: their earlier doses + 1 (never typed in). */
  function nextDose(p) {
    const today = S.bundle.session.date;
    const here = new Set((p.doses || []).map((v) => v.dose));
    // The history may already hold this session's doses (after a refresh): those are not
    // earlier doses.
    const earlier = (p.history || []).filter((h) => !(h.date === today && here.has(h.dose)));
    return earlier.length + 1;
  }

  // -------------------------------------------------------------------------------------------
  // Rendering the session

  const lookup = (list, id, field) => {
    const x = (list || []).find((i) => i.id === id);
    return x ? x[field] : '';
  };
  // `_l` names are the Hindi ones.
  const genderName = (id) => lookup(S.bundle.genders, id, S.lang === 'hi' ? 'name_l' : 'name') || lookup(S.bundle.genders, id, 'name');
  const idTypeName = (id) => lookup(S.bundle.id_types, id, S.lang === 'hi' ? 'type_l' : 'type') || lookup(S.bundle.id_types, id, 'type');
  const refText = (p) => p.reference_id || t('ref_pending');
  const stateText = (p) => t(`state_${p.state}`);

  function renderSession() {
    const s = S.bundle.session;
    $('session-title').textContent = `${S.bundle.center.name} · ${s.date} · ${s.vaccine}`;
    renderTally();
    renderList();
    renderReviews();
    renderObserving();
    renderStock();
    renderStatus();
  }

  function rerender() {
    S.view = deriveView(S.bundle, S.entries, S.reviews);
    renderSession();
    if (current() === 'person-view') renderPerson();
    if (current() === 'print-view') renderPrint();
  }

  function renderTally() {
    const keys = ['booked', 'arrived', 'vaccinated', 'walk_ins', 'no_shows'];
    $('tally').innerHTML = keys.map((k) => `<div data-k="${k}"><dt>${esc(t(`tally_${k}`))}</dt><dd id="tally-${k}">${S.view.tally[k]}</dd></div>`).join('');
  }

  let searchIndex = [];
  function renderList() {
    const rows = S.view.list.map((p) => `
      <li data-id="${esc(p.id)}" data-ref="${esc(p.reference_id)}" data-state="${p.state}"${p.walkIn ? ' data-walkin="1"' : ''}>
        <button type="button" class="person st-${p.state}">
          <span class="p-top"><span class="p-name">${esc(p.name)}</span><span class="badge st-${p.state}">${esc(stateText(p))}</span></span>
          <span class="p-meta">${p.walkIn ? `<span class="badge">${esc(t('walkin'))}</span> ` : ''}${esc(refText(p))}${p.slot ? ` · ${esc(p.slot)}` : ''} · ${esc(t('dose_n', { n: p.vax ? p.vax.dose : nextDose(p) }))}</span>
        </button>
      </li>`);
    $('people').innerHTML = rows.join('');
    const lis = $('people').children;
    searchIndex = S.view.list.map((p, i) => ({
      li: lis[i], name: String(p.name).toLowerCase(), ref: p.reference_id || '', last4: String(p.photo_id_last4 || '').toLowerCase(),
    }));
    applySearch();
  }

  /** Reference id (6+ digits, anywhere in it), name (substring, any case) or photo-id last 4. */
  function applySearch() {
    const q = $('search').value.trim().toLowerCase();
    let shown = 0;
    for (const row of searchIndex) {
      const hit = !q || row.name.includes(q) || (q.length >= 6 && row.ref.includes(q)) || (q.length === 4 && row.last4 === q);
      row.li.hidden = !hit;
      if (hit) shown++;
    }
    $('list-count').textContent = t('shown_of', { n: shown, total: searchIndex.length });
  }

  function renderReviews() {
    const items = [];
    const seen = new Set();
    for (const e of S.entries) {
      if (e.state !== 'review' && e.state !== 'error') continue;
      seen.add(e.client_id);
      const server = S.reviews.find((r) => r.client_id === e.client_id);
      items.push({ who: personName(e.record), kind: e.record.kind, message: (e.result && e.result.message) || '', code: (e.result && e.result.code) || '', status: server ? server.status : e.state === 'error' ? 'error' : 'open', note: server ? server.resolution_note : '' });
    }
    for (const r of S.reviews) {
      if (!seen.has(r.client_id)) items.push({ who: '', kind: '', message: r.message, code: r.code, status: r.status, note: r.resolution_note });
    }
    $('reviews').hidden = !items.length;
    $('review-list').innerHTML = items.map((i) => `
      <li class="review st-${esc(i.status)}"><b>${esc(i.who || t('other_device'))}</b>${i.kind ? ` · ${esc(t(`kind_${i.kind}`))}` : ''}
        <span class="badge">${esc(t(`review_${i.status}`))}</span><br>
        <span class="small">${esc(i.code)} ${esc(i.message)}</span>${i.note ? `<br><span class="small muted">${esc(i.note)}</span>` : ''}</li>`).join('');
  }

  function personName(record) {
    let id = record.beneficiary_id || (record.kind === 'walk_in' ? record.client_id : '');
    if (!id && record.vaccination_client_id) {
      const dose = S.entries.find((e) => e.client_id === record.vaccination_client_id);
      id = dose ? dose.record.beneficiary_id : '';
    }
    const p = S.view.people.get(id);
    return p ? p.name : '';
  }

  /** People vaccinated on this device in the last 30 minutes, with their timers. */
  function renderObserving() {
    const now = Date.now();
    const list = S.view.list.filter((p) => p.vax && p.vax.local && now - p.vax.at < OBSERVE_MS);
    $('observing').innerHTML = list.length ? `<h2>${esc(t('observing'))}</h2><ul class="plain">${list.map((p) => `
      <li><button type="button" class="observe" data-id="${esc(p.id)}">${esc(p.name)} <span class="timer" data-until="${p.vax.at + OBSERVE_MS}"></span>${p.aefi ? ` <span class="badge">${esc(t('aefi_recorded_short'))}</span>` : ''}</button></li>`).join('')}</ul>` : '';
    tick();
  }

  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll('[data-until]')) {
      const left = Number(el.dataset.until) - now;
      if (left <= 0) {
        el.textContent = t('observation_over');
        continue;
      }
      const m = Math.floor(left / 60_000);
      const s = Math.floor((left % 60_000) / 1000);
      el.textContent = t('observation_left', { time: `${m}:${String(s).padStart(2, '0')}` });
    }
    if (S.auth && Date.now() > S.auth.expires_at) loginExpired();
  }

  // -------------------------------------------------------------------------------------------
  // Person: verify, arrival, dose, observation, AEFI, undo

  function openPerson(id) {
    S.person = id;
    for (const f of ['id-match', 'code', 'undo-reason', 'aefi-notes']) {
      const el = $(f);
      if (el.type === 'checkbox') el.checked = false;
      else el.value = '';
    }
    for (const f of ['verify-error', 'dose-error', 'undo-error']) $(f).hidden = true;
    $('undo-box').open = false;
    document.querySelector('input[name="severity"][value="none"]').checked = true;
    for (const c of $('symptoms').querySelectorAll('input')) c.checked = false;
    $('vaccinator').value = S.auth.staff.id;
    show('person-view');
    renderPerson();
  }

  function renderPerson() {
    const p = S.view.people.get(S.person);
    if (!p) return;
    const year = Number(S.bundle.session.date.slice(0, 4));
    const facts = [
      ['reference_id', refText(p)],
      ['birth_year', p.birth_year ? `${p.birth_year} (${t('age_n', { n: year - p.birth_year })})` : ''],
      ['gender', genderName(p.gender_id)],
      ['photo_id', p.photo_id_type ? `${idTypeName(p.photo_id_type)} ••••${p.photo_id_last4}` : ''],
      ['dose', String(p.vax ? p.vax.dose : nextDose(p))],
      ['slot', p.slot || '—'],
      ['status', stateText(p)],
    ];
    $('person-card').innerHTML = `<h2 id="person-name">${esc(p.name)}${p.walkIn ? ` <span class="badge">${esc(t('walkin'))}</span>` : ''}</h2>
      <dl class="facts">${facts.map(([k, v]) => `<div><dt>${esc(t(k))}</dt><dd data-f="${k}">${esc(v)}</dd></div>`).join('')}</dl>`;
    $('id-match-text').textContent = t('id_matches', { type: idTypeName(p.photo_id_type), last4: p.photo_id_last4 });

    const needsVerify = !p.walkIn && !p.arrived;
    $('verify-form').hidden = !needsVerify;
    $('dose-form').hidden = needsVerify || !!p.vax || p.state === 'completed';
    $('done-box').hidden = !p.vax || p.vax.state === 'review';
    $('review-note').hidden = !(p.vax && p.vax.state === 'review');
    $('review-note').textContent = p.vax && p.vax.state === 'review' ? `${t('state_review')}: ${p.vax.message || ''}` : '';
    if (!$('dose-form').hidden) {
      $('dose-summary').textContent = t('dose_summary', { vaccine: S.bundle.session.vaccine, n: nextDose(p) });
      $('record-dose').disabled = !$('batch').options.length;
      if (!$('batch').options.length) showError('dose-error', t('err_no_batch'));
    }
    if (p.vax && p.vax.state !== 'review') {
      $('done-text').textContent = t('vaccinated_at', { n: p.vax.dose, batch: p.vax.batch, time: hhmm(p.vax.at) });
      $('observe-timer').dataset.until = String(p.vax.at + OBSERVE_MS);
      $('aefi-form').hidden = !!p.aefi;
      $('aefi-saved').hidden = !p.aefi;
      $('aefi-saved').textContent = p.aefi ? t('aefi_recorded', { severity: t(`severity_${p.aefi}`) }) : '';
      tick();
    }
  }

  function showError(id, text) {
    $(id).textContent = text;
    $(id).hidden = false;
  }

  /** The forms' choices that come from the bundle. */
  function fillSessionForms() {
    const b = S.bundle;
    const today = b.policy.today || b.session.date;
    const batches = b.batches.filter((x) => x.vaccine === b.session.vaccine && x.expiry >= today);
    $('batch').innerHTML = batches.map((x) => `<option value="${esc(x.batch)}">${esc(x.batch)} (${esc(t('expires', { date: x.expiry }))})</option>`).join('');
    const vaccinators = b.staff.filter((x) => x.role === 'vaccinator' || x.id === S.auth.staff.id);
    if (!vaccinators.some((x) => x.id === S.auth.staff.id)) vaccinators.unshift(S.auth.staff);
    $('vaccinator').innerHTML = vaccinators.map((x) => `<option value="${esc(x.id)}">${esc(x.name)}</option>`).join('');
    $('symptoms').innerHTML = `<legend>${esc(t('symptoms'))}</legend>` + b.aefi_symptoms.map((x) => `
      <label><input type="checkbox" value="${esc(x.code)}"> <span>${esc(x[S.lang] || x.en)}</span></label>`).join('');
    $('w-gender').innerHTML = b.genders.map((x) => `<option value="${x.id}">${esc(genderName(x.id))}</option>`).join('');
    $('w-id-type').innerHTML = b.id_types.map((x) => `<option value="${x.id}">${esc(idTypeName(x.id))}</option>`).join('');
  }

  // -------------------------------------------------------------------------------------------
  // The session's vaccine use: vials opened per batch, entered at the end of the session (often
  // offline).  It is kept in IndexedDB (`stock_close:<session>`) and sent once the network is
  // back and every dose of the phone has uploaded, so the server counts the same doses; the
  // answer (`stock_done:<session>`) is shown from then on.

  const MAX_VIALS = 1000;

  /** Doses per batch of the open session, as the list shows them (undone and discarded ones left out). */
  function dosesByBatch() {
    const by = new Map();
    for (const p of S.view.people.values()) {
      for (const v of p.doses || []) {
        if (v.voided || v.state === 'discarded' || !v.batch) continue;
        by.set(v.batch, (by.get(v.batch) || 0) + 1);
      }
    }
    return by;
  }

  async function renderStock() {
    if (!S.bundle) return;
    const sid = S.bundle.session.session_id;
    const [pending, doneAnswer] = await Promise.all([kvGet(`stock_close:${sid}`), kvGet(`stock_done:${sid}`)]);
    const by = dosesByBatch();
    const dpv = new Map(S.bundle.batches.map((b) => [b.batch, b.doses_per_vial || 1]));
    const rows = [...by.entries()].sort();
    $('stock-rows').innerHTML = rows.length
      ? rows.map(([batch, n]) => `<tr><td>${esc(batch)}</td><td>${n}</td><td><input type="number" min="0" max="${MAX_VIALS}" step="1" inputmode="numeric" data-batch="${esc(batch)}" value="${Math.ceil(n / (dpv.get(batch) || 1))}" aria-label="${esc(t('stock_vials'))} ${esc(batch)}"></td></tr>`).join('')
      : `<tr><td colspan="3" class="muted">${esc(t('stock_no_doses'))}</td></tr>`;
    $('stock-close').disabled = !rows.length || Boolean(pending) || Boolean(doneAnswer);
    $('stock-form').hidden = Boolean(doneAnswer);
    $('stock-state').hidden = !(pending || doneAnswer);
    $('stock-state').textContent = doneAnswer ? t('stock_done') : pending ? t('stock_saved') : '';
    const result = $('stock-result');
    result.hidden = !doneAnswer;
    if (doneAnswer) {
      result.innerHTML = doneAnswer.batches.map((b) => {
        const warn = (b.anomalies || []).filter((a) => a.code === 'more_doses_than_vials')
          .map((a) => `<br><strong class="error">${esc(t('stock_anomaly', { doses: a.doses_given, capacity: a.capacity }))}</strong>`).join('');
        return `<li data-batch="${esc(b.batch)}">${esc(t('stock_line', { batch: b.batch, doses: b.doses_given, vials: b.vials_opened, wasted: b.doses_wasted }))}${warn}</li>`;
      }).join('');
    }
  }

  function bindStock() {
    $('stock-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      $('stock-error').hidden = true;
      const vials = {};
      for (const input of $('stock-rows').querySelectorAll('input[data-batch]')) {
        const v = input.value.trim();
        if (!/^\d{1,4}$/.test(v) || Number(v) > MAX_VIALS) return showError('stock-error', t('err_vials'));
        vials[input.dataset.batch] = Number(v);
      }
      const sid = S.bundle.session.session_id;
      await kvSet(`stock_close:${sid}`, { session_id: sid, vials_opened: vials });
      await renderStock();
      flushStock();
    });
  }

  /** Sends saved closes whose session has nothing left to upload. */
  async function flushStock() {
    if (!S.auth || !navigator.onLine) return;
    const keys = await tx(['kv'], 'readonly', (s) => done(s.kv.getAllKeys()));
    for (const key of keys.filter((k) => typeof k === 'string' && k.startsWith('stock_close:'))) {
      const close = await kvGet(key);
      const sid = close.session_id;
      const waiting = await tx(['outbox'], 'readonly', (s) => done(s.outbox.index('session').getAll(sid)));
      if (waiting.some((e) => e.state === 'pending') || (await kvGet('inflight'))) continue;
      const path = `/sessions/${encodeURIComponent(sid)}/stock`;
      try {
        const answer = await api(`${path}/close`, { method: 'POST', body: { vials_opened: close.vials_opened } });
        await kvSet(`stock_done:${sid}`, answer);
        await kvDel(key);
      } catch (e) {
        if (e.status === 409 && e.code === 'STK0004') {
          // Closed before (another phone, or an answer that was lost): show what the server has.
          try { await kvSet(`stock_done:${sid}`, await api(path)); } catch { continue; }
          await kvDel(key);
        } else if (e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 408 && e.status !== 429) {
          await kvDel(key);
          if (S.bundle && S.bundle.session.session_id === sid) showError('stock-error', errorText(e));
        }
        // Network errors and 5xx: kept, sent after the next sync.
      }
    }
    if (S.bundle) renderStock();
  }

  /** Stores a record in the outbox (its creation order is its upload order) and redraws. */
  async function addRecord(kind, fields, extra = {}) {
    const record = { client_id: uuidv7(), kind, session_id: S.bundle.session.session_id, at: Date.now(), ...fields };
    const entry = { client_id: record.client_id, session_id: record.session_id, state: 'pending', record, result: null, ...extra };
    entry.seq = await tx(['outbox'], 'readwrite', (s) => done(s.outbox.add(entry)));
    S.entries.push(entry);
    S.pending++;
    rerender();
    syncSoon();
    return record;
  }

  function bindPerson() {
    $('people').addEventListener('click', (ev) => {
      const li = ev.target.closest('li[data-id]');
      if (li) openPerson(li.dataset.id);
    });
    $('observing').addEventListener('click', (ev) => {
      const b = ev.target.closest('[data-id]');
      if (b) openPerson(b.dataset.id);
    });
    $('verify-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const p = S.view.people.get(S.person);
      $('verify-error').hidden = true;
      if (!$('id-match').checked) return showError('verify-error', t('err_tick_id'));
      const code = $('code').value.trim();
      if (!/^\d{4}$/.test(code)) return showError('verify-error', t('err_code_format'));
      if (code !== String(p.security_code)) {
        $('code').value = '';
        return showError('verify-error', t('err_code_wrong'));
      }
      await addRecord('arrival', { beneficiary_id: p.id });
    });
    $('dose-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const p = S.view.people.get(S.person);
      if (!$('batch').value) return showError('dose-error', t('err_no_batch'));
      const fields = {
        beneficiary_id: p.id, vaccine: S.bundle.session.vaccine, batch: $('batch').value,
        dose: nextDose(p), vaccinator_id: $('vaccinator').value,
      };
      if (p.appointment_id) fields.appointment_id = p.appointment_id;
      // A walk-in's dose carries the registration while that is not yet uploaded, so the dose
      // stands alone whatever order the uploads arrive in.
      const reg = p.walkIn && S.entries.find((e) => e.record.kind === 'walk_in' && e.client_id === p.id);
      if (reg && reg.record.beneficiary.photo_id_number) fields.walk_in = reg.record.beneficiary;
      await addRecord('dose', fields);
    });
    $('aefi-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const p = S.view.people.get(S.person);
      await addRecord('aefi', {
        vaccination_client_id: p.vax.client_id,
        severity: document.querySelector('input[name="severity"]:checked').value,
        symptoms: [...$('symptoms').querySelectorAll('input:checked')].map((c) => c.value),
        notes: $('aefi-notes').value.trim().slice(0, 500),
      });
    });
    $('undo-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const p = S.view.people.get(S.person);
      const reason = $('undo-reason').value.trim();
      if (!reason || reason.length > 200) return showError('undo-error', t('err_undo_reason'));
      await addRecord('undo', { vaccination_client_id: p.vax.client_id, reason });
      $('undo-reason').value = '';
      $('undo-box').open = false;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Walk-in registration (assisted: a mobile number is optional)

  function openWalkIn() {
    for (const f of ['w-name', 'w-birth-year', 'w-id-number', 'w-mobile']) $(f).value = '';
    $('walkin-errors').hidden = true;
    show('walkin-view');
    $('w-name').focus();
  }

  function validateWalkIn() {
    const b = S.bundle;
    const year = Number(b.session.date.slice(0, 4));
    const name = $('w-name').value.trim().replace(/\s+/g, ' ');
    const by = $('w-birth-year').value.trim();
    const idType = b.id_types.find((x) => x.id === Number($('w-id-type').value));
    let idNumber = $('w-id-number').value.replace(/\s+/g, '').toUpperCase();
    if (idType && idType.numeric) idNumber = idNumber.replace(/-/g, '');
    const mobile = $('w-mobile').value.trim();
    const errors = [];
    if (!name) errors.push(t('err_name'));
    else if (name.length > 100 || !/\p{Alphabetic}/u.test(name) || !/^[\p{Alphabetic} .'\-\u0900-\u0DFF\u200C\u200D]+$/u.test(name)) errors.push(t('err_name_chars'));
    // The server keeps birth years within 120 years, so the lower bound is the later of the two.
    const minYear = Math.max(1900, year - 120);
    const birthYear = Number(by);
    if (!/^\d{4}$/.test(by) || birthYear < minYear || birthYear > year) {
      errors.push(t('err_birth_year', { min: minYear, max: year }));
    } else {
      const age = year - birthYear;
      const vaccine = b.vaccines.find((v) => v.code === b.session.vaccine);
      const min = Math.max(b.session.min_age_limit || 0, vaccine ? vaccine.min_age_years : 0);
      const max = b.session.max_age_limit;
      if (age < min || (max != null && age > max)) {
        errors.push(max == null ? t('err_age_min', { age, min }) : t('err_age_range', { age, min, max }));
      }
    }
    if (!idNumber) errors.push(t('err_photo_id'));
    else if (idType && !photoIdValid(idType, idNumber)) errors.push(t('err_photo_id_invalid', { type: idTypeName(idType.id) }));
    if (mobile && !/^[6-9]\d{9}$/.test(mobile)) errors.push(t('err_mobile'));
    const beneficiary = {
      name, birth_year: birthYear, gender_id: Number($('w-gender').value), photo_id_type: Number($('w-id-type').value),
      photo_id_number: idNumber, mobile: mobile || null,
    };
    return { errors, beneficiary };
  }

  /**
   * The server's check of a photo id number (its type's pattern, Aadhaar's Verhoeff digit), so a
   * typo is caught here, while the person is still at the table, and not by a refused upload.
   */
  function photoIdValid(type, n) {
    if (type.pattern && !new RegExp(type.pattern).test(n)) return false;
    return !type.verhoeff || verhoeffValid(n);
  }

  function verhoeffValid(digits) {
    // The dihedral group D5's multiplication and the position permutation (applied i mod 8 times).
    const d = (j, k) => (j < 5 ? (k < 5 ? (j + k) % 5 : ((j + k) % 5) + 5) : k < 5 ? ((j - k + 5) % 5) + 5 : (j - k + 5) % 5);
    const p = [1, 5, 7, 6, 2, 8, 3, 0, 9, 4];
    let c = 0;
    [...digits].reverse().forEach((ch, i) => {
      let n = Number(ch);
      for (let r = 0; r < i % 8; r++) n = p[n];
      c = d(c, n);
    });
    return c === 0;
  }

  function bindWalkIn() {
    $('walkin-open').addEventListener('click', openWalkIn);
    $('walkin-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const { errors, beneficiary } = validateWalkIn();
      $('walkin-errors').innerHTML = errors.map((e) => `<li>${esc(e)}</li>`).join('');
      $('walkin-errors').hidden = !errors.length;
      if (errors.length) return;
      const rec = await addRecord('walk_in', { beneficiary }, { last4: beneficiary.photo_id_number.slice(-4) });
      openPerson(rec.client_id);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Paper list (printable from local data) and the server's PDF

  function renderPrint() {
    const s = S.bundle.session;
    $('print-title').textContent = `${S.bundle.center.name} · ${s.date} · ${s.vaccine}`;
    $('print-sub').textContent = `${S.bundle.center.address || ''} · ${t('printed_at', { time: new Date().toLocaleString(S.lang === 'hi' ? 'hi-IN' : 'en-IN') })}`;
    const cols = ['col_no', 'slot', 'reference_id', 'name', 'birth_year', 'gender', 'photo_id', 'dose', 'status', 'col_signature'];
    $('print-head').innerHTML = cols.map((c) => `<th>${esc(t(c))}</th>`).join('');
    $('print-body').innerHTML = S.view.list.map((p, i) => `<tr data-id="${esc(p.id)}">
      <td>${i + 1}</td><td>${esc(p.slot || t('walkin'))}</td><td>${esc(refText(p))}</td><td>${esc(p.name)}</td>
      <td>${esc(p.birth_year)}</td><td>${esc(genderName(p.gender_id))}</td>
      <td>${p.photo_id_type ? `${esc(idTypeName(p.photo_id_type))} ${esc(p.photo_id_last4)}` : ''}</td>
      <td>${p.vax ? p.vax.dose : nextDose(p)}</td><td>${esc(stateText(p))}</td><td class="sign"></td></tr>`).join('');
  }

  function bindPrint() {
    $('print-open').addEventListener('click', () => {
      renderPrint();
      $('pdf-error').hidden = true;
      $('pdf-download').hidden = !navigator.onLine;
      show('print-view');
    });
    $('print-now').addEventListener('click', () => window.print());
    $('pdf-download').addEventListener('click', async () => {
      $('pdf-error').hidden = true;
      const s = S.bundle.session;
      try {
        // The PDF needs the bearer token, so it cannot be a plain link.
        const blob = await api(`/sessions/${encodeURIComponent(s.session_id)}/list.pdf`, { blob: true });
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = `session-${s.date}-${s.vaccine}.pdf`;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
      } catch (e) {
        showError('pdf-error', errorText(e));
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Sync: the outbox goes up in creation order, at most SYNC_BATCH records per upload.
  //
  // An upload (its idempotency key, its records and the exact body) is saved as `inflight`
  // before it is sent, so a retry after a lost answer sends the same bytes with the same key and
  // the server answers its saved result.  Network errors and 5xx retry with capped exponential
  // backoff.  A 4xx refusal never retries the same upload: a batch is split into single records
  // ("solo" mode up to its last record) so one bad record is marked as an error and the rest go.

  let syncing = false;
  let backoffMs = 0;
  let retryTimer = 0;

  async function countPending() {
    const [pending, errors] = await tx(['outbox'], 'readonly', (s) => Promise.all([
      done(s.outbox.index('state').count('pending')), done(s.outbox.index('state').count('error')),
    ]));
    S.pending = pending;
    S.errors = errors;
  }

  function syncSoon() {
    if (!retryTimer) setTimeout(syncNow, 0);
  }

  function scheduleRetry() {
    backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs ? backoffMs * 2 : 1000);
    const wait = backoffMs * (0.75 + Math.random() * 0.5); // jitter: devices do not retry in step
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => { retryTimer = 0; syncNow(); }, wait);
  }

  async function nextUpload() {
    const inflight = await kvGet('inflight');
    if (inflight) return inflight;
    const pending = await tx(['outbox'], 'readonly', (s) => done(s.outbox.index('state').getAll('pending', SYNC_BATCH)));
    if (!pending.length) return null;
    pending.sort((a, b) => a.seq - b.seq);
    const solo = await kvGet('solo_until');
    if (solo && pending[0].seq > solo) await kvDel('solo_until');
    const chosen = solo && pending[0].seq <= solo ? pending.slice(0, 1) : pending;
    const key = uuidv7();
    const upload = {
      key,
      seqs: chosen.map((e) => e.seq),
      body: JSON.stringify({ idempotency_key: key, device_id: S.deviceId, records: chosen.map((e) => e.record) }),
    };
    await kvSet('inflight', upload);
    return upload;
  }

  async function send(upload) {
    try {
      const res = await fetch(`${API}/sync`, {
        method: 'POST', body: upload.body, cache: 'no-store',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${S.auth.token}` },
      });
      const body = await res.json().catch(() => null);
      return { status: res.status, body };
    } catch {
      return { status: 0, body: null };
    }
  }

  async function syncNow() {
    if (syncing || !S.auth || !navigator.onLine) return;
    syncing = true;
    let touchedOpen = false;
    try {
      for (;;) {
        const upload = await nextUpload();
        if (!upload) break;
        const { status, body } = await send(upload);
        if (status === 401) return loginExpired();
        if (status === 200 && body && Array.isArray(body.results)) {
          await applyResults(upload, body.results);
        } else if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
          await refuse(upload, body || {});
        } else {
          scheduleRetry();
          return;
        }
        backoffMs = 0;
        touchedOpen = true;
      }
    } finally {
      syncing = false;
      await countPending();
      if (touchedOpen && S.bundle) {
        await refreshReviews();
        await reloadEntries();
        rerender();
      }
      renderStatus();
    }
    flushStock();
  }

  /** Marks each record by its result; a walk-in's full photo id is dropped once it is sent. */
  async function applyResults(upload, results) {
    const byId = new Map(results.map((r) => [r.client_id, r]));
    const now = Date.now();
    await tx(['outbox', 'kv'], 'readwrite', async (s) => {
      for (const seq of upload.seqs) {
        const e = await done(s.outbox.get(seq));
        const r = e && byId.get(e.client_id);
        if (!r) continue;
        e.result = r;
        e.state = r.outcome === 'review' ? 'review' : 'synced';
        const person = e.record.beneficiary || e.record.walk_in;
        if (person) person.photo_id_number = null;
        s.outbox.put(e);
      }
      s.kv.delete('inflight');
      s.kv.put(now, 'last_sync');
    });
    S.lastSync = now;
    banner('');
  }

  async function refuse(upload, body) {
    const message = `${body.errorCode || ''} ${body.error || ''}`.trim();
    await tx(['outbox', 'kv'], 'readwrite', async (s) => {
      if (upload.seqs.length > 1) {
        s.kv.put(Math.max(...upload.seqs), 'solo_until');
      } else {
        const e = await done(s.outbox.get(upload.seqs[0]));
        e.state = 'error';
        e.result = { code: body.errorCode || '', message: body.error || '' };
        s.outbox.put(e);
      }
      s.kv.delete('inflight');
    });
    banner(t('sync_refused', { message }));
  }

  // -------------------------------------------------------------------------------------------
  // Start

  async function start() {
    const fromUrl = new URLSearchParams(location.search).get('lang');
    setLang(fromUrl || localStorage.getItem('tika_site_lang') || document.documentElement.lang);
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.register('/site/sw.js', { scope: '/site/' }).catch(() => { /* the app still works online */ });
    }
    bindLogin();
    bindPerson();
    bindWalkIn();
    bindPrint();
    bindStock();
    $('lang-toggle').addEventListener('click', () => {
      setLang(S.lang === 'hi' ? 'en' : 'hi');
      if (S.bundle) {
        fillSessionForms();
        rerender();
      } else if (current() === 'sessions-view') {
        showSessions();
      }
      renderStatus();
    });
    $('session-list').addEventListener('click', (ev) => {
      const b = ev.target.closest('[data-open]');
      if (b) openSession(b.dataset.open);
    });
    $('back-sessions').addEventListener('click', showSessions);
    for (const b of document.querySelectorAll('.back')) b.addEventListener('click', () => show('session-view'));
    $('refresh').addEventListener('click', refreshBundle);
    $('search').addEventListener('input', applySearch);
    window.addEventListener('online', () => {
      backoffMs = 0;
      clearTimeout(retryTimer);
      retryTimer = 0;
      renderStatus();
      syncNow();
    });
    window.addEventListener('offline', renderStatus);

    S.deviceId = await kvGet('device_id');
    if (!S.deviceId) {
      S.deviceId = uuidv7();
      await kvSet('device_id', S.deviceId);
    }
    S.lastSync = (await kvGet('last_sync')) || 0;
    await countPending();
    const auth = await kvGet('auth');
    if (auth && auth.expires_at > Date.now()) S.auth = auth;
    if (!S.auth) {
      if (auth) banner(t('login_expired'));
      show('login-view');
    } else {
      const cur = await kvGet('current');
      const stored = cur && (await tx(['bundles'], 'readonly', (s) => done(s.bundles.get(cur))));
      if (stored) await openSession(cur);
      else await showSessions();
    }
    renderStatus();
    setInterval(tick, 1000);
    setInterval(() => { if (!retryTimer) syncNow(); }, SYNC_EVERY_MS);
    syncNow();
  }

  start();
})();
