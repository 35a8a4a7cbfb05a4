/** CannotCancelExport lives with the other named errors the state machine matches (shared/runtime/errors.ts). */
export { CannotCancelExport } from '../runtime/errors.ts';
