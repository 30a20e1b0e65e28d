import { StrictMode } from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { expect, vi } from 'vitest';
import type { License, LicenseItem, Session } from '../api';
import { App } from '../App';

/**
 * The component tests' one fake: `fetch`, answering like the portal server's JSON API. Every request is
 * recorded so that a test can check what the page sent.
 */

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A reply, a list of replies for successive calls (the last repeats), or how to answer a call. */
type Route = Reply | 'network-error' | 'pending' | (Reply | 'network-error' | 'pending')[];

export interface Call {
  method: string;
  path: string;
  body: unknown;
}

export const ok = (body?: unknown, status = 200): Reply => ({ status, body });
export const noContent: Reply = { status: 204 };

export const problem = (
  status: number,
  slug: string,
  detail: string,
  errors?: { field: string; message: string }[],
  headers: Record<string, string> = {},
): Reply => ({
  status,
  body: {
    type: `https://portal.example/problems/${slug}`,
    title: slug,
    status,
    detail,
    ...(errors ? { errors } : {}),
  },
  headers: { 'content-type': 'application/problem+json', ...headers },
});

export const unauthorized = problem(401, 'unauthorized', 'Sign in first.');

export const SESSION: Session = {
  accountId: 'acc-1',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  company: null,
  roles: [],
};

function respond(reply: Reply): Response {
  const empty = reply.body === undefined || reply.status === 204;
  return new Response(empty ? null : JSON.stringify(reply.body), {
    status: reply.status,
    headers: { 'content-type': 'application/json', ...reply.headers },
  });
}

export function fakeApi(routes: Record<string, Route>) {
  const calls: Call[] = [];
  const seen = new Map<string, number>();
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const path = String(input);
    const key = `${method} ${path}`;
    calls.push({ method, path, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined });
    const route = routes[key];
    if (route === undefined)
      return respond(problem(500, 'unexpected', `The fake API has no route for ${key}.`));
    const count = seen.get(key) ?? 0;
    seen.set(key, count + 1);
    const reply = Array.isArray(route) ? route[Math.min(count, route.length - 1)] : route;
    if (reply === 'network-error') throw new TypeError('Failed to fetch');
    if (reply === 'pending' || reply === undefined) return new Promise<Response>(() => undefined);
    return respond(reply);
  });
  vi.stubGlobal('fetch', fetch);
  const sent = (method: string, path: string) =>
    calls.filter((call) => call.method === method && call.path === path);
  return { calls, sent };
}

/**
 * The whole app at `path` (a URL path with query), over the fake API. `strict` renders it in StrictMode as
 * main.tsx does: effects run twice on mount (which loads twice, so successive replies of a route shift).
 */
export function renderApp(path: string, routes: Record<string, Route>, { strict = false } = {}) {
  window.history.replaceState(null, '', path);
  const api = fakeApi(routes);
  const user = userEvent.setup();
  render(
    strict ? (
      <StrictMode>
        <App />
      </StrictMode>
    ) : (
      <App />
    ),
  );
  return { ...api, user };
}

/** Routes of a signed-in customer. */
export const signedIn = (routes: Record<string, Route> = {}): Record<string, Route> => ({
  'GET /v1/session': ok(SESSION),
  ...routes,
});

export async function expectHeading(name: string) {
  expect(await screen.findByRole('heading', { level: 1, name })).toBeInTheDocument();
}

export const item = (overrides: Partial<LicenseItem> = {}): LicenseItem => ({
  itemId: 'item-1',
  purchaseId: 'purchase-1',
  channel: 'store',
  externalRef: 'ST-100234',
  sku: 'BARCODE-JS-DEVICE-1Y',
  product: 'barcode-reader-js',
  unit: 'device',
  quantity: 2,
  term: '1y',
  purchasedAt: '2026-11-27T10:00:00Z',
  status: 'available',
  licenseId: null,
  ...overrides,
});

export const license = (overrides: Partial<License> = {}): License => ({
  licenseId: 'lic-1',
  licenseKey: 'OTL1-7K2MX-Q9D4R-B3T8N-W5Z1C',
  status: 'generated',
  trackingMode: null,
  ltsInstanceId: null,
  items: [
    {
      itemId: 'item-1',
      sku: 'BARCODE-JS-DEVICE-1Y',
      product: 'barcode-reader-js',
      unit: 'device',
      quantity: 2,
      expiresAt: null,
    },
  ],
  generatedAt: '2026-11-27T10:05:00Z',
  activatedAt: null,
  ...overrides,
});
