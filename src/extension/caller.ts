// Who the signed-in token is (GET /api/whoami), asked once per session: the approvals rules need the
// caller's name (nobody approves their own request) and role (protected environments need an admin).
// A leaf module: the tree, the Approvals view, the stage and the notifications share it.
import type { Caller } from '../api/schemas';
import type { ActiveSession, SessionManager } from './session';

export class CallerIdentity {
  private readonly asked = new WeakMap<ActiveSession, Promise<Caller | undefined>>();
  private readonly answered = new WeakMap<ActiveSession, Caller>();

  constructor(private readonly sessions: SessionManager) {}

  /** The current session's caller if it has answered already (tree items are built synchronously). */
  peek(): Caller | undefined {
    const session = this.sessions.peek();
    return session ? this.answered.get(session) : undefined;
  }

  /** The caller of the current session; undefined when the backend cannot say (the server then decides). */
  async current(): Promise<Caller | undefined> {
    return this.of(await this.sessions.get());
  }

  /** What is known without a request: undefined until the current session's answer arrived. */
  of(session: ActiveSession): Promise<Caller | undefined> {
    let caller = this.asked.get(session);
    if (!caller) {
      caller = session.backend.whoami ? session.backend.whoami().then((c) => {
        this.answered.set(session, c);
        return c;
      }, () => undefined) : Promise.resolve(undefined);
      this.asked.set(session, caller);
    }
    return caller;
  }
}
