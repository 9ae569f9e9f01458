// The emulator's routing: GitHub's path templates (as its OpenAPI description names them) to handlers.
export interface Route<H> {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  handler: H;
}

export function route<H>(method: string, template: string, handler: H): Route<H> {
  const names: string[] = [];
  const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { method, template, pattern: new RegExp(`^${source}$`), names, handler };
}

export function match<H>(routes: readonly Route<H>[], method: string, path: string): { route: Route<H>; params: Record<string, string> } | undefined {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.names.forEach((name, i) => { params[name] = decodeURIComponent(m[i + 1] ?? ''); });
    return { route: r, params };
  }
  return undefined;
}
