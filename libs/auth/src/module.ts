import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ACCESS_TOKEN_KEYS, AccessTokenGuard, AUTH_OPTIONS, type AuthOptions } from './guard';
import { JwksClient } from './jwks-client';
import type { KeyResolver } from './keys';

export interface AuthModuleOptions extends AuthOptions {
  /** Where the issuer publishes its keys; the usual choice for every service but the issuer. */
  jwksUrl?: string;
  jwksCacheTtlSeconds?: number;
  jwksMinRefetchIntervalSeconds?: number;
  jwksTimeoutMs?: number;
  /** Keys at hand instead of a JWKS URL: the account service verifies with its own SigningKeyRing. */
  keys?: KeyResolver;
}

/**
 * Provides AccessTokenGuard, its options and its key source (a JwksClient when `jwksUrl` is given).
 * Global, so any controller in the app can use `@Authenticated()` or `@UseGuards(AccessTokenGuard)`.
 */
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions): DynamicModule {
    if ((options.jwksUrl === undefined) === (options.keys === undefined)) {
      throw new Error('AuthModule.forRoot needs exactly one of jwksUrl and keys');
    }
    const keys: Provider = options.jwksUrl
      ? {
          provide: ACCESS_TOKEN_KEYS,
          useValue: new JwksClient({
            url: options.jwksUrl,
            cacheTtlSeconds: options.jwksCacheTtlSeconds,
            minRefetchIntervalSeconds: options.jwksMinRefetchIntervalSeconds,
            timeoutMs: options.jwksTimeoutMs,
            logger: options.logger,
          }),
        }
      : { provide: ACCESS_TOKEN_KEYS, useValue: options.keys };
    return {
      module: AuthModule,
      global: true,
      providers: [{ provide: AUTH_OPTIONS, useValue: options }, keys, AccessTokenGuard],
      exports: [AUTH_OPTIONS, ACCESS_TOKEN_KEYS, AccessTokenGuard],
    };
  }
}
