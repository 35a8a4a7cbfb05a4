/**
 * Errors of the export providers beyond shared/errors.ts. Like those, the name is the contract the
 * state machine matches on, so it is set from the class and never minified away.
 */

/**
 * The service cannot cancel this export (ADS has no cancel at all; EC2 refuses once the final disk
 * image is being transferred). The export goes on by itself: the workflow should say it stopped
 * following it, not that it failed or was canceled.
 */
export class CannotCancelExport extends Error {
  /** The export that goes on. Declared, not a class field: esbuild must emit the class's static name block first. */
  declare readonly exportId: string;

  constructor(message: string, exportId: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exportId = exportId;
  }
}
