// Create an account when the server allows it, then log straight in.

import { h } from '../dom.js';
import { post } from '../api.js';
import { loadMeta, setUser } from '../session.js';
import { navigate } from '../router.js';
import { describe } from '../messages.js';
import { field, passwordField } from '../ui/form.js';
import { alertBox, setBusy, toast } from '../ui/feedback.js';
import { authLayout } from '../ui/auth-layout.js';

const USERNAME = /^[A-Za-z0-9._-]{3,32}$/;

// Field-level checks mirror the server's, so most mistakes never leave the page.
// The admin's new-customer form uses them too.
export function validate(u, e, p) {
  const problems = [
    [u, USERNAME.test(u.input.value.trim()) ? '' : 'Use 3 to 32 letters, digits, dots, dashes or underscores.'],
    [e, /^[^\s@]+@[^\s@]+$/.test(e.input.value.trim()) ? '' : 'Enter a valid email address.'],
    [p, p.input.value.length >= 8 && p.input.value.length <= 128 ? '' : 'Use 8 to 128 characters.'],
  ];
  for (const [f, msg] of problems) f.setError(msg);
  return problems.find(([, msg]) => msg)?.[0];
}

export default async function register() {
  const meta = await loadMeta();
  if (!meta.open_registration) {
    return {
      title: 'Registration closed',
      node: authLayout(h('div', { class: 'auth-card card' },
        h('h1', {}, 'Registration is closed'),
        h('p', { class: 'muted' }, 'This bank does not take sign-ups online. Ask an administrator for an account.'),
        h('a', { class: 'btn btn-secondary btn-block', href: '/login' }, 'Back to log in'))),
    };
  }
  const errors = alertBox();
  const username = field({ label: 'Username', hint: '3 to 32 letters, digits, dots, dashes or underscores.', input: h('input', { name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true, maxlength: '32' }) });
  const email = field({ label: 'Email', input: h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true }) });
  const password = passwordField('Password', { name: 'password', autocomplete: 'new-password', minlength: '8', maxlength: '128' }, 'At least 8 characters.');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Create account');
  const form = h('form', { class: 'form', novalidate: true }, errors.el, username.el, email.el, password.el, submit);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    const wrong = validate(username, email, password);
    if (wrong) {
      wrong.input.focus();
      return;
    }
    setBusy(submit, true, 'Creating your account…');
    const creds = { username: username.input.value.trim(), password: password.input.value };
    try {
      await post('/api/auth/register', { ...creds, email: email.input.value.trim() });
      const res = await post('/api/auth/login', { ...creds, session: 'cookie' }, { quiet401: true });
      setUser(res.user);
      await navigate('/', { replace: true });
      toast('Welcome to bankbox! Your checking account is ready.');
    } catch (err) {
      setBusy(submit, false);
      errors.show(describe(err));
    }
  });

  return {
    title: 'Create an account',
    node: authLayout(h('div', { class: 'auth-card card' },
      h('h1', {}, 'Create your account'),
      h('p', { class: 'muted' }, 'It takes a minute. You get a checking account straight away.'),
      form,
      h('p', { class: 'auth-switch' }, 'Already a customer? ', h('a', { href: '/login' }, 'Log in')))),
  };
}
