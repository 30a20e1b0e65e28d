import type { TrackingMode } from '@otl/contracts';

export const SERVICE_NAME = 'tracking';
export const DEFAULT_PORT = 3106;

/** LTS_MODE, read before anything else so a self-hosted server never loads the hosted code. */
export function trackingModeOf(source: Record<string, string | undefined> = process.env): TrackingMode {
  const mode = source.LTS_MODE ?? 'vendor-hosted';
  if (mode === 'vendor-hosted' || mode === 'self-hosted') return mode;
  throw new Error(`LTS_MODE must be vendor-hosted or self-hosted, got "${mode}"`);
}
