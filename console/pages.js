/*
 * The registration authority's pages: the verifier queue (approve or
 * reject, each saying first what it will do), registration of an
 * individual or a seal, and certificates (search, detail, renew, revoke,
 * download). Everything through /v1/ra (docs/ra.md).
 */
'use strict';

const REVOKE_REASONS = ['unspecified', 'keyCompromise', 'affiliationChanged',
  'superseded', 'cessationOfOperation', 'privilegeWithdrawn'];

/* A subscriber's or certificate's state in the page's language. */
function stateWord(s) {
  return I18N[LANG]['st_' + s] ? t('st_' + s) : s;
}

/* text: a string, or nodes as append() takes them (errText()). */
function setMsg(el, text, cls) {
  append(clear(el), text);
  el.className = 'msg ' + (cls || '');
}

/* ---- verifier queue ---- */

/* The sentence that says what approving a request does. */
function approveText(req) {
  const sub = req.subscriber_record || {};
  const vars = { name: sub.name, nik: sub.nik, email: sub.email,
                 reason: req.reason || req.reason_code };
  if (req.type === 'register')
    return t('what_approve_register_' + (sub.kind === 'seal' ? 'seal' : 'individual'), vars);
  return t('what_approve_' + req.type, vars);
}

async function decide(req, verb) {
  const sub = req.subscriber_record || {};
  const reason = h('textarea', { id: 'reject-reason', rows: 3, maxlength: 500 });
  const extra = verb === 'reject'
    ? [h('label', { for: 'reject-reason', text: t('f_reason') }), reason] : null;
  const text = verb === 'approve' ? approveText(req)
    : t('what_reject', { type: t('t_' + req.type), name: sub.name, reason: '…' });
  const ok = await confirmAction(t(verb) + ' · ' + req.id, text, extra, function () {
    return verb === 'reject' && !reason.value.trim() ? t('reason_needed') : '';
  }, true);
  if (!ok)
    return;
  const r = await api('POST', '/v1/ra/requests/' + encodeURIComponent(req.id) + '/' + verb,
    verb === 'reject' ? { reason: reason.value.trim() } : undefined);
  if (r.status === 200)
    flash(t('done') + ' ' + req.id + ': ' + r.data.request.state, 'good');
  else
    flash(errText(r), 'bad');
  queueShow();
}

async function letter(sha) {
  const r = await api('GET', '/v1/ra/letters/' + encodeURIComponent(sha));
  if (r.status === 200)
    download('letter-' + sha.slice(0, 12) + '.pdf', r.data, 'application/pdf');
  else
    flash(errText(r), 'bad');
}

function queueRow(req) {
  const sub = req.subscriber_record || {};
  const me = (Session.get() || {}).user;
  const mine = req.created_by === 'user:' + me;
  return h('tr', { 'data-request': req.id, 'data-subscriber': req.subscriber },
    h('td', { 'data-label': t('q_type') }, t('t_' + req.type) + ' · ' + t('s_' + req.service)),
    h('td', { 'data-label': t('q_subject') },
      h('strong', { text: sub.name || req.subscriber }), h('br'),
      h('small', { text: req.subscriber + (sub.nik ? ' · NIK ' + sub.nik : '') +
                         (sub.email ? ' · ' + sub.email : '') })),
    h('td', { 'data-label': t('q_by') }, req.created_by),
    h('td', { 'data-label': t('q_when') }, when(req.created)),
    h('td.actions', { 'data-label': t('q_actions') },
      sub.letter_sha256 ? [
        h('a.button.secondary.view-letter', { href: '/v1/ra/letters/' + encodeURIComponent(sub.letter_sha256),
          target: '_blank', rel: 'noopener', text: t('q_letter_view') }),
        h('button.secondary', { type: 'button', text: t('q_letter'),
          onclick: function () { letter(sub.letter_sha256); } })] : null,
      req.state === 'pending' ? [
        h('button.approve', { type: 'button', text: t('approve'), disabled: mine,
          onclick: function () { decide(req, 'approve'); } }),
        h('button.danger.reject', { type: 'button', text: t('reject'), disabled: mine,
          onclick: function () { decide(req, 'reject'); } })]
        : h('span.decided', { text: stateWord(req.state) + ' · ' +
            t('q_decided', { by: req.decided_by || '', when: when(req.decided_at) }) +
            (req.reason ? ' · ' + req.reason : '') })));
}

async function queueShow(ev) {
  if (ev && ev.preventDefault)
    ev.preventDefault();
  const latest = drawStart('queue');
  const out = clear($('queue-out'));
  append(out, h('p', { text: t('loading') }));
  const state = $('queue-state').value || 'pending';
  /* Every request of the state, page by page. */
  const all = await apiAll('/v1/ra/requests?limit=200&state=' + encodeURIComponent(state),
                           'requests', latest);
  if (!all)
    return;
  if (all.error) {
    append(clear(out), h('p.msg.bad', {}, errText(all.error)));
    return;
  }
  const reqs = all.list;
  /* Each with its subscriber, to say what a decision does. */
  const full = await Promise.all(reqs.map(async function (q) {
    const d = await api('GET', '/v1/ra/requests/' + encodeURIComponent(q.id));
    return d.status === 200 ? d.data : q;
  }));
  if (!latest())
    return;
  clear(out);
  if (!full.length) {
    append(out, h('p', { text: t('none') }));
    return;
  }
  append(out, h('table.list', { id: 'queue-table' },
    h('thead', {}, h('tr', {}, ['q_type', 'q_subject', 'q_by', 'q_when', 'q_actions']
      .map(function (k) { return h('th', { scope: 'col', text: t(k) }); }))),
    h('tbody', {}, full.map(queueRow))));
}

/* ---- registration ---- */

async function registerIndividual(ev) {
  ev.preventDefault();
  const body = { name: $('ri-name').value.trim(), nik: $('ri-nik').value.trim(),
                 email: $('ri-email').value.trim(), unit: $('ri-unit').value.trim(),
                 lang: $('ri-lang').value };
  if ($('ri-org').value.trim())
    body.org = $('ri-org').value.trim();
  if (!await confirmAction(t('reg_individual'), t('what_register_individual', body)))
    return;
  const r = await api('POST', '/v1/ra/individuals', body);
  registered(r, $('reg-ind'));
}

function readBase64(file) {
  return new Promise(function (resolve, reject) {
    const fr = new FileReader();
    fr.onload = function () { resolve(String(fr.result).replace(/^data:[^,]*,/, '')); };
    fr.onerror = function () { reject(fr.error); };
    fr.readAsDataURL(file);
  });
}

async function registerSeal(ev) {
  ev.preventDefault();
  const file = $('rs-letter').files[0];
  const body = { name: $('rs-name').value.trim(), email: $('rs-email').value.trim(),
                 lang: $('rs-lang').value };
  if ($('rs-org').value.trim())
    body.org = $('rs-org').value.trim();
  if (!file || !await confirmAction(t('reg_seal'), t('what_register_seal',
    { name: body.name, email: body.email, file: file.name })))
    return;
  body.letter = await readBase64(file);
  const r = await api('POST', '/v1/ra/seals', body);
  registered(r, $('reg-seal'));
}

function registered(r, form) {
  if (r.status === 201) {
    setMsg($('reg-msg'), t('reg_ok', { subscriber: r.data.subscriber.id,
                                        request: r.data.request.id }), 'good');
    $('reg-msg').dataset.subscriber = r.data.subscriber.id;
    form.reset();
    nikCheck(false);
  } else {
    setMsg($('reg-msg'), errText(r), 'bad');
  }
}

/* ---- certificates ---- */

/* What the certificates page shows, drawn again when the language
 * changes: the search's results, a subscriber's detail. */
const certsShown = { search: false, detail: null };

function certsRelang() {
  const detail = certsShown.detail;
  if (certsShown.search)
    certsSearch();
  if (detail)
    subscriberDetail(detail, true);
}

async function certsSearch(ev) {
  if (ev)
    ev.preventDefault();
  certsShown.search = true;
  certsShown.detail = null;
  const latest = drawStart('certs');
  const out = clear($('certs-out'));
  const serial = $('certs-serial').value.trim();
  clear($('cert-detail'));
  if (serial) {
    const c = await api('GET', '/v1/ra/certs/' + encodeURIComponent(serial));
    if (!latest())
      return;
    if (c.status !== 200) {
      append(out, h('p.msg.bad', {}, errText(c)));
      return;
    }
    if (c.data.subscriber)
      return subscriberDetail(c.data.subscriber);
    append(out, certCard(c.data));
    return;
  }
  const q = $('certs-q').value.trim();
  /* Every match, page by page, as the queue. */
  const all = await apiAll('/v1/ra/subscribers?limit=200' + (q ? '&q=' + encodeURIComponent(q) : ''),
                           'subscribers', latest);
  if (!all)
    return;
  if (all.error) {
    append(out, h('p.msg.bad', {}, errText(all.error)));
    return;
  }
  const subs = all.list;
  if (!subs.length) {
    append(out, h('p', { text: t('none') }));
    return;
  }
  append(out, h('table.list', { id: 'certs-table' },
    h('thead', {}, h('tr', {}, ['c_id', 'f_name', 'c_kind', 'c_status', 'c_expires', 'k_serial']
      .map(function (k) { return h('th', { scope: 'col', text: t(k) }); }))),
    h('tbody', {}, subs.map(function (s) {
      return h('tr', { 'data-subscriber': s.id },
        h('td', { 'data-label': t('c_id') }, h('button.link', { type: 'button', text: s.id,
          onclick: function () { subscriberDetail(s.id); } })),
        h('td', { 'data-label': t('f_name') }, s.name),
        h('td', { 'data-label': t('c_kind') }, t('s_' + s.kind)),
        h('td.status', { 'data-label': t('c_status') }, stateWord(s.status)),
        h('td', { 'data-label': t('c_expires') }, when(s.expires)),
        h('td.serial', { 'data-label': t('k_serial') }, s.serial || ''));
    }))));
}

/* DER bytes as PEM text. */
function pemOf(buf, what) {
  const b = new Uint8Array(buf);
  let bin = '';
  for (let i = 0; i < b.length; i++)
    bin += String.fromCharCode(b[i]);
  const b64 = btoa(bin).replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return '-----BEGIN ' + what + '-----\n' + b64 + '\n-----END ' + what + '-----\n';
}

/* One DER element at off: its tag and where its content starts and ends. */
function tlv(b, off) {
  let len = b[off + 1];
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++)
      len = len * 256 + b[p++];
  }
  return { tag: b[off], start: p, end: p + len };
}

/* A DER certificate's serial number as the store writes it (lower-case
 * hex, no leading zero bytes): Certificate → tbsCertificate →
 * [0] version (optional) → serialNumber. */
function serialOf(der) {
  const b = new Uint8Array(der);
  const tbs = tlv(b, tlv(b, 0).start);
  let f = tlv(b, tbs.start);
  let hex = '';
  if (f.tag === 0xa0)
    f = tlv(b, f.end);
  let i = f.start;
  while (i < f.end - 1 && b[i] === 0)
    i++;
  for (; i < f.end; i++)
    hex += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return hex;
}

/* The CA certificates above a certificate, issuer first, up to the one
 * that issued itself: each from /ca/{label}.crt, the next label from its
 * record in the store. */
async function chainPem(issuer) {
  let text = '';
  let label = issuer;
  for (let depth = 0; label && depth < 4; depth++) {
    const ca = await fetch('/ca/' + encodeURIComponent(label) + '.crt');
    if (!ca.ok)
      break;
    const der = await ca.arrayBuffer();
    text += pemOf(der, 'CERTIFICATE');
    const rec = await api('GET', '/v1/ra/certs/' + serialOf(der));
    if (rec.status !== 200 || !rec.data.issuer || rec.data.issuer === rec.data.key)
      break;
    label = rec.data.issuer;
  }
  return text;
}

async function downloadCert(serial, withChain) {
  const c = await api('GET', '/v1/ra/certs/' + encodeURIComponent(serial));
  if (c.status !== 200)
    return flash(errText(c), 'bad');
  let text = c.data.pem;
  if (withChain && c.data.issuer)
    text += await chainPem(c.data.issuer);
  download(serial + (withChain ? '-chain' : '') + '.pem', text, 'application/x-pem-file');
}

function certCard(c) {
  return h('div.card.cert', { 'data-serial': c.serial, 'data-status': c.status },
    h('dl', {},
      row('k_serial', c.serial), row('k_signer', c.subject),
      row('k_issuer', c.issuer), row('c_status', stateWord(c.status)),
      row('c_expires', when(c.not_after)),
      row('f_revoke_reason', c.revocation_reason || c.reason)),
    h('div.buttons', {},
      h('button.secondary', { type: 'button', text: t('download_cert'),
        onclick: function () { downloadCert(c.serial, false); } }),
      h('button.secondary', { type: 'button', text: t('download_chain'),
        onclick: function () { downloadCert(c.serial, true); } })));
}

async function askRenewRevoke(sub, verb) {
  let sel = null;
  if (verb === 'revoke')
    sel = h('select', { id: 'revoke-reason' }, REVOKE_REASONS.map(function (r) {
      return h('option', { value: r, text: r });
    }));
  const extra = sel ? [h('label', { for: 'revoke-reason', text: t('f_revoke_reason') }), sel] : null;
  const text = t('what_' + verb, { name: sub.name, id: sub.id, reason: '…' });
  if (!await confirmAction(t(verb), text, extra, null, verb === 'revoke'))
    return;
  const r = await api('POST', '/v1/ra/subscribers/' + encodeURIComponent(sub.id) + '/' + verb,
    verb === 'revoke' ? { reason: sel.value } : undefined);
  if (r.status === 201)
    flash(t('req_ok', { request: r.data.request.id }), 'good');
  else
    flash(errText(r), 'bad');
  subscriberDetail(sub.id);
}

async function subscriberDetail(id, keepFocus) {
  const latest = drawStart('cert-detail');
  certsShown.detail = id;
  const out = clear($('cert-detail'));
  const r = await api('GET', '/v1/ra/subscribers/' + encodeURIComponent(id));
  if (!latest())
    return;
  if (r.status !== 200) {
    append(out, h('p.msg.bad', {}, errText(r)));
    return;
  }
  const s = r.data;
  append(out, h('h2', { id: 'detail-title', tabindex: -1, text: t('detail') + ': ' + s.name }),
    h('dl.card', { id: 'subscriber-detail', 'data-status': s.status },
      row('c_id', s.id), row('c_kind', t('s_' + s.kind)),
      row('c_status', stateWord(s.status)), row('f_nik', s.nik), row('f_email', s.email),
      row('f_unit', s.unit), row('f_org', s.org), row('k_serial', s.serial),
      row('c_expires', when(s.expires))),
    s.status === 'active' ? h('div.buttons', {},
      h('button', { type: 'button', id: 'renew', text: t('renew'),
        onclick: function () { askRenewRevoke(s, 'renew'); } }),
      h('button.danger', { type: 'button', id: 'revoke', text: t('revoke'),
        onclick: function () { askRenewRevoke(s, 'revoke'); } })) : null,
    h('h3', { text: t('nav_certs') }),
    (s.certificates || []).map(certCard));
  if (!keepFocus)
    $('detail-title').focus();
}

/* The NIK's own message, in the page's language, under the field and as
 * the field's validation message (the browser's says only "match the
 * requested format"). */
function nikCheck(show) {
  const nik = $('ri-nik');
  const bad = !/^[0-9]{16}$/.test(nik.value);
  nik.setCustomValidity(bad ? t('nik_invalid') : '');
  nik.setAttribute('aria-invalid', bad && show ? 'true' : 'false');
  $('ri-nik-msg').textContent = t('nik_invalid');
  $('ri-nik-msg').hidden = !(bad && show);
}

function pagesInit() {
  $('ri-nik').addEventListener('invalid', function () { nikCheck(true); });
  $('ri-nik').addEventListener('input', function () { nikCheck(!$('ri-nik-msg').hidden); });
  $('ri-nik').addEventListener('blur', function () {
    if ($('ri-nik').value)
      nikCheck(true);
  });
  nikCheck(false);
  $('queue-form').addEventListener('submit', queueShow);
  $('reg-ind').addEventListener('submit', registerIndividual);
  $('reg-seal').addEventListener('submit', registerSeal);
  $('certs-form').addEventListener('submit', certsSearch);
  reportsInit();
}
