/*
 * The JSON API from the browser, and small DOM helpers. The session is the
 * HttpOnly cookie the login set (scripts never see it); what the page
 * keeps, per tab, is the CSRF token every non-GET call echoes, the user
 * name and the role.
 */
'use strict';

const Session = {
  get: function () {
    try {
      return JSON.parse(sessionStorage.getItem('esignd.session') || 'null');
    } catch (e) {
      return null;
    }
  },
  set: function (s) {
    sessionStorage.setItem('esignd.session', JSON.stringify(s));
  },
  clear: function () {
    sessionStorage.removeItem('esignd.session');
  },
};

/* Called when a staff call answers 401: the session ended (app.js). */
let onSessionEnded = function () {};

/* How many api() calls are in flight (a test waits for 0). */
let apiPending = 0;

/* Each drawing of a part of the page is numbered: drawStart(part)
 * answers a function that says whether this drawing is still the latest,
 * so one that an awaited answer overtook (the part was asked for again
 * meanwhile: a second route(), a language switch) draws nothing. */
const drawing = {};

function drawStart(part) {
  const n = (drawing[part] || 0) + 1;
  drawing[part] = n;
  return function () { return drawing[part] === n; };
}

/*
 * api(method, path, body, opts) → {status, data}: data is the parsed
 * JSON, or a Blob for other answers. body: an object (sent as JSON) or
 * FormData. opts.pub: a public route (a 401 there is not a lost session).
 */
async function api(method, path, body, opts) {
  const s = Session.get();
  const init = { method: method, credentials: 'same-origin', headers: {} };
  let res;
  let data = null;

  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && s && s.csrf)
    init.headers['X-CSRF-Token'] = s.csrf;
  apiPending++;
  try {
    res = await fetch(path, init);
    if ((res.headers.get('Content-Type') || '').startsWith('application/json'))
      data = await res.json().catch(function () { return null; });
    else
      data = await res.blob();
  } catch (e) {
    return { status: 0, data: { error: { code: 'network', message: String(e) } } };
  } finally {
    apiPending--;
  }
  if (res.status === 401 && !(opts && opts.pub) && s) {
    Session.clear();
    onSessionEnded();
  }
  return { status: res.status, data: data };
}

/*
 * apiAll(path, member, latest) → every record of a paged list: GET path
 * (which has its query already), then the pages before it (next_before),
 * r.data[member] of each. {list}, {error: r} when a page failed, or null
 * when latest() says the page was left meanwhile.
 */
async function apiAll(path, member, latest) {
  let list = [], before = '';
  for (;;) {
    const r = await api('GET', path + (before ? '&before=' + encodeURIComponent(before) : ''));
    if (!latest())
      return null;
    if (r.status !== 200)
      return { error: r };
    list = r.data[member].concat(list);
    if (!r.data.next_before)
      return { list: list };
    before = r.data.next_before;
  }
}

/* The error message of an answer, for the person reading the page, as
 * nodes for append(): the page's words around the API's message, which
 * is English and marked so (lang="en"). */
function errText(r) {
  const e = r.data && r.data.error;
  const parts = t('error').split('{msg}');
  const msg = e ? h('span', { lang: 'en', text: e.message + ' (' + r.status + ' ' + e.code + ')' })
                : String(r.status);
  return [parts[0], msg, parts[1] || ''];
}

/* h('tag.class', {attr: v, onclick: f}, child...) with text children as
 * text nodes: nothing from the API is ever parsed as HTML. */
function h(spec, attrs) {
  if (attrs !== undefined && attrs !== null && (Array.isArray(attrs) ||
      attrs instanceof Node || typeof attrs !== 'object'))
    throw new TypeError('h(' + spec + '): the second argument is the attributes');
  const parts = spec.split('.');
  const el = document.createElement(parts[0]);
  if (parts.length > 1)
    el.className = parts.slice(1).join(' ');
  Object.keys(attrs || {}).forEach(function (k) {
    const v = attrs[k];
    if (v === undefined || v === null || v === false)
      return;
    if (k.startsWith('on'))
      el.addEventListener(k.slice(2), v);
    else if (k === 'text')
      el.textContent = v;
    else
      el.setAttribute(k, v === true ? '' : v);
  });
  for (let i = 2; i < arguments.length; i++)
    append(el, arguments[i]);
  return el;
}

/* append(el, child...): children as in h(). */
function append(el) {
  for (let i = 1; i < arguments.length; i++) {
    const c = arguments[i];
    if (c === undefined || c === null || c === false)
      continue;
    if (Array.isArray(c))
      c.forEach(function (x) { append(el, x); });
    else
      el.appendChild(typeof c === 'string' || typeof c === 'number'
        ? document.createTextNode(String(c)) : c);
  }
}

function clear(el) {
  while (el.firstChild)
    el.removeChild(el.firstChild);
  return el;
}

function $(id) {
  return document.getElementById(id);
}

/* A time (seconds since 1970, or an ISO 8601 string as the verify
 * report gives) as the browser's local date and time with its time zone,
 * one format on every page: "07/12/2026, 14.05.09 WIB". */
function when(v) {
  if (v === undefined || v === null || v === '' || v === 0)
    return '';
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  if (isNaN(d.getTime()))
    return String(v);
  return d.toLocaleString(LANG === 'en' ? 'en-GB' : 'id-ID', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
    minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
}

/* Saves text as a file the browser downloads. */
function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type: type || 'application/octet-stream' }));
  const a = h('a', { href: url, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
}

/*
 * Shows what an action will do and waits for the answer: resolves true
 * for "go ahead". extra: elements shown under the text (a reason field);
 * check(): a message when the extra input is not acceptable yet. risky:
 * an action that cannot be undone (an approval, a revocation): the focus
 * starts on "Cancel", so that Enter does not do it.
 */
function confirmAction(title, text, extra, check, risky) {
  const d = $('confirm');
  flash('');   /* the last action's banner is not this one's */
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  append(clear($('confirm-extra')), extra);
  return new Promise(function (resolve) {
    function onClose() {
      d.removeEventListener('close', onClose);
      resolve(d.returnValue === 'ok');
    }
    d.addEventListener('close', onClose);
    d.returnValue = '';
    d.showModal();
    const first = d.querySelector('#confirm-extra input, #confirm-extra textarea, #confirm-extra select');
    (first || (risky ? $('confirm-cancel') : $('confirm-ok'))).focus();
    $('confirm-ok').onclick = function (ev) {
      const msg = check ? check() : '';
      if (msg) {
        ev.preventDefault();
        $('confirm-text').textContent = text + ' ' + msg;
      }
    };
  });
}
