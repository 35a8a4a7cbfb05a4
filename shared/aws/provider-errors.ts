/** CannotCancelExport lives with the other named errors the state machine matches (shared/errors.ts). */
export { CannotCancelExport } from '../errors.ts';
