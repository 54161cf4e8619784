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
  try {
    res = await fetch(path, init);
  } catch (e) {
    return { status: 0, data: { error: { code: 'network', message: String(e) } } };
  }
  if ((res.headers.get('Content-Type') || '').startsWith('application/json'))
    data = await res.json().catch(function () { return null; });
  else
    data = await res.blob();
  if (res.status === 401 && !(opts && opts.pub) && s) {
    Session.clear();
    onSessionEnded();
  }
  return { status: res.status, data: data };
}

/* The error message of an answer, for the person reading the page. */
function errText(r) {
  const e = r.data && r.data.error;
  return t('error', { msg: e ? e.message + ' (' + r.status + ' ' + e.code + ')'
                              : String(r.status) });
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

/* Seconds since 1970 as a local date and time. */
function when(sec) {
  if (!sec)
    return '';
  return new Date(sec * 1000).toLocaleString(LANG === 'en' ? 'en-GB' : 'id-ID');
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
 * check(): a message when the extra input is not acceptable yet.
 */
function confirmAction(title, text, extra, check) {
  const d = $('confirm');
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
    (first || $('confirm-ok')).focus();
    $('confirm-ok').onclick = function (ev) {
      const msg = check ? check() : '';
      if (msg) {
        ev.preventDefault();
        $('confirm-text').textContent = text + ' ' + msg;
      }
    };
  });
}
