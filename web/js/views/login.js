// Log in with a username and password; the server answers with an HttpOnly
// session cookie. In development the demo logins are one click away.

import { h } from '../dom.js';
import { post } from '../api.js';
import { loadMeta, setUser } from '../session.js';
import { navigate } from '../router.js';
import { describe } from '../messages.js';
import { field, passwordField } from '../ui/form.js';
import { alertBox, setBusy } from '../ui/feedback.js';
import { authLayout } from '../ui/auth-layout.js';

// Only paths inside the app, so a crafted ?next= cannot send anyone elsewhere.
function safeNext(query) {
  const next = query.get('next') || '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function demoBox(logins, fill) {
  return h('section', { class: 'demo card', 'aria-labelledby': 'demo-title' },
    h('h2', { id: 'demo-title' }, 'Demo logins'),
    h('p', { class: 'muted small' }, 'This server runs in development mode with sample customers.'),
    h('ul', { class: 'demo-list' }, logins.map((d) => {
      const use = h('button', { type: 'button', class: 'btn btn-small btn-secondary', 'aria-label': `Log in as ${d.username}` }, 'Use');
      use.addEventListener('click', () => fill(d));
      return h('li', {},
        h('span', { class: 'demo-cred' }, h('strong', {}, d.username), h('code', {}, d.password)),
        use);
    })));
}

export default async function login({ query }) {
  const meta = await loadMeta();
  const errors = alertBox();
  const username = field({ label: 'Username', input: h('input', { name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true }) });
  const password = passwordField('Password', { name: 'password', autocomplete: 'current-password' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Log in');
  const form = h('form', { class: 'form', novalidate: true }, errors.el, username.el, password.el, submit);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errors.clear();
    username.setError(username.input.value.trim() ? '' : 'Enter your username.');
    password.setError(password.input.value ? '' : 'Enter your password.');
    if (!username.input.value.trim() || !password.input.value) {
      (username.input.value.trim() ? password.input : username.input).focus();
      return;
    }
    setBusy(submit, true, 'Logging in…');
    try {
      const res = await post('/api/auth/login', {
        username: username.input.value.trim(),
        password: password.input.value,
        session: 'cookie',
      }, { quiet401: true });
      setUser(res.user);
      await navigate(safeNext(query), { replace: true });
    } catch (err) {
      setBusy(submit, false);
      errors.show(describe(err));
      password.input.select();
      password.input.focus();
    }
  });

  const fill = (d) => {
    username.input.value = d.username;
    password.input.value = d.password;
    submit.focus();
  };

  const node = authLayout(
    h('div', { class: 'auth-card card' },
      h('h1', {}, 'Log in'),
      h('p', { class: 'muted' }, 'Welcome back. Log in to see your accounts.'),
      form,
      meta.open_registration && h('p', { class: 'auth-switch' }, 'New to bankbox? ', h('a', { href: '/register' }, 'Create an account'))),
    meta.demo_logins?.length > 0 && demoBox(meta.demo_logins, fill));
  return { title: 'Log in', node };
}
