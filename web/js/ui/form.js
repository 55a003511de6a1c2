// A labelled form field with its hint and its own error line, wired together
// with ids so assistive technology reads them with the input.

import { h, uid } from '../dom.js';

/**
 * field({label, input, hint, optional, prefix}) → {el, input, setError, setHint}
 * `prefix` is shown inside the box before the input (e.g. a currency symbol).
 */
export function field({ label, input, hint, optional = false, prefix = null }) {
  const id = input.id || uid('field');
  input.id = id;
  const hintEl = h('p', { class: 'hint', id: `${id}-hint` }, hint || '');
  hintEl.hidden = !hint;
  const errorEl = h('p', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' });
  input.setAttribute('aria-describedby', `${hintEl.id} ${errorEl.id}`);
  const control = prefix !== null ? h('div', { class: 'input-affix' }, h('span', { class: 'affix', 'aria-hidden': 'true' }, prefix), input) : input;
  const el = h('div', { class: 'field' },
    h('label', { for: id }, label, optional && h('span', { class: 'optional' }, ' (optional)')),
    control, hintEl, errorEl);
  return {
    el,
    input,
    setError(message) {
      errorEl.textContent = message || '';
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
    setHint(content, tone = '') {
      hintEl.replaceChildren(...[content].flat().filter(Boolean));
      hintEl.hidden = !content;
      hintEl.className = `hint ${tone}`.trim();
    },
    setPrefix(text) {
      const affix = el.querySelector('.affix');
      if (affix) affix.textContent = text;
    },
  };
}

// A password input with a show/hide toggle button.
function passwordInput(props) {
  const input = h('input', { type: 'password', spellcheck: 'false', required: true, ...props });
  const toggle = h('button', { type: 'button', class: 'reveal', 'aria-pressed': 'false' }, 'Show');
  toggle.addEventListener('click', () => {
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    toggle.textContent = show ? 'Hide' : 'Show';
    toggle.setAttribute('aria-pressed', String(show));
    toggle.setAttribute('aria-label', show ? 'Hide password' : 'Show password');
  });
  toggle.setAttribute('aria-label', 'Show password');
  return { input, toggle };
}

/** Wraps a password input and its toggle so the toggle sits inside the box. */
export function passwordField(label, props, hint) {
  const { input, toggle } = passwordInput(props);
  const f = field({ label, input, hint });
  const box = h('div', { class: 'input-reveal' });
  input.replaceWith(box);
  box.append(input, toggle);
  return f;
}
