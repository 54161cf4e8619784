/*
 * The console's frame: pages by URL fragment (#verify, #queue, …), the
 * language switch, the login (password, first-login change and
 * authenticator enrolment, TOTP), logout and the public activation page.
 */
'use strict';

/* Pages, and the staff roles that use them (none: a public page): the
 * menu offers a login only these. A seal officer's login uses the seal
 * officer page only; the audit log is the admin's (the API answers a
 * verifier 403). */
const RA_STAFF = ['verifier', 'admin'];
const PAGES = {
  login: { staff: null },
  verify: { staff: null, init: verifyInit, relang: verifyRelang },
  activate: { staff: null, show: activateShow },
  queue: { staff: RA_STAFF, show: queueShow },
  register: { staff: RA_STAFF },
  certs: { staff: RA_STAFF, relang: certsRelang },
  seal: { staff: RA_STAFF.concat('officer'), show: sealPageShow },
  audit: { staff: ['admin'], show: auditShow },
  staff: { staff: ['admin'], show: staffShow, init: staffInit },
  sla: { staff: RA_STAFF, show: slaShow },
};

/* Whether session s may use page name. */
function mayUse(name, s) {
  return !PAGES[name].staff || (!!s && PAGES[name].staff.indexOf(s.role) >= 0);
}

/* Where a login lands. */
function home(s) {
  return s.role === 'admin' ? 'audit' : s.role === 'officer' ? 'seal' : 'queue';
}

/* msg: a string, or nodes as append() takes them (errText()). */
function flash(msg, cls) {
  const f = $('flash');
  append(clear(f), msg || '');
  f.className = 'flash ' + (cls || '');
  f.hidden = !msg;
}

/* "#activate?subscriber=…&code=…" → {page, args} */
function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const page = (q < 0 ? raw : raw.slice(0, q)) || '';
  return { page: page, args: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

function frame() {
  const s = Session.get();
  document.body.classList.toggle('signed-in', !!s);
  $('who').textContent = s ? t('signed_in_as', { user: s.user, role: t('role_' + s.role) }) : '';
  /* The menu offers what the login may use. */
  document.querySelectorAll('#nav a').forEach(function (a) {
    const p = a.getAttribute('href').slice(1);
    if (PAGES[p] && PAGES[p].staff)
      a.parentNode.hidden = !!s && !mayUse(p, s);
  });
  document.querySelectorAll('.lang button').forEach(function (b) {
    b.setAttribute('aria-pressed', b.dataset.lang === LANG ? 'true' : 'false');
  });
}

/* Shows page name: through the URL fragment (its hashchange draws the
 * page, once), or by drawing it when the fragment already names it. */
function goPage(name) {
  if (location.hash === '#' + name)
    route(true);
  else
    location.hash = '#' + name;
}

let currentPage = 'verify';

/* Draws the page the fragment names. moveFocus: a navigation (a menu
 * link, a login, a logout): the keyboard continues at the new page's
 * heading, not on the link or on BODY. */
function route(moveFocus) {
  const s = Session.get();
  const hp = parseHash();
  let name = PAGES[hp.page] ? hp.page : (s ? home(s) : 'verify');

  if (PAGES[name].staff && !s)
    name = 'login';
  else if (!mayUse(name, s))
    name = home(s);
  Object.keys(PAGES).forEach(function (p) {
    $('page-' + p).hidden = p !== name;
  });
  document.querySelectorAll('#nav a').forEach(function (a) {
    if (a.getAttribute('href') === '#' + name)
      a.setAttribute('aria-current', 'page');
    else
      a.removeAttribute('aria-current');
  });
  frame();
  currentPage = name;
  if (PAGES[name].show)
    PAGES[name].show(hp.args);
  document.title = t('nav_' + name) + ' · esignd';
  if (moveFocus === true) {
    const heading = $('h-' + name);
    heading.tabIndex = -1;
    heading.focus();
  }
}

/* ---- login ---- */

let loginStage = 'password';   /* or 'change' (first login) */

function loginMsg(text, cls) {
  append(clear($('login-msg')), text || '');
  $('login-msg').className = 'msg ' + (cls || '');
}

const LOGIN_FIELDS = ['login-name', 'login-password', 'login-new', 'login-new2', 'login-totp'];

/* Marks the fields a login error is about (aria-invalid), tied to the
 * message that says why (aria-describedby); the others unmarked. */
function loginInvalid(ids) {
  LOGIN_FIELDS.forEach(function (id) {
    const bad = ids.indexOf(id) >= 0;
    $(id).setAttribute('aria-invalid', bad ? 'true' : 'false');
    if (bad)
      $(id).setAttribute('aria-describedby', 'login-msg');
    else
      $(id).removeAttribute('aria-describedby');
  });
}

/* Shows or hides the new-password fields of a first login. A first
 * login has no authenticator yet: its code is asked for after the
 * enrolment, not before. */
function loginChange(on) {
  loginStage = on ? 'change' : 'password';
  $('login-change').hidden = !on;
  $('login-totp-field').hidden = on;
  $('login-new').required = $('login-new2').required = on;
  if (!on)
    $('login-new').value = $('login-new2').value = '';
}

function showEnrol(totp) {
  $('enrol-qr').src = 'data:image/png;base64,' + totp.qr_png;
  $('enrol-qr').alt = t('enrol_qr_alt');
  $('enrol-secret').textContent = totp.secret;
  $('enrol-uri').textContent = totp.uri;
  $('login-form').hidden = true;
  $('enrol').hidden = false;
  /* From now on the code is needed, and nothing else is said of it. */
  $('login-totp-label').dataset.i18n = 'f_totp_now';
  $('login-totp-label').textContent = t('f_totp_now');
  $('login-totp').required = true;
  $('enrol-continue').focus();
}

async function loginSubmit(ev) {
  /* session: "cookie": the token stays in the HttpOnly cookie only. */
  const body = { name: $('login-name').value, password: $('login-password').value,
                 session: 'cookie' };
  ev.preventDefault();
  loginInvalid([]);
  if (loginStage === 'change') {
    if ($('login-new').value !== $('login-new2').value) {
      loginMsg(t('login_mismatch'), 'bad');
      loginInvalid(['login-new2']);
      $('login-new2').focus();
      return;
    }
    body.new_password = $('login-new').value;
  } else if ($('login-totp').value) {
    body.totp = $('login-totp').value.trim();
  }
  loginMsg(t('loading'));
  const r = await api('POST', '/v1/login', body, { pub: true });
  if (r.status === 200 && r.data.enrol_required) {
    /* The password is the new one from now on. */
    $('login-password').value = body.new_password || body.password;
    loginChange(false);
    loginMsg('');
    showEnrol(r.data.totp);
    return;
  }
  if (r.status === 200 && r.data.csrf) {
    Session.set({ csrf: r.data.csrf, user: r.data.user, role: r.data.role,
                  seals: r.data.seals || [], expires: r.data.expires,
                  idle: r.data.idle_seconds });
    lastActivity = Date.now();
    $('login-form').reset();
    $('login-totp').required = false;
    $('login-totp-label').dataset.i18n = 'f_totp';
    $('login-totp-label').textContent = t('f_totp');
    loginMsg('');
    goPage(home(r.data));
    return;
  }
  const code = r.data && r.data.error ? r.data.error.code : '';
  if (r.status === 403 && code === 'locked') {
    loginMsg(t('login_locked'), 'bad');
    loginInvalid(['login-name']);
  } else if (r.status === 403 && loginStage === 'password') {
    /* The note above the new fields says why (once). */
    loginChange(true);
    loginMsg('');
    $('login-new').focus();
  } else if (r.status === 401) {
    loginMsg(t('login_wrong'), 'bad');
    loginInvalid(loginStage === 'change' ? ['login-name', 'login-password']
      : ['login-name', 'login-password', 'login-totp']);
    $('login-password').focus();
  } else {
    /* 400: the new password (too short, too weak). */
    loginMsg(errText(r), 'bad');
    if (loginStage === 'change') {
      loginInvalid(['login-new']);
      $('login-new').focus();
    }
  }
}

/* The page's own idle timeout: after the session's idle time without a
 * key or a click it logs out, so a console left open does not stay
 * usable (the keeper counts idleness from the last request instead). */
let lastActivity = Date.now();

/* A GET the role may make: the server counts idleness from requests. */
function keepAlivePath(s) {
  return s.role === 'officer' && s.seals && s.seals.length
    ? '/v1/ra/subscribers/' + encodeURIComponent(s.seals[0])
    : '/v1/ra/requests?limit=1';
}

/* The warning before the idle logout: at most a minute, a quarter of the
 * idle time when that is shorter. */
function idleWarn(s, left) {
  const w = $('idle-warn');
  const warnAt = Math.min(60, s.idle / 4) * 1000;
  if (left > warnAt) {
    w.hidden = true;
    return;
  }
  $('idle-text').textContent = tn('idle_warn', Math.max(1, Math.ceil(left / 1000)));
  if (w.hidden) {
    w.hidden = false;
    $('idle-stay').focus();
  }
}

async function idleStay() {
  const s = Session.get();
  lastActivity = Date.now();
  $('idle-warn').hidden = true;
  if (s)
    await api('GET', keepAlivePath(s));
}

async function idleCheck() {
  const s = Session.get();
  if (!s || !s.idle) {
    $('idle-warn').hidden = true;
    return;
  }
  const left = s.idle * 1000 - (Date.now() - lastActivity);
  idleWarn(s, left);
  if (left > 0)
    return;
  $('idle-warn').hidden = true;
  await api('POST', '/v1/logout');
  if (Session.get()) {   /* the logout answered 200, not 401 */
    Session.clear();
    onSessionEnded();
  }
}

async function logout() {
  await api('POST', '/v1/logout');
  Session.clear();
  loginChange(false);
  $('login-form').reset();
  goPage('login');
}

/* ---- activation (public: the person with the emailed code) ---- */

function activateShow(args) {
  if (args.get('subscriber'))
    $('act-sub').value = args.get('subscriber');
  if (args.get('code'))
    $('act-code').value = args.get('code');
}

async function activateSubmit(ev) {
  ev.preventDefault();
  const msg = $('act-msg');
  if ($('act-pass').value !== $('act-pass2').value) {
    msg.textContent = t('pass_mismatch');
    msg.className = 'msg bad';
    return;
  }
  msg.textContent = t('loading');
  msg.className = 'msg';
  const r = await api('POST', '/v1/ra/activate', {
    subscriber: $('act-sub').value.trim(),
    code: $('act-code').value.trim().toUpperCase(),
    passphrase: $('act-pass').value,
  }, { pub: true });
  $('act-pass').value = $('act-pass2').value = '';
  if (r.status === 200) {
    msg.textContent = t('activate_ok', { serial: r.data.subscriber.serial || '' });
    msg.className = 'msg good';
  } else {
    append(clear(msg), errText(r));
    msg.className = 'msg bad';
  }
}

async function passphraseSubmit(ev) {
  ev.preventDefault();
  const msg = $('pass-msg');
  if ($('pass-new').value !== $('pass-new2').value) {
    msg.textContent = t('pass_mismatch');
    msg.className = 'msg bad';
    return;
  }
  msg.textContent = t('loading');
  msg.className = 'msg';
  const r = await api('POST', '/v1/ra/passphrase', {
    subscriber: $('pass-sub').value.trim(),
    passphrase: $('pass-old').value,
    new_passphrase: $('pass-new').value,
  }, { pub: true });
  $('pass-old').value = $('pass-new').value = $('pass-new2').value = '';
  if (r.status === 200) {
    msg.textContent = t('pass_ok');
    msg.className = 'msg good';
  } else {
    append(clear(msg), errText(r));
    msg.className = 'msg bad';
  }
}

function init() {
  i18nApply(document);
  document.querySelectorAll('.lang button').forEach(function (b) {
    b.addEventListener('click', function () {
      i18nSet(b.dataset.lang);
      nikCheck(!$('ri-nik-msg').hidden);
      route();
      /* What the page drew from answers, in the new language too. */
      if (PAGES[currentPage].relang)
        PAGES[currentPage].relang();
    });
  });
  /* No hashchange (it would clear the message). */
  onSessionEnded = function () {
    history.replaceState(null, '', '#login');
    route();
    flash(t('session_ended'), 'bad');
  };
  $('login-form').addEventListener('submit', loginSubmit);
  $('enrol-continue').addEventListener('click', function () {
    $('enrol').hidden = true;
    $('login-form').hidden = false;
    $('login-totp').focus();
  });
  $('logout').addEventListener('click', logout);
  $('idle-stay').addEventListener('click', idleStay);
  LOGIN_FIELDS.forEach(function (id) {
    $(id).addEventListener('input', function () { $(id).setAttribute('aria-invalid', 'false'); });
  });
  $('activate-form').addEventListener('submit', activateSubmit);
  $('pass-form').addEventListener('submit', passphraseSubmit);
  Object.keys(PAGES).forEach(function (p) {
    if (PAGES[p].init)
      PAGES[p].init();
  });
  pagesInit();
  ['keydown', 'pointerdown'].forEach(function (ev) {
    document.addEventListener(ev, function () { lastActivity = Date.now(); }, true);
  });
  setInterval(idleCheck, 1000);
  /* A new action: the last one's banner goes. */
  document.addEventListener('submit', function () { flash(''); }, true);
  window.addEventListener('hashchange', function () {
    flash('');
    /* "#main" (the skip link) is no page: the browser moves the focus. */
    route(!!PAGES[parseHash().page]);
  });
  route();
}

document.addEventListener('DOMContentLoaded', init);
