// Messages to the person: inline alerts next to what failed, and short toasts
// for things that went well. Both are live regions so screen readers hear them.

import { h, mount } from '../dom.js';
import { icon } from './icons.js';

/** An inline alert that stays in place and announces whatever it is given. */
export function alertBox(kind = 'error') {
  const el = h('div', { class: `alert alert-${kind}`, role: kind === 'error' ? 'alert' : 'status' });
  return {
    el,
    show(message, ...extra) {
      mount(el, icon(kind === 'error' ? 'alert' : 'check'), h('div', { class: 'alert-body' }, h('p', {}, message), extra));
      el.classList.add('is-shown');
    },
    clear() {
      el.replaceChildren();
      el.classList.remove('is-shown');
    },
  };
}

/** A brief confirmation in the corner; it fades away by itself. */
export function toast(message) {
  const host = document.getElementById('toasts');
  const el = h('div', { class: 'toast' }, icon('check'), h('span', {}, message));
  host.append(el);
  setTimeout(() => el.classList.add('is-leaving'), 4000);
  setTimeout(() => el.remove(), 4600);
}

/** Disables a button while its request runs, and says so. */
export function setBusy(button, busy, busyLabel) {
  if (busy) {
    button.dataset.label = button.textContent;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    if (busyLabel) button.textContent = busyLabel;
  } else {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (button.dataset.label) button.textContent = button.dataset.label;
  }
}
