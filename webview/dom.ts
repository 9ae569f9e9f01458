// A tiny element builder. Text always goes through textContent / text nodes, never innerHTML, so data
// from the server (subjects, error messages, actor names) cannot inject markup.

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  /** Set as attributes (aria-*, role, title, data-*, id, …); undefined and false are skipped. */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[K]) => void }>;
  /** Inline style through the CSSOM (allowed by the CSP, unlike style attributes). */
  style?: Partial<Record<'width' | 'left' | 'flexGrow', string>>;
}

export function h(tag: string, props: Props = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.attrs) {
    for (const [name, value] of Object.entries(props.attrs)) {
      if (value === undefined || value === false) continue;
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  if (props.on) {
    for (const [name, handler] of Object.entries(props.on)) {
      if (handler) el.addEventListener(name, handler as EventListener);
    }
  }
  if (props.style) {
    for (const [name, value] of Object.entries(props.style)) {
      if (value !== undefined) el.style.setProperty(name === 'flexGrow' ? 'flex-grow' : name, value);
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** A codicon (font shipped from @vscode/codicons); decorative, hidden from screen readers. */
export function icon(name: string, extraClass = ''): HTMLElement {
  return h('span', { class: `codicon codicon-${name}${extraClass ? ` ${extraClass}` : ''}`, attrs: { 'aria-hidden': 'true' } });
}
