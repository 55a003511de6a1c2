// The two-column frame of the login and register pages: a calm brand panel
// beside the form, collapsing to the form alone on a phone.

import { h, s } from '../dom.js';
import { icon } from './icons.js';

const POINTS = [
  'Every transfer checked before it leaves',
  'See who you are paying before you confirm',
  'Your data stays on this server',
];

// A calm rising line, pure decoration.
function sparkline() {
  return s('svg', { class: 'auth-art', viewBox: '0 0 400 120', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' },
    s('path', { class: 'auth-art-fill', d: 'M0 100 C60 95 80 70 130 74 S210 96 250 60 S330 30 400 18 V120 H0Z' }),
    s('path', { class: 'auth-art-line', d: 'M0 100 C60 95 80 70 130 74 S210 96 250 60 S330 30 400 18' }));
}

export function authLayout(...children) {
  return h('div', { class: 'auth' },
    h('aside', { class: 'auth-aside', 'aria-label': 'About bankbox' },
      h('div', { class: 'auth-brand' }, h('img', { src: '/icon.svg', alt: '', width: '36', height: '36' }), h('span', {}, 'bankbox')),
      h('p', { class: 'auth-tagline' }, 'Your money, calmly in order.'),
      h('ul', { class: 'auth-points' }, POINTS.map((p) => h('li', {}, icon('check'), h('span', {}, p)))),
      sparkline()),
    h('div', { class: 'auth-main' }, children));
}
