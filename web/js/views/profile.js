// Who I am, a new password, and the way out.

import { h } from '../dom.js';
import { get, post } from '../api.js';
import { describe } from '../messages.js';
import { formatDate } from '../dates.js';
import { pageHeader } from '../ui/page.js';
import { passwordField } from '../ui/form.js';
import { alertBox, setBusy } from '../ui/feedback.js';
import { endSession } from '../logout.js';
import { icon } from '../ui/icons.js';

function passwordForm(username) {
  const errors = alertBox();
  const done = alertBox('success');
  const current = passwordField('Current password', { name: 'current_password', autocomplete: 'current-password' });
  const next = passwordField('New password', { name: 'new_password', autocomplete: 'new-password', minlength: '8', maxlength: '128' }, 'At least 8 characters.');
  const again = passwordField('Repeat new password', { name: 'repeat_password', autocomplete: 'new-password' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Change password');
  // Lets password managers know whose password is being changed.
  const user = h('input', { type: 'text', name: 'username', autocomplete: 'username', value: username, hidden: true, readonly: true });
  const form = h('form', { class: 'form', novalidate: true }, user, errors.el, done.el, current.el, next.el, again.el, h('div', {}, submit));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errors.clear();
    done.clear();
    const checks = [
      [current, current.input.value ? '' : 'Enter your current password.'],
      [next, next.input.value.length >= 8 && next.input.value.length <= 128 ? '' : 'Use 8 to 128 characters.'],
      [again, again.input.value === next.input.value ? '' : 'The two new passwords are not the same.'],
    ];
    for (const [f, msg] of checks) f.setError(msg);
    const wrong = checks.find(([, msg]) => msg);
    if (wrong) {
      wrong[0].input.focus();
      return;
    }
    setBusy(submit, true, 'Changing…');
    try {
      await post('/api/users/me/password', { current_password: current.input.value, new_password: next.input.value });
      form.reset();
      done.show('Your password has been changed. Use the new one next time you log in.');
    } catch (err) {
      errors.show(describe(err));
      if (err.code === 'wrong_password') current.input.focus();
    } finally {
      setBusy(submit, false);
    }
  });
  return form;
}

export default async function profile({ signal }) {
  const me = await get('/api/users/me', { signal });
  const logout = h('button', { type: 'button', class: 'btn btn-secondary' }, icon('logout'), 'Log out');
  logout.addEventListener('click', endSession);
  const node = h('div', { class: 'page narrow' },
    pageHeader({ title: 'Profile', subtitle: 'Your details and security.' }),
    h('section', { class: 'card profile-card', 'aria-labelledby': 'me-title' },
      h('div', { class: 'profile-head' },
        h('span', { class: 'avatar avatar-lg', 'aria-hidden': 'true' }, me.username.charAt(0).toUpperCase()),
        h('div', {},
          h('h2', { id: 'me-title' }, me.username),
          h('p', { class: 'muted' }, me.email)),
        me.role === 'admin' && h('span', { class: 'badge badge-admin' }, 'Administrator')),
      h('dl', { class: 'definition' },
        h('dt', {}, 'Customer since'), h('dd', {}, formatDate(me.created_at)),
        h('dt', {}, 'Role'), h('dd', {}, me.role === 'admin' ? 'Administrator' : 'Customer'))),
    h('section', { class: 'card', 'aria-labelledby': 'pw-title' },
      h('h2', { id: 'pw-title' }, 'Change password'),
      h('p', { class: 'muted small section-note' }, 'You need your current password to set a new one.'),
      passwordForm(me.username)),
    h('section', { class: 'card logout-card', 'aria-labelledby': 'out-title' },
      h('div', {},
        h('h2', { id: 'out-title' }, 'Log out'),
        h('p', { class: 'muted small' }, 'Ends your session on this device.')),
      logout));
  return { title: 'Profile', node };
}
