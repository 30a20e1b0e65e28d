import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { expectHeading, item, license, ok, problem, renderApp, signedIn } from '../test/fake-api';

const storeOrder = [
  item({ itemId: 'item-1', sku: 'BARCODE-JS-DEVICE-1Y' }),
  item({
    itemId: 'item-2',
    sku: 'WEBTWAIN-PRO-DOMAIN-1Y',
    product: 'web-twain',
    unit: 'domain',
    quantity: 1,
  }),
];
const poOrder = [
  item({
    itemId: 'item-3',
    purchaseId: 'purchase-2',
    channel: 'purchase-order',
    externalRef: 'PO-2026-17',
    sku: 'BARCODE-SERVER-INSTANCE-PERP',
    product: 'barcode-reader-server',
    unit: 'instance',
    term: 'perpetual',
    purchasedAt: '2026-10-02T09:00:00Z',
    status: 'licensed',
    licenseId: 'lic-9',
  }),
];

function open(items: unknown, more = {}) {
  return renderApp(
    '/licenses',
    signedIn({ 'GET /v1/license-items': items as never, 'GET /v1/licenses': ok([]), ...more }),
  );
}

const orderSection = (reference: string) =>
  screen.getByRole('heading', { level: 3, name: `Order ${reference}` }).closest('section') as HTMLElement;

describe('Licenses: Generate License(s)', () => {
  it('says it is loading, accessibly', async () => {
    open('pending');
    expect(await screen.findByText('Loading your purchased items…')).toHaveAttribute('role', 'status');
    expect(screen.getByRole('region', { name: 'Purchased items' })).toHaveAttribute('aria-busy', 'true');
    await waitFor(() => expect(document.title).toBe('Generate License(s) – Dynamsoft Customer Portal'));
  });

  it('says there are no purchased items yet, and how purchases arrive', async () => {
    open(ok([]));
    expect(await screen.findByText('No purchased items yet')).toBeVisible();
    expect(screen.getByText(/from the Dynamsoft Store within minutes/)).toBeVisible();
    expect(screen.getByText('No licenses yet. Generate one from your purchased items above.')).toBeVisible();
  });

  it("shows the API's problem and loads again on Try again", async () => {
    const { user } = open([
      problem(500, 'internal', 'The license service is not answering.'),
      ok(storeOrder),
    ]);
    const region = await screen.findByRole('region', { name: 'Purchased items' });
    expect(await within(region).findByRole('alert')).toHaveTextContent(
      'The license service is not answering.',
    );
    await user.click(within(region).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('heading', { name: 'Order ST-100234' })).toBeVisible();
  });

  it('groups the items by order, with the channel, reference, date and status in words', async () => {
    open(ok([...storeOrder, ...poOrder]));
    await screen.findByRole('heading', { name: 'Order ST-100234' });
    const store = orderSection('ST-100234');
    expect(store).toHaveTextContent('Store · Purchased Nov 27, 2026');
    const rows = within(store).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent(
      /BARCODE-JS-DEVICE-1Y.*barcode-reader-js.*device.*2.*1 year.*Available/,
    );
    expect(within(store).getAllByRole('button', { name: 'Generate License' })).toHaveLength(2);

    const po = orderSection('PO-2026-17');
    expect(po).toHaveTextContent('Purchase order · Purchased Oct 2, 2026');
    expect(po).toHaveTextContent(/Perpetual.*Licensed/);
    expect(within(po).queryByRole('button', { name: 'Generate License' })).not.toBeInTheDocument();
    expect(within(po).queryByRole('checkbox')).not.toBeInTheDocument();
    expect(within(po).getByRole('link', { name: 'View license' })).toHaveAttribute('href', '/licenses/lic-9');
  });

  it('generates one license for the checked items and opens its License Detail', async () => {
    const created = license({ licenseId: 'lic-2', licenseKey: 'OTL1-TWO-ITEMS' });
    const { user, sent } = open(ok(storeOrder), {
      'POST /v1/licenses': ok(created, 201),
      'GET /v1/licenses/lic-2': 'pending',
    });
    const combine = await screen.findByRole('button', { name: 'Generate one License' });
    expect(combine).toBeDisabled();
    expect(combine).toHaveAccessibleDescription(/Check two or more available items .* \(0 checked\)/);
    await user.click(
      screen.getByRole('checkbox', { name: 'Select BARCODE-JS-DEVICE-1Y of order ST-100234' }),
    );
    expect(combine).toBeDisabled();
    await user.click(
      screen.getByRole('checkbox', { name: 'Select WEBTWAIN-PRO-DOMAIN-1Y of order ST-100234' }),
    );
    expect(combine).toBeEnabled();
    expect(combine).toHaveAccessibleDescription('2 items checked: one license will cover them all.');
    await user.click(combine);
    await expectHeading('License Detail');
    expect(window.location.pathname).toBe('/licenses/lic-2');
    // The licence the API just returned is shown at once, while a fresh copy loads.
    expect(screen.getByText('OTL1-TWO-ITEMS')).toBeVisible();
    expect(sent('POST', '/v1/licenses')[0]?.body).toEqual({ itemIds: ['item-1', 'item-2'] });
  });

  it('generates a license for one item with its Generate License button', async () => {
    const { user, sent } = open(ok(storeOrder), {
      'POST /v1/licenses': ok(license({ licenseId: 'lic-3' }), 201),
      'GET /v1/licenses/lic-3': ok(license({ licenseId: 'lic-3' })),
    });
    await screen.findByRole('heading', { name: 'Order ST-100234' });
    const row = screen.getByRole('row', { name: /WEBTWAIN-PRO-DOMAIN-1Y/ });
    await user.click(within(row).getByRole('button', { name: 'Generate License' }));
    await expectHeading('License Detail');
    expect(sent('POST', '/v1/licenses')[0]?.body).toEqual({ itemIds: ['item-2'] });
  });

  it('shows why generating failed and the items as they are now', async () => {
    const { user } = open([ok(storeOrder), ok([storeOrder[0], { ...storeOrder[1], status: 'refunded' }])], {
      'POST /v1/licenses': problem(
        409,
        'item-not-available',
        'Item WEBTWAIN-PRO-DOMAIN-1Y is no longer available.',
      ),
    });
    await screen.findByRole('heading', { name: 'Order ST-100234' });
    const row = screen.getByRole('row', { name: /WEBTWAIN-PRO-DOMAIN-1Y/ });
    await user.click(within(row).getByRole('button', { name: 'Generate License' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Item WEBTWAIN-PRO-DOMAIN-1Y is no longer available.',
    );
    expect(await within(row).findByText('Refunded')).toBeVisible();
    expect(within(row).queryByRole('button', { name: 'Generate License' })).not.toBeInTheDocument();
    expect(window.location.pathname).toBe('/licenses');
  });

  it("lists the customer's licenses with a link to each", async () => {
    renderApp(
      '/licenses',
      signedIn({
        'GET /v1/license-items': ok([]),
        'GET /v1/licenses': ok([
          license({ licenseId: 'lic-7', licenseKey: 'OTL1-SEVEN', status: 'activated' }),
        ]),
      }),
    );
    const list = await screen.findByRole('region', { name: 'Your licenses' });
    const link = await within(list).findByRole('link', { name: 'OTL1-SEVEN' });
    expect(link).toHaveAttribute('href', '/licenses/lic-7');
    expect(within(list).getByRole('row', { name: /OTL1-SEVEN/ })).toHaveTextContent('Activated');
  });
});
