import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { UsageHour } from '../api';
import { expectHeading, item, license, ok, problem, renderApp, signedIn } from '../test/fake-api';

const generated = license();
const selfHosted = license({
  status: 'activated',
  trackingMode: 'self-hosted',
  ltsInstanceId: 'lts-42',
  activatedAt: '2026-11-28T08:30:00Z',
});
const vendorHosted = license({
  status: 'activated',
  trackingMode: 'vendor-hosted',
  activatedAt: '2026-11-28T08:30:00Z',
});

function open(answer: unknown, more = {}) {
  return renderApp('/licenses/lic-1', signedIn({ 'GET /v1/licenses/lic-1': answer as never, ...more }));
}

async function openDialog(more = {}) {
  const app = open(ok(generated), more);
  await app.user.click(await screen.findByRole('button', { name: 'Activate' }));
  return { ...app, dialog: screen.getByRole('dialog', { name: 'Activate the license' }) };
}

describe('License Detail', () => {
  it('says it is loading', async () => {
    open('pending');
    expect(await screen.findByText('Loading the license…')).toHaveAttribute('role', 'status');
  });

  it('shows the status, the key, the items, and that activation comes before the file', async () => {
    open(ok(generated));
    await expectHeading('License Detail');
    expect(await screen.findByText('Generated, not activated')).toBeVisible();
    expect(screen.getByText('OTL1-7K2MX-Q9D4R-B3T8N-W5Z1C')).toBeVisible();
    expect(screen.getByRole('row', { name: /BARCODE-JS-DEVICE-1Y/ })).toHaveTextContent(
      /barcode-reader-js.*device.*2/,
    );
    expect(screen.queryByRole('link', { name: 'Download License File' })).not.toBeInTheDocument();
    expect(
      screen.getByText(
        'Activate the license first: its license file can be downloaded once it is activated.',
      ),
    ).toBeVisible();
  });

  it("shows each item's term from the purchased items (the licence leaves it out)", async () => {
    open(ok(generated), {
      'GET /v1/license-items': ok([item({ term: 'perpetual', status: 'licensed', licenseId: 'lic-1' })]),
    });
    expect(await screen.findByRole('row', { name: /BARCODE-JS-DEVICE-1Y/ })).toHaveTextContent(/Perpetual/);
  });

  it('shows the expiry date of an activated item instead of its term', async () => {
    const items = [{ ...generated.items[0]!, expiresAt: '2027-11-28T08:30:00Z' }];
    open(ok({ ...selfHosted, items }), { 'GET /v1/license-items': ok([item({ status: 'licensed' })]) });
    expect(await screen.findByRole('row', { name: /BARCODE-JS-DEVICE-1Y/ })).toHaveTextContent(
      /Until Nov 28, 2027/,
    );
  });

  it('shows no term when the purchased items cannot be read, and the licence still', async () => {
    open(ok(generated), { 'GET /v1/license-items': problem(503, 'upstream-unavailable', 'Try again.') });
    expect(await screen.findByRole('row', { name: /BARCODE-JS-DEVICE-1Y/ })).toHaveTextContent(/–/);
    expect(screen.getByText('OTL1-7K2MX-Q9D4R-B3T8N-W5Z1C')).toBeVisible();
  });

  it('is the not-found page when the API answers 404', async () => {
    open(problem(404, 'not-found', 'No such license.'));
    await expectHeading('Page not found');
  });

  it("shows the API's problem when loading fails", async () => {
    open(problem(502, 'bad-gateway', 'The license service did not answer.'));
    expect(await screen.findByRole('alert')).toHaveTextContent('The license service did not answer.');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeVisible();
  });

  it('copies the key and says so', async () => {
    const { user } = open(ok(generated));
    await user.click(await screen.findByRole('button', { name: 'Copy' }));
    expect(await screen.findByText('Copied')).toBeVisible();
    expect(await navigator.clipboard.readText()).toBe('OTL1-7K2MX-Q9D4R-B3T8N-W5Z1C');
  });

  it('selects the key and says how to copy it when there is no clipboard', async () => {
    const { user } = open(ok(generated));
    const button = await screen.findByRole('button', { name: 'Copy' });
    const clipboard = Object.getOwnPropertyDescriptor(window.navigator, 'clipboard');
    Object.defineProperty(window.navigator, 'clipboard', { value: undefined, configurable: true });
    try {
      await user.click(button);
      expect(await screen.findByText(/Copying is not available in this browser/)).toBeVisible();
      expect(window.getSelection()?.toString()).toBe('OTL1-7K2MX-Q9D4R-B3T8N-W5Z1C');
    } finally {
      if (clipboard) Object.defineProperty(window.navigator, 'clipboard', clipboard);
    }
  });

  it('once activated self-hosted: the mode, the instance id, the date, the file link and no usage call', async () => {
    const { sent } = open(ok(selfHosted));
    expect(await screen.findByText('Self-hosting')).toBeVisible();
    expect(screen.getByText('lts-42')).toBeVisible();
    expect(screen.getByText('Nov 28, 2026, 8:30 AM')).toBeVisible();
    expect(screen.getByRole('link', { name: 'Download License File' })).toHaveAttribute(
      'href',
      '/v1/licenses/lic-1/file',
    );
    expect(screen.getByRole('link', { name: 'Download License File' })).toHaveAttribute('download');
    expect(screen.queryByRole('button', { name: 'Activate' })).not.toBeInTheDocument();
    expect(screen.getAllByText(/its usage stays there and is not sent to Dynamsoft/)).toHaveLength(1);
    expect(sent('GET', '/v1/usage/licenses/lic-1')).toHaveLength(0);
  });
});

describe('Activate', () => {
  it("explains both modes in the seed page's table and says the choice cannot be undone", async () => {
    const { dialog } = await openDialog();
    expect(within(dialog).getByRole('heading', { name: 'Activate the license' })).toHaveFocus();
    const table = within(dialog).getByRole('table');
    const rows = within(table)
      .getAllByRole('row')
      .map((row) => row.textContent);
    expect(rows).toEqual([
      'QuestionDynamsoft-hostingSelf-hosting',
      'Need to designate a server to host LTSNoYes',
      'Need to Install and manage LTSNoYes',
      'Must maintain connection to Dynamsoft ServerYesNo',
      'Must send usage data to Dynamsoft ServerYesNo',
    ]);
    expect(within(dialog).getByText('This choice cannot be undone.')).toBeVisible();
    expect(within(dialog).queryByLabelText('LTS instance id')).not.toBeInTheDocument();
  });

  it('requires a choice, and the LTS instance id for self-hosting, before calling the API', async () => {
    const { user, dialog, sent } = await openDialog();
    await user.click(within(dialog).getByRole('button', { name: 'Confirm activation' }));
    expect(within(dialog).getByRole('radio', { name: 'Dynamsoft-hosting' })).toHaveAccessibleDescription(
      /Choose Dynamsoft-hosting or self-hosting\./,
    );
    await user.click(within(dialog).getByRole('radio', { name: 'Self-hosting' }));
    const instance = within(dialog).getByLabelText('LTS instance id');
    expect(instance).toHaveAccessibleDescription(/GET \/v1\/lts\/instance/);
    await user.click(within(dialog).getByRole('button', { name: 'Confirm activation' }));
    expect(instance).toHaveAccessibleDescription(/Enter the instance id of your License Tracking Server\./);
    expect(instance).toHaveFocus();
    expect(sent('POST', '/v1/licenses/lic-1/activation')).toHaveLength(0);
  });

  it('activates self-hosted with the instance id and then offers the file', async () => {
    const { user, dialog, sent } = await openDialog({ 'POST /v1/licenses/lic-1/activation': ok(selfHosted) });
    await user.click(within(dialog).getByRole('radio', { name: 'Self-hosting' }));
    await user.type(within(dialog).getByLabelText('LTS instance id'), ' LTS-7K2MXQ9D4RB3T8NW5Z1C ');
    await user.click(within(dialog).getByRole('button', { name: 'Confirm activation' }));
    const download = await screen.findByRole('link', { name: 'Download License File' });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(download).toHaveFocus();
    expect(screen.getByText('lts-42')).toBeVisible();
    expect(sent('POST', '/v1/licenses/lic-1/activation')[0]?.body).toEqual({
      trackingMode: 'self-hosted',
      ltsInstanceId: 'lts-7k2mxq9d4rb3t8nw5z1c',
    });
  });

  it('refuses an instance id that is not one an LTS makes, before anything is bound', async () => {
    const { user, dialog, sent } = await openDialog({ 'POST /v1/licenses/lic-1/activation': ok(selfHosted) });
    await user.click(within(dialog).getByRole('radio', { name: 'Self-hosting' }));
    const instance = within(dialog).getByLabelText('LTS instance id');
    await user.type(instance, 'my-server');
    await user.click(within(dialog).getByRole('button', { name: 'Confirm activation' }));
    expect(instance).toHaveAccessibleDescription(/This is not an LTS instance id/);
    expect(instance).toHaveFocus();
    expect(sent('POST', '/v1/licenses/lic-1/activation')).toHaveLength(0);
  });

  it('clears "choose a tracking mode" once one is chosen', async () => {
    const { user, dialog } = await openDialog();
    await user.click(within(dialog).getByRole('button', { name: 'Confirm activation' }));
    expect(within(dialog).getByText('Choose Dynamsoft-hosting or self-hosting.')).toBeVisible();
    await user.click(within(dialog).getByRole('radio', { name: 'Self-hosting' }));
    expect(within(dialog).queryByText('Choose Dynamsoft-hosting or self-hosting.')).not.toBeInTheDocument();
  });

  it("shows the API's 409 at the top of the dialog", async () => {
    const { user, dialog } = await openDialog({
      'POST /v1/licenses/lic-1/activation': problem(
        409,
        'already-activated',
        'This license is activated differently.',
      ),
    });
    await user.click(within(dialog).getByRole('radio', { name: 'Dynamsoft-hosting' }));
    await user.click(within(dialog).getByRole('button', { name: 'Confirm activation' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'This license is activated differently.',
    );
  });

  it("puts the API's error about the instance id next to that field", async () => {
    const { user, dialog } = await openDialog({
      'POST /v1/licenses/lic-1/activation': problem(400, 'invalid-body', 'Invalid field: ltsInstanceId', [
        { field: 'ltsInstanceId', message: 'must be a UUID' },
      ]),
    });
    await user.click(within(dialog).getByRole('radio', { name: 'Self-hosting' }));
    await user.type(within(dialog).getByLabelText('LTS instance id'), 'lts-0000000000000000000a');
    await user.click(within(dialog).getByRole('button', { name: 'Confirm activation' }));
    await waitFor(() =>
      expect(within(dialog).getByLabelText('LTS instance id')).toHaveAccessibleDescription(
        /Must be a UUID\./,
      ),
    );
    expect(within(dialog).queryByRole('alert')).not.toBeInTheDocument();
  });

  it('closes on Escape and gives focus back to Activate', async () => {
    const { user } = await openDialog();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Activate' })).toHaveFocus();
  });
});

const HOUR = 3_600_000;
const END = Date.parse('2026-11-30T23:00:00Z');
/** 30 days of hours: 1 seat in use, 4 at the busiest hour (Nov 20, 14:00), 3 denied requests then. */
const history: UsageHour[] = Array.from({ length: 720 }, (_, index) => {
  const hour = new Date(END - (719 - index) * HOUR).toISOString();
  const busiest = hour === '2026-11-20T14:00:00.000Z';
  return { hour, peakSeatsInUse: busiest ? 4 : 1, denied: busiest ? 3 : 0 };
});

describe('Usage (Dynamsoft-hosting)', () => {
  it('shows seats in use of the total and a chart of 30 days with a text alternative', async () => {
    open(ok(vendorHosted), {
      'GET /v1/usage/licenses/lic-1': ok({
        licenseId: 'lic-1',
        trackingMode: 'vendor-hosted',
        products: [{ product: 'barcode-reader-js', unit: 'device', seatsTotal: 5, seatsInUse: 3, history }],
      }),
    });
    const usage = await screen.findByRole('region', { name: 'Usage' });
    expect(await within(usage).findByRole('heading', { name: 'barcode-reader-js' })).toBeVisible();
    expect(usage).toHaveTextContent('3 of 5 seats in use now (one seat per device).');
    const figures = within(usage).getAllByRole('figure');
    expect(figures[0]).toHaveAccessibleName(
      'Peak seats in use per hour, Nov 1, 2026 to Nov 30, 2026: at most 4 of 5, first on Nov 20, 2026. The dashed line marks the seats of the license.',
    );
    expect(figures[0]?.querySelector('svg path')).toHaveAttribute('d', expect.stringMatching(/^M0,100/));
    expect(figures[1]).toHaveAccessibleName(
      'Denied requests per hour, Nov 1, 2026 to Nov 30, 2026: 3 requests in all, at most 3 in one hour; the most on Nov 20, 2026 (3).',
    );
    const table = within(usage).getByRole('table', { name: 'Usage of barcode-reader-js per day' });
    const days = within(table).getAllByRole('row').slice(1);
    expect(days).toHaveLength(30);
    expect(within(table).getByRole('row', { name: /Nov 20, 2026/ })).toHaveTextContent('Nov 20, 202643');
  });

  it('says calmly that usage is not available yet when tracking answers 503', async () => {
    open(ok(vendorHosted), {
      'GET /v1/usage/licenses/lic-1': problem(503, 'usage-unavailable', 'Tracking cannot be reached.'),
    });
    const usage = await screen.findByRole('region', { name: 'Usage' });
    expect(await within(usage).findByText(/Usage is not available yet\./)).toHaveClass('calm');
    expect(within(usage).queryByRole('alert')).not.toBeInTheDocument();
  });

  it('says no usage was recorded when the history is empty', async () => {
    open(ok(vendorHosted), {
      'GET /v1/usage/licenses/lic-1': ok({
        licenseId: 'lic-1',
        trackingMode: 'vendor-hosted',
        products: [
          { product: 'barcode-reader-js', unit: 'device', seatsTotal: 5, seatsInUse: 0, history: [] },
        ],
      }),
    });
    expect(await screen.findByText('No usage recorded in the last 30 days.')).toBeVisible();
    expect(screen.queryByRole('figure')).not.toBeInTheDocument();
  });
});
