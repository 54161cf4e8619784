/*
 * The staff page (admin only): the accounts of verifiers, admins and
 * seal officers, a new one (its initial password is emailed), and per
 * account disable or enable, unlock, and start again (reset). Every
 * change is confirmed here and audited by the keeper; an admin's own
 * account offers no disable or reset (the keeper refuses them too).
 */
'use strict';

function staffStatus(u) {
  const s = [t(u.disabled ? 'st_disabled' : 'st_active')];
  if (u.locked)
    s.push(t('st_locked'));
  if (!u.enrolled)
    s.push(t('st_not_enrolled'));
  return s.join(' · ');
}

async function staffChange(u, what) {
  const risky = what === 'disable' || what === 'reset';
  if (!await confirmAction(t('st_' + what), t('st_confirm_' + what, u), null, null, risky))
    return;
  const r = await api('POST', '/v1/users/' + encodeURIComponent(u.name) + '/' + what);
  await staffShow();
  setMsg($('staff-msg'), r.status === 200 ? t('st_done_' + what, u) : errText(r),
         r.status === 200 ? 'good' : 'bad');
}

function staffRow(u) {
  const me = (Session.get() || {}).user === u.name;
  function act(what, cls) {
    return h('button.' + cls + '.st-' + what, { type: 'button', text: t('st_' + what),
      onclick: function () { staffChange(u, what); } });
  }
  return h('tr', { 'data-user': u.name },
    h('td', { 'data-label': t('st_name') }, h('strong', { text: u.name }), h('br'),
      h('small', { text: u.email || '' })),
    h('td', { 'data-label': t('st_role') }, t('role_' + u.role) +
      (u.seals && u.seals.length ? ' · ' + u.seals.join(', ') : '')),
    h('td.st-status', { 'data-label': t('st_status') }, staffStatus(u)),
    h('td.actions', { 'data-label': t('st_actions') },
      me ? h('small', { text: t('st_self') }) : [
        u.disabled ? act('enable', 'secondary') : act('disable', 'danger'),
        u.locked ? act('unlock', 'secondary') : null,
        act('reset', 'danger')]));
}

async function staffShow(ev) {
  if (ev && ev.preventDefault)
    ev.preventDefault();
  const latest = drawStart('staff');
  const out = clear($('staff-out'));
  /* Every account, page by page (the API answers at most 1000 at once). */
  const all = await apiAll('/v1/users?limit=1000', 'users', latest);
  if (!all)
    return;
  if (all.error) {
    append(out, h('p.msg.bad', {}, errText(all.error)));
    return;
  }
  const users = all.list;
  append(out, h('table.list', { id: 'staff-table' },
    h('thead', {}, h('tr', {}, ['st_name', 'st_role', 'st_status', 'st_actions']
      .map(function (k) { return h('th', { scope: 'col', text: t(k) }); }))),
    h('tbody', {}, users.map(staffRow))));
}

async function staffCreate(ev) {
  ev.preventDefault();
  const body = { name: $('st-new-name').value.trim(), email: $('st-new-email').value.trim(),
                 role: $('st-new-role').value, lang: $('st-new-lang').value };
  const seals = $('st-new-seals').value.split(/[\s,]+/).filter(Boolean);
  if (body.role === 'officer')
    body.seals = seals;
  if (!await confirmAction(t('st_new'), t('st_confirm_create',
    { name: body.name, email: body.email, role: t('role_' + body.role) })))
    return;
  const r = await api('POST', '/v1/users', body);
  if (r.status === 201) {
    $('staff-form').reset();
    staffRoleChanged();
    await staffShow();
  }
  setMsg($('staff-msg'), r.status === 201 ? t('st_created', body) : errText(r),
         r.status === 201 ? 'good' : 'bad');
}

/* The seals field is an officer's only. */
function staffRoleChanged() {
  $('st-new-seals-field').hidden = $('st-new-role').value !== 'officer';
}

function staffInit() {
  $('staff-form').addEventListener('submit', staffCreate);
  $('st-new-role').addEventListener('change', staffRoleChanged);
  staffRoleChanged();
}
