/** Something the caller asked for does not exist, or is not theirs (the two answer alike). */
export class NotFoundError extends Error {
  readonly code = 'not-found';
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}
