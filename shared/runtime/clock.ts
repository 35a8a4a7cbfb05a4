/** Injected wherever "now" matters, so tests and the local simulator run on their own clock. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
