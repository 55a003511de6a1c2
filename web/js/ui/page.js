// The heading block every page starts with.

import { h } from '../dom.js';
import { icon } from './icons.js';

/** {title, subtitle, back: {href, label}, actions: [nodes]} → header element. */
export function pageHeader({ title, subtitle, back, actions }) {
  return h('header', { class: 'page-header' },
    back && h('a', { class: 'back-link', href: back.href }, icon('back'), h('span', {}, back.label)),
    h('div', { class: 'page-header-row' },
      h('div', { class: 'page-title' },
        h('h1', { tabindex: '-1' }, title),
        subtitle && h('p', { class: 'muted' }, subtitle)),
      actions && h('div', { class: 'page-actions' }, actions)));
}
