// Any path the app does not know.

import { h } from '../dom.js';
import { currentUser } from '../session.js';

export default async function notFound() {
  const home = currentUser() ? 'Back to your accounts' : 'Go to log in';
  return {
    title: 'Page not found',
    node: h('section', { class: 'page narrow' },
      h('div', { class: 'card empty' },
        h('h1', {}, 'This page does not exist'),
        h('p', { class: 'muted' }, 'The link may be old, or the page may be for administrators only.'),
        h('a', { class: 'btn btn-primary', href: currentUser() ? '/' : '/login' }, home))),
  };
}
