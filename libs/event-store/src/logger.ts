/** The slice of a pino logger the event store uses (pino loggers satisfy it). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const ignore = () => undefined;
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

export function errorFields(error: unknown): { err: { name: string; message: string; code?: string } } {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return {
      err: { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) },
    };
  }
  return { err: { name: 'NonError', message: String(error) } };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
