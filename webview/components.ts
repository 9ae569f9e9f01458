// Our own small components. The only file that knows about @vscode/webview-ui-toolkit: it is archived
// upstream, and replacing it (e.g. with @vscode-elements/elements) should touch this file alone.
import {
  provideVSCodeDesignSystem, vsCodeButton, vsCodeLink, vsCodeProgressRing,
} from '@vscode/webview-ui-toolkit';
import { h, icon, type Child } from './dom';

let registered = false;

/** Registers the toolkit's custom elements once, before the first render. */
export function registerComponents(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeLink(), vsCodeProgressRing());
}

export interface ButtonOptions {
  label: string;
  /** Stable key: focus is restored to the element with the same key after a re-render. */
  key: string;
  icon?: string;
  appearance?: 'primary' | 'secondary' | 'icon';
  disabled?: boolean;
  /** id of the element that says why it is disabled (or what it will do). */
  describedBy?: string;
  ariaLabel?: string;
  title?: string;
  onClick: () => void;
}

export function button(options: ButtonOptions): HTMLElement {
  const el = h('vscode-button', {
    attrs: {
      appearance: options.appearance ?? 'secondary',
      disabled: options.disabled === true,
      'aria-disabled': options.disabled === true ? 'true' : undefined,
      'aria-label': options.ariaLabel ?? (options.appearance === 'icon' ? options.label : undefined),
      'aria-describedby': options.describedBy,
      title: options.title,
      'data-key': options.key,
    },
    on: {
      click: (event) => {
        event.preventDefault();
        if (!options.disabled) options.onClick();
      },
    },
  }, options.icon ? slotted(icon(options.icon), options.appearance === 'icon' ? undefined : 'start') : null,
  options.appearance === 'icon' ? null : options.label);
  return el;
}

function slotted(el: HTMLElement, slot: string | undefined): HTMLElement {
  if (slot) el.setAttribute('slot', slot);
  return el;
}

export interface LinkOptions {
  key: string;
  ariaLabel?: string;
  title?: string;
  onActivate: () => void;
}

/** An in-panel link that asks the host to do something (never navigates the webview itself). */
export function link(options: LinkOptions, ...children: Child[]): HTMLElement {
  return h('vscode-link', {
    attrs: { href: '#', 'data-key': options.key, 'aria-label': options.ariaLabel, title: options.title },
    on: {
      click: (event) => {
        event.preventDefault();
        options.onActivate();
      },
    },
  }, ...children);
}

// Tag and badge are plain elements styled like the toolkit's: its <vscode-tag>/<vscode-badge> bind a
// `style` attribute in their template, which the panel's CSP (no 'unsafe-inline') refuses.

/** A small all-caps label: FROZEN, PROTECTED, PAUSED. */
export function tag(text: string, tone: 'neutral' | 'warning' | 'error' | 'ok' = 'neutral', title?: string): HTMLElement {
  return h('span', { class: `tag tag-${tone}`, attrs: { title } }, text);
}

/** A count bubble, e.g. the number of commits in a section title. */
export function badge(value: string | number, label: string): HTMLElement {
  return h('span', { class: 'count-badge', attrs: { 'aria-label': label, title: label } }, String(value));
}

export function spinner(label: string): HTMLElement {
  return h('vscode-progress-ring', { attrs: { 'aria-label': label } });
}
