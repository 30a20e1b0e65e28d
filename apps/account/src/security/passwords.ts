import { Algorithm, hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

/** OWASP's Argon2id minimum: 19 MiB of memory, 2 iterations, 1 lane. Stored as a PHC string. */
export const ARGON2ID_OWASP = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
} as const;

export interface PasswordHasherOptions {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * Argon2id hashing on libuv's thread pool. `check` always costs one verification, also when there
 * is no hash to check against, so an unknown address answers as slowly as a wrong password.
 */
export class PasswordHasher {
  private constructor(
    private readonly options: PasswordHasherOptions,
    private readonly decoy: string,
  ) {}

  static async create(options: PasswordHasherOptions = ARGON2ID_OWASP): Promise<PasswordHasher> {
    const decoy = await hash(randomBytes(32), { ...options, algorithm: Algorithm.Argon2id });
    return new PasswordHasher(options, decoy);
  }

  hash(password: string): Promise<string> {
    return hash(password, { ...this.options, algorithm: Algorithm.Argon2id });
  }

  /** Whether `password` matches `stored`; with no stored hash, a decoy is verified and false returned. */
  async check(stored: string | null, password: string): Promise<boolean> {
    const matches = await verify(stored ?? this.decoy, password).catch(() => false);
    return stored !== null && matches;
  }
}
