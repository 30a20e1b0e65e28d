/**
 * What the contract asks of every service besides its API: health, metrics, the OpenAPI document
 * (UI and JSON), and 413 for a body over 256 KiB. Asserted the same way for each service.
 */
export async function expectServiceSurface(
  url: string,
  expected: { paths: string[]; metrics: RegExp[]; checks?: Record<string, string> },
): Promise<void> {
  expect((await fetch(`${url}/health/live`)).status).toBe(200);
  const ready = await fetch(`${url}/health/ready`);
  expect(ready.status).toBe(200);
  const checks = expected.checks ?? { database: 'up', kafka: 'up' };
  expect(await ready.json()).toEqual({ status: 'up', checks });
  const metrics = await (await fetch(`${url}/metrics`)).text();
  for (const pattern of expected.metrics) expect(metrics).toMatch(pattern);
  const ui = await fetch(`${url}/docs`);
  expect(ui.status).toBe(200);
  expect(ui.headers.get('content-type')).toMatch(/^text\/html/);
  const openApi = (await (await fetch(`${url}/docs-json`)).json()) as { paths: Record<string, unknown> };
  expect(Object.keys(openApi.paths)).toEqual(expect.arrayContaining(expected.paths));
}

/** POSTs 300 KiB of JSON to `path` and expects 413 problem details. */
export async function expectBodyTooLarge(url: string, path: string, headers: Record<string, string> = {}) {
  const body = JSON.stringify({ padding: 'x'.repeat(300 * 1024) });
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  expect(response.status).toBe(413);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
}
