/*
 * The public verify page: a PDF dropped or chosen goes to POST /v1/verify
 * (docs/verify.md); each signature's verdict is said in plain words, in
 * the page's language and, under it, in the other one.
 */
'use strict';

/* The key of the sentence that says what a signature is worth. */
function verdictKey(sig) {
  const chain = sig.chain || {};
  if (sig.verdict === 'invalid')
    return sig.failure === 'modified_after_signing' ? 'v_modified' : 'v_invalid';
  if (chain.revocation === 'revoked' || chain.status === 'revoked')
    return 'v_revoked';
  if (sig.verdict === 'valid')
    return 'v_valid';
  if (sig.failure === 'changed_after_signing')
    return 'v_changed';
  if (chain.status === 'untrusted')
    return 'v_untrusted';
  if (chain.status === 'expired')
    return 'v_expired';
  return 'v_indeterminate';
}

/* The class of the badge: good, bad or unsure. */
function verdictClass(key) {
  return key === 'v_valid' ? 'good' : key === 'v_invalid' || key === 'v_revoked'
    ? 'bad' : 'unsure';
}

/* A sentence in both languages: the page's first. */
function bilingual(key, vars) {
  const other = LANG === 'en' ? 'id' : 'en';
  return [h('p.say', { lang: LANG, text: t(key, vars) }),
          h('p.say.other', { lang: other, text: t(key, vars, other) })];
}

function row(key, value) {
  if (value === undefined || value === null || value === '')
    return null;
  return [h('dt', { text: t(key) }), h('dd', { text: String(value) })];
}

/* What happened after the signed revision (the API's modifications),
 * in one plain sentence: validation data added is not a change. */
function afterKey(sig) {
  const m = sig.modifications;
  const c = (m && m.changes) || [];
  if (!m)
    return null;
  if (c.indexOf('other') >= 0)
    return 'm_other';
  if (c.indexOf('form_filling') >= 0 || c.indexOf('new_fields') >= 0 ||
      c.indexOf('annotations') >= 0)
    return 'm_form';
  if (c.indexOf('signatures') >= 0)
    return 'm_sigs';
  if (c.indexOf('validation_data') >= 0)
    return 'm_ltv';
  return 'm_none';
}

/* The API's chain and revocation words in the page's language. */
function chainWord(status) {
  return I18N[LANG]['chain_' + status] ? t('chain_' + status) : status;
}

function revocationWord(rev) {
  return I18N[LANG]['rev_' + rev] ? t('rev_' + rev) : rev;
}

/* A time in a warning: ISO 8601 as when() writes it, or "an unknown time". */
function warnTime(s) {
  return s === 'an unknown time' ? t('time_unknown') : when(s);
}

/* The API's warnings (English sentences, api/verify.c) that the page
 * says in its own language: the pattern, the key, the values from it. */
const WARNINGS = [
  [/^the signer's certificate is revoked \(at (.*); its issuer, this appliance, lists it in its current CRL\)$/,
    'w_revoked_issuer', function (m) { return { when: warnTime(m[1]) }; }],
  [/^the signer's certificate is revoked \(at (.*); validation data the document carries \(\/DSS\) says so\)$/,
    'w_revoked_dss', function (m) { return { when: warnTime(m[1]) }; }],
  [/^the signer's certificate was revoked at (.*), after the signature timestamp \((.*)\) proves the signature existed: it stays valid$/,
    'w_revoked_after', function (m) { return { when: warnTime(m[1]), poe: warnTime(m[2]) }; }],
  [/^the signer's certificate was revoked at (.*), after a document timestamp \((.*)\) proves the signature existed: it stays valid$/,
    'w_revoked_after_doc', function (m) { return { when: warnTime(m[1]), poe: warnTime(m[2]) }; }],
  [/^the signer's certificate expired at (.*), after (the signature timestamp|a document timestamp) \((.*)\) proves the signature existed: it stays valid$/,
    'w_expired_after', function (m) {
      return { when: warnTime(m[1]), poe: warnTime(m[3]),
               by: t(m[2] === 'a document timestamp' ? 'w_by_doc_ts' : 'w_by_sig_ts') };
    }],
  [/^the TSA's certificate expired at (.*), after a later document timestamp \((.*)\) proves this one existed: it stays valid$/,
    'w_tsa_expired_after', function (m) { return { when: warnTime(m[1]), poe: warnTime(m[2]) }; }],
  [/^the signer's revocation data in the document \(\/DSS\) was issued at (.*), before the time it must prove \((.*)\): it is not counted$/,
    'w_stale', function (m) {
      return { issued: warnTime(m[1]), need: warnTime(m[2]) };
    }],
  [/^the document has (\d+) signatures; at most (\d+) are verified$/, 'w_too_many',
    function (m) { return { n: m[1], max: m[2] }; }],
  [/^certificate chain ([a-z_]+): (.*)$/, 'w_chain', function (m) {
    return { status: chainWord(m[1]), detail: m[2] };
  }],
  [/^the CMS has (\d+) SignerInfos; only the first was checked$/, 'w_signerinfos',
    function (m) { return { n: m[1] }; }],
  [/^the ESS signing-certificate attribute does not match the signer certificate$/, 'w_ess'],
  [/^the signature timestamp does not verify or does not match the signature$/, 'w_tst'],
  [/^PAdES forbids the CMS signing-time attribute/, 'w_signing_time'],
  [/^sub-filter (.*) is not verified by this version$/, 'w_subfilter',
    function (m) { return { name: m[1] }; }],
  [/^\/M is not a PDF date \(ISO 32000-1 §7\.9\.4\): (.*)$/, 'w_m_date',
    function (m) { return { value: m[1] }; }],
];

/* A warning as a list item: translated when the page knows it, else as
 * the API wrote it, marked English. */
function warningItem(w) {
  for (let i = 0; i < WARNINGS.length; i++) {
    const m = WARNINGS[i][0].exec(w);
    if (m)
      return h('li', { lang: LANG, text: t(WARNINGS[i][1], WARNINGS[i][2] ? WARNINGS[i][2](m) : null) });
  }
  return h('li', { lang: 'en', text: w });
}

function signatureCard(sig, i) {
  const isTs = sig.type === 'document_timestamp';
  const key = isTs ? null : verdictKey(sig);
  const signer = sig.signer || {};
  const chain = sig.chain || {};
  const ts = sig.timestamp;
  const cls = isTs ? (sig.verdict === 'valid' ? 'good' : 'unsure') : verdictClass(key);
  const warnings = sig.warnings || [];
  const cert = sig.certification && sig.certification.docmdp_p >= 1 &&
    sig.certification.docmdp_p <= 3 ? sig.certification : null;

  return h('article.card.sig.' + cls, { 'data-verdict': sig.verdict,
                                         'data-revocation': chain.revocation || '' },
    h('h3', { text: '#' + (i + 1) + ' ' + (sig.name || signer.subject || sig.field || '') }),
    isTs ? bilingual('v_doc_ts', { verdict: t('v_word_' + sig.verdict) })
         : bilingual(key),
    /* a certification: its DocMDP level and what it permits */
    cert ? h('div.certification', { 'data-docmdp': String(cert.docmdp_p) },
      bilingual('c_certified_' + cert.docmdp_p)) : null,
    /* validation data added later is not a change: said plainly */
    afterKey(sig) === 'm_ltv' ? h('div.ltv', {}, bilingual('m_ltv')) : null,
    h('dl', {},
      row('k_signer', signer.subject),
      row('k_issuer', signer.issuer),
      row('k_serial', signer.serial),
      row('k_time', when(sig.signing_time)),
      row('k_timestamp', ts && when(ts.time)),
      row('k_level', sig.pades_level),
      row('k_certification', cert && 'DocMDP P=' + cert.docmdp_p),
      row('k_integrity', sig.integrity && (sig.integrity.ok ? t('yes')
        : t('no') + (sig.integrity.problem ? ': ' + sig.integrity.problem : ''))),
      row('k_chain', chain.status && chainWord(chain.status) +
        (chain.error ? ' (' + chain.error + ')' : '')),
      row('k_revocation', chain.revocation && revocationWord(chain.revocation)),
      row('k_indication', sig.indication && sig.indication +
        (sig.sub_indication ? ' / ' + sig.sub_indication : '')),
      row('k_after', afterKey(sig) && t(afterKey(sig))),
      row('k_pages', sig.modifications && sig.modifications.pages &&
        sig.modifications.pages.join(', '))),
    warnings.length ? h('div.warn', {},
      h('strong', { text: t('k_warnings') }),
      h('ul', {}, warnings.map(warningItem)))
      : null);
}

/* The overall word: the API's verdict, except that a signer the
 * document's own validation data shows revoked makes it "revoked" (the
 * API leaves that signature's verdict to the chain and warns). */
function overallWord(rep) {
  const revoked = (rep.signatures || []).some(function (s) {
    return s.type !== 'document_timestamp' && verdictKey(s) === 'v_revoked';
  });
  return revoked ? 'v_word_revoked' : 'v_word_' + rep.verdict;
}

/* The report on screen, drawn again when the language changes. */
let shownReport = null;

function showReport(name, rep, keepFocus) {
  const out = clear($('verify-out'));
  shownReport = { name: name, rep: rep };
  const sigs = rep.signatures || [];
  const overall = overallWord(rep);

  append(out, h('h2', { text: t('verify_result', { file: name }) }));
  append(out, h('p.overall.' + (overall === 'v_word_valid' ? 'good'
    : overall === 'v_word_invalid' || overall === 'v_word_revoked' ? 'bad'
    : 'unsure'), { id: 'verify-verdict', 'data-verdict': rep.verdict },
    t('v_overall', { verdict: t(overall) }) + ' · ' +
    tn('verify_count', rep.signature_count || 0)));
  if (!sigs.length)
    append(out, bilingual('v_unsigned'));
  sigs.forEach(function (s, i) { append(out, signatureCard(s, i)); });
  if (!keepFocus)
    out.focus();
}

/* After a language switch: the report on screen in the new language. */
function verifyRelang() {
  if (shownReport && $('verify-out').firstChild)
    showReport(shownReport.name, shownReport.rep, true);
}

async function verifyFile(file) {
  const out = clear($('verify-out'));
  const fd = new FormData();

  if (!file)
    return;
  shownReport = null;
  append(out, h('p', { text: t('loading') }));
  fd.append('file', file, file.name);
  const r = await api('POST', '/v1/verify', fd, { pub: true });
  if (r.status === 200)
    showReport(file.name, r.data);
  else
    append(clear(out), h('p.msg.bad', { role: 'alert' }, errText(r)));
}

function verifyInit() {
  const drop = $('drop');
  const input = $('verify-file');

  $('verify-out').tabIndex = -1;
  input.addEventListener('change', function () {
    const f = input.files[0];
    input.value = '';   /* the same file again is a new verification */
    verifyFile(f);
  });
  ['dragenter', 'dragover'].forEach(function (ev) {
    drop.addEventListener(ev, function (e) {
      e.preventDefault();
      drop.classList.add('over');
    });
  });
  ['dragleave', 'drop'].forEach(function (ev) {
    drop.addEventListener(ev, function () { drop.classList.remove('over'); });
  });
  drop.addEventListener('drop', function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length)
      verifyFile(e.dataTransfer.files[0]);
  });
}
