/*
 * The seal officer's page (activation), the audit log with its chain
 * status, and the SLA per week as an SVG chart drawn here.
 */
'use strict';

/* ---- seal officer ---- */

/* What the seal's record says of its activation and authenticator. */
function sealState(s) {
  const a = s.seal_activation;
  const lines = [];
  if (!a)
    lines.push(t('seal_state_none'));
  else if (a.expires * 1000 < Date.now())
    lines.push(t('seal_state_expired', { expires: when(a.expires) }));
  else
    lines.push(t('seal_state_active', { expires: when(a.expires), by: a.by }));
  if (s.authenticator)
    lines.push(t('seal_auth', { when: when(s.authenticator.enrolled), by: s.authenticator.by }));
  return lines.join(' ');
}

function sealCodeForm(id) {
  const act = h('input', { id: 'sc-act', maxlength: 11, autocomplete: 'off' });
  const otp = h('input', { id: 'sc-totp', maxlength: 6, inputmode: 'numeric', autocomplete: 'one-time-code' });
  const n = h('input', { id: 'sc-docs', type: 'number', min: 1, value: 10 });
  const msg = h('p.msg', { id: 'sc-msg', role: 'status', 'aria-live': 'polite' });
  const form = h('form.card', { id: 'seal-code-form' },
    h('h2', { text: t('seal_code_title') }),
    h('label', { for: 'sc-act', text: t('f_act_code') }), act,
    h('label', { for: 'sc-totp', text: t('f_totp_code') }), otp,
    h('label', { for: 'sc-docs', text: t('f_documents') }), n,
    h('button', { type: 'submit', text: t('seal_code_get') }), msg);
  form.addEventListener('submit', async function (ev) {
    ev.preventDefault();
    const body = { documents: String(parseInt(n.value, 10) || 1) };
    if (act.value.trim())
      body.activation_code = act.value.trim().toUpperCase();
    else if (otp.value.trim())
      body.totp = otp.value.trim();
    else
      return setMsg(msg, t('seal_code_need'), 'bad');
    if (!await confirmAction(t('seal_code_get'), tn('what_seal_code', Number(body.documents))))
      return;
    const r = await api('POST', '/v1/ra/seals/' + encodeURIComponent(id) + '/codes', body);
    act.value = otp.value = '';
    if (r.status === 201)
      setMsg(msg, tn('seal_code_ok', r.data.documents, { code: r.data.seal_code,
                                                         expires: when(r.data.expires) }), 'good');
    else
      setMsg(msg, errText(r), 'bad');
  });
  return form;
}

async function sealEnrol(id) {
  if (!await confirmAction(t('seal_totp_enrol'), t('what_seal_totp', { id: id }), null, null, true))
    return;
  const r = await api('POST', '/v1/ra/seals/' + encodeURIComponent(id) + '/totp');
  const out = clear($('seal-enrol'));
  if (r.status !== 201)
    return append(out, h('p.msg.bad', {}, errText(r)));
  append(out, h('div.card', {},
    h('img', { id: 'seal-qr', src: 'data:image/png;base64,' + r.data.qr_png,
               alt: t('enrol_qr_alt'), width: 240, height: 240 }),
    h('p', { text: t('enrol_secret') }),
    h('p', {}, h('code.secret', { id: 'seal-secret', text: r.data.secret })),
    h('p', {}, h('code.uri', { text: r.data.uri }))));
}

/* A seal officer picks one of their own seals; other staff type or pick
 * any seal (a list of the seals, by id and name). */
function sealOfficer() {
  const s = Session.get();
  return !!s && s.role === 'officer';
}

function sealPageShow() {
  const officer = sealOfficer();
  const pick = $('seal-pick');
  const cur = pick.value;
  const seals = officer ? Session.get().seals || [] : [];

  $('seal-id-field').hidden = officer;
  $('seal-id').required = !officer;
  $('seal-pick-field').hidden = !officer;
  clear(pick);
  seals.forEach(function (id) {
    append(pick, h('option', { value: id, text: id }));
  });
  if (seals.indexOf(cur) >= 0)
    pick.value = cur;
  if (officer && seals.length > 0)
    sealShow();
  if (!officer)
    sealList();
  /* The login names the seals by id; each one's name comes with it. */
  if (seals.length > 1)
    seals.forEach(sealName);
}

/* The seals for the seal field's list: id as the value, the name beside. */
async function sealList() {
  const latest = drawStart('seal-list');
  const all = await apiAll('/v1/ra/subscribers?kind=seal&limit=500', 'subscribers', latest);
  if (!all || all.error)
    return;
  append(clear($('seal-list')), all.list.map(function (s) {
    return h('option', { value: s.id, label: s.name + ' · ' + stateWord(s.status) });
  }));
}

/* What was typed in the seal field as a seal id: an id, or a name of the
 * list (exactly one seal of that name). */
function sealTyped() {
  const v = $('seal-id').value.trim();
  const byName = Array.prototype.filter.call($('seal-list').options, function (o) {
    return o.value === v || o.label.split(' · ')[0] === v;
  });
  return byName.length === 1 ? byName[0].value : v;
}

async function sealName(id) {
  const r = await api('GET', '/v1/ra/subscribers/' + encodeURIComponent(id));
  if (r.status === 200)
    sealLabel(r.data);
}

function sealLabel(s) {
  Array.prototype.forEach.call($('seal-pick').options, function (o) {
    if (o.value === s.id)
      o.textContent = s.name + ' (' + s.id + ')';
  });
}

async function sealShow(ev) {
  if (ev)
    ev.preventDefault();
  const officer = sealOfficer();
  const id = officer ? $('seal-pick').value : sealTyped();
  const latest = drawStart('seal');
  const out = clear($('seal-out'));
  const r = await api('GET', '/v1/ra/subscribers/' + encodeURIComponent(id));
  if (!latest())
    return;
  if (r.status !== 200 || r.data.kind !== 'seal') {
    append(out, h('p.msg.bad', {}, r.status === 200 || r.status === 404
      ? t('seal_unknown', { id: id }) : errText(r)));
    return;
  }
  const s = r.data;
  const off = s.status !== 'active';
  /* What the officer may do now (policy/seal.c): revoke an activation
   * there is; get a seal code while one is live. */
  const act = s.seal_activation;
  const live = !!act && act.expires * 1000 > Date.now();
  sealLabel(s);
  append(out, h('dl.card', { id: 'seal-detail', 'data-status': s.status },
    row('c_id', s.id), row('f_name', s.name), row('c_status', stateWord(s.status)),
    row('f_officer_email', s.email), row('k_serial', s.serial),
    row('c_expires', when(s.expires))),
  h('p.msg', { id: 'seal-state', role: 'status', text: sealState(s),
               'data-active': s.seal_activation ? 'true' : 'false' }),
  officer ? h('div.buttons', {},
    h('button', { type: 'button', id: 'seal-activate', text: t('seal_activate'),
      disabled: off, onclick: function () { sealAct(s.id, 'POST'); } }),
    h('button.secondary', { type: 'button', id: 'seal-enrol-btn', text: t('seal_totp_enrol'),
      disabled: off, onclick: function () { sealEnrol(s.id); } }),
    h('button.danger', { type: 'button', id: 'seal-deactivate', text: t('seal_deactivate'),
      disabled: !act, onclick: function () { sealAct(s.id, 'DELETE'); } }))
    : h('p.note', { id: 'seal-officer-only', text: t('seal_officer_only') }),
  h('div', { id: 'seal-enrol', 'aria-live': 'polite' }),
  officer && !off && live ? sealCodeForm(s.id) : null);
}

async function sealAct(id, method) {
  const what = method === 'POST' ? 'what_seal_activate' : 'what_seal_deactivate';
  if (!await confirmAction(t(method === 'POST' ? 'seal_activate' : 'seal_deactivate'),
    t(what, { id: id }), null, null, true))
    return;
  const r = await api(method, '/v1/ra/seals/' + encodeURIComponent(id) + '/activation');
  if (r.status !== 200)
    return flash(errText(r), 'bad');
  flash(method === 'POST' ? t('seal_active_until', { expires: when(r.data.expires),
                                                     sent_to: r.data.sent_to })
                          : t('seal_deactivated'), 'good');
  await sealShow();
}

/* ---- audit ---- */

async function auditChain() {
  const latest = drawStart('audit-chain');
  const el = $('audit-chain');
  const r = await api('GET', '/v1/audit/verify');
  if (!latest())
    return;
  if (r.status !== 200)
    return setMsg(el, errText(r), 'bad');
  el.dataset.ok = r.data.ok ? 'true' : 'false';
  if (r.data.ok)
    setMsg(el, t('audit_ok', r.data), 'good');
  else
    setMsg(el, t('audit_bad', {
      detail: JSON.stringify(r.data) }), 'bad');
}

async function auditShow(ev) {
  if (ev && ev.preventDefault)
    ev.preventDefault();
  const latest = drawStart('audit');
  const out = clear($('audit-out'));
  const q = $('audit-q').value.trim().toLowerCase();
  const since = Math.max(1, parseInt($('audit-since').value, 10) || 1);
  auditChain();
  const r = await api('GET', '/v1/audit?since=' + since + '&limit=500');
  if (!latest())
    return;
  if (r.status !== 200) {
    append(out, h('p.msg.bad', {}, errText(r)));
    return;
  }
  const recs = r.data.records.filter(function (x) {
    return !q || [x.action, x.actor, x.target, x.result].join(' ').toLowerCase().indexOf(q) >= 0;
  });
  append(out, h('table.list', { id: 'audit-table' },
    h('thead', {}, h('tr', {}, ['a_seq', 'a_time', 'a_actor', 'a_action', 'a_target', 'a_result']
      .map(function (k) { return h('th', { scope: 'col', text: t(k) }); }))),
    h('tbody', {}, recs.reverse().map(function (x) {
      return h('tr', {},
        h('td', { 'data-label': t('a_seq') }, x.seq),
        h('td', { 'data-label': t('a_time') }, when(x.time)),
        h('td', { 'data-label': t('a_actor') }, x.actor),
        h('td', { 'data-label': t('a_action') }, x.action),
        h('td', { 'data-label': t('a_target') }, x.target || ''),
        h('td', { 'data-label': t('a_result') }, x.result));
    }))));
}

/* ---- SLA ---- */

function ymd(d) {
  return d.toISOString().slice(0, 10);
}

/* The Mondays (UTC) of the last n weeks, oldest first. */
function mondays(n) {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  const out = [];
  for (let i = n - 1; i >= 0; i--)
    out.push(new Date(d.getTime() - i * 7 * 86400000));
  return out;
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
  if (text !== undefined)
    el.textContent = text;
  return el;
}

/* A stacked bar per week: met, breached, open. */
function slaChart(weeks) {
  const W = 640, H = 260, left = 36, bottom = 40, top = 12;
  const max = Math.max(1, ...weeks.map(function (w) { return w.met + w.breached + w.open; }));
  const bw = (W - left - 8) / weeks.length;
  const scale = (H - bottom - top) / max;
  const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', id: 'sla-svg',
                            'aria-labelledby': 'sla-svg-title' });
  root.appendChild(svg('title', { id: 'sla-svg-title' }, t('sla_chart')));
  for (let g = 0; g <= 4; g++) {
    const v = Math.round(max * g / 4);
    const y = H - bottom - v * scale;
    root.appendChild(svg('line', { x1: left, x2: W - 4, y1: y, y2: y, class: 'grid' }));
    root.appendChild(svg('text', { x: left - 4, y: y + 4, class: 'axis', 'text-anchor': 'end' }, String(v)));
  }
  weeks.forEach(function (w, i) {
    let y = H - bottom;
    const x = left + i * bw + bw * 0.15;
    ['met', 'breached', 'open'].forEach(function (k) {
      const hgt = w[k] * scale;
      if (!w[k])
        return;
      y -= hgt;
      const r = svg('rect', { x: x, y: y, width: bw * 0.7, height: hgt, class: 'bar-' + k });
      r.appendChild(svg('title', {}, t('sla_week', { day: w.from }) + ': ' + w[k] + ' ' + t('sla_' + k)));
      root.appendChild(r);
    });
    root.appendChild(svg('text', { x: x + bw * 0.35, y: H - bottom + 16, class: 'axis',
                                   'text-anchor': 'middle' }, w.from.slice(5)));
  });
  return root;
}

async function slaShow(ev) {
  if (ev && ev.preventDefault)
    ev.preventDefault();
  const n = Math.min(26, Math.max(1, parseInt($('sla-weeks').value, 10) || 8));
  const latest = drawStart('sla');
  const out = clear($('sla-out'));
  const weeks = await Promise.all(mondays(n).map(async function (m) {
    const to = new Date(m.getTime() + 6 * 86400000);
    const r = await api('GET', '/v1/ra/sla?from=' + ymd(m) + '&to=' + ymd(to));
    const w = { from: ymd(m), met: 0, breached: 0, open: 0, ok: r.status === 200, r: r };
    if (w.ok)
      Object.keys(r.data.services).forEach(function (k) {
        w.met += r.data.services[k].met;
        w.breached += r.data.services[k].breached;
        w.open += r.data.services[k].open;
      });
    return w;
  }));
  if (!latest())
    return;
  const bad = weeks.find(function (w) { return !w.ok; });
  if (bad) {
    append(out, h('p.msg.bad', {}, errText(bad.r)));
    return;
  }
  append(out, h('figure.card', {}, slaChart(weeks),
    h('figcaption.legend', {}, ['met', 'breached', 'open'].map(function (k) {
      return h('span.key.' + k, { text: t('sla_' + k) });
    }))),
  h('table.list', { id: 'sla-table' },
    h('thead', {}, h('tr', {}, [h('th', { scope: 'col', text: t('sla_week_col') }),
      ['met', 'breached', 'open'].map(function (k) { return h('th', { scope: 'col', text: t('sla_' + k) }); })])),
    h('tbody', {}, weeks.map(function (w) {
      return h('tr', {}, h('td', { text: t('sla_week', { day: w.from }) }),
        h('td', { text: w.met }), h('td', { text: w.breached }), h('td', { text: w.open }));
    }))));
}

function reportsInit() {
  $('seal-form').addEventListener('submit', sealShow);
  $('seal-pick').addEventListener('change', sealShow);
  $('audit-form').addEventListener('submit', auditShow);
  $('sla-form').addEventListener('submit', slaShow);
}
