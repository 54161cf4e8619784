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

function signatureCard(sig, i) {
  const isTs = sig.type === 'document_timestamp';
  const key = isTs ? null : verdictKey(sig);
  const signer = sig.signer || {};
  const chain = sig.chain || {};
  const ts = sig.timestamp;
  const cls = isTs ? (sig.verdict === 'valid' ? 'good' : 'unsure') : verdictClass(key);
  const warnings = sig.warnings || [];

  return h('article.card.sig.' + cls, { 'data-verdict': sig.verdict,
                                         'data-revocation': chain.revocation || '' },
    h('h3', { text: '#' + (i + 1) + ' ' + (sig.name || signer.subject || sig.field || '') }),
    isTs ? bilingual('v_doc_ts', { verdict: t('v_word_' + sig.verdict) })
         : bilingual(key),
    h('dl', {},
      row('k_signer', signer.subject),
      row('k_issuer', signer.issuer),
      row('k_serial', signer.serial),
      row('k_time', sig.signing_time),
      row('k_timestamp', ts && ts.time),
      row('k_level', sig.pades_level),
      row('k_integrity', sig.integrity && (sig.integrity.ok ? t('yes')
        : t('no') + (sig.integrity.problem ? ': ' + sig.integrity.problem : ''))),
      row('k_chain', chain.status && chain.status + (chain.error ? ' (' + chain.error + ')' : '')),
      row('k_revocation', chain.revocation),
      row('k_indication', sig.indication && sig.indication +
        (sig.sub_indication ? ' / ' + sig.sub_indication : '')),
      row('k_after', afterKey(sig) && t(afterKey(sig))),
      row('k_pages', sig.modifications && sig.modifications.pages &&
        sig.modifications.pages.join(', '))),
    warnings.length ? h('div.warn', {},
      h('strong', { text: t('k_warnings') }),
      h('ul', {}, warnings.map(function (w) { return h('li', { lang: 'en', text: w }); })))
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

function showReport(name, rep) {
  const out = clear($('verify-out'));
  const sigs = rep.signatures || [];
  const overall = overallWord(rep);

  append(out, h('h2', { text: t('verify_result', { file: name }) }));
  append(out, h('p.overall.' + (overall === 'v_word_valid' ? 'good'
    : overall === 'v_word_invalid' || overall === 'v_word_revoked' ? 'bad'
    : 'unsure'), { id: 'verify-verdict', 'data-verdict': rep.verdict },
    t('v_overall', { verdict: t(overall) }) + ' · ' +
    t('verify_count', { n: rep.signature_count || 0 })));
  if (!sigs.length)
    append(out, bilingual('v_unsigned'));
  sigs.forEach(function (s, i) { append(out, signatureCard(s, i)); });
  out.focus();
}

async function verifyFile(file) {
  const out = clear($('verify-out'));
  const fd = new FormData();

  if (!file)
    return;
  append(out, h('p', { text: t('loading') }));
  fd.append('file', file, file.name);
  const r = await api('POST', '/v1/verify', fd, { pub: true });
  if (r.status === 200)
    showReport(file.name, r.data);
  else
    append(clear(out), h('p.msg.bad', { role: 'alert', text: errText(r) }));
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
