// How a mutation asks the person before it acts: a modal naming project, environment and from → to.
// The composition root wires the modal; the VS Code tier, which cannot click a modal, replaces it through
// the extension's test API (FlightdeckApi.setConfirmer) and the UI tier clicks the real one. No command
// argument skips the question.
import * as vscode from 'vscode';

export interface ConfirmRequest {
  message: string;
  detail: string;
  /** The button that goes ahead ("Promote", "Force Rollback", …). */
  action: string;
}

export interface Confirmer {
  /** True when the person chose `action`; false when they dismissed the question. */
  confirm(request: ConfirmRequest): Promise<boolean>;
}

export const modalConfirmer: Confirmer = {
  async confirm({ message, detail, action }) {
    return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
  },
};

/** The one confirmer the commands hold: the modal, unless the test API put another in its place. */
export class ConfirmerSlot implements Confirmer {
  private current: Confirmer = modalConfirmer;

  use(confirmer: Confirmer | undefined): void {
    this.current = confirmer ?? modalConfirmer;
  }

  confirm(request: ConfirmRequest): Promise<boolean> {
    return this.current.confirm(request);
  }
}
