import { useCallback, useEffect, useRef, useState } from 'react';
import { api, licenseFileUrl, ProblemError, type License, type LicenseItem } from '../api';
import { ActivateDialog } from '../components/ActivateDialog';
import { useAnnounce } from '../components/Announcer';
import { CopyButton } from '../components/CopyButton';
import { Page } from '../components/Page';
import { LoadError, Loading } from '../components/Status';
import { ITEM_COLUMNS, itemCells, Table } from '../components/Table';
import { UsageChart } from '../components/UsageChart';
import { formatDateTime, label, licenseStatusLabel, trackingLabel } from '../format';
import { useResource } from '../hooks';
import { Link, useLocation, useNavigate } from '../router';
import { NotFoundPage } from './NotFound';

const TITLE = 'License Detail';

/** The licence the previous page handed over (it just generated it), shown at once. */
/** The licence with each item's term from the purchased items, where the licence leaves it out. */
function withTerms(license: License, purchased: LicenseItem[]): License {
  const terms = new Map(purchased.map((item) => [item.itemId, item.term]));
  return {
    ...license,
    items: license.items.map((item) =>
      item.term === undefined && terms.has(item.itemId) ? { ...item, term: terms.get(item.itemId) } : item,
    ),
  };
}

function licenseIn(state: unknown, licenseId: string): License | undefined {
  if (typeof state !== 'object' || state === null || !('license' in state)) return undefined;
  const license = state.license as License | null;
  return license?.licenseId === licenseId ? license : undefined;
}

function Usage({ license }: { license: License }) {
  const load = useCallback(() => api.getUsage(license.licenseId), [license.licenseId]);
  const { state, reload } = useResource(load);
  if (state.status === 'loading') return <Loading>Loading usage…</Loading>;
  if (state.status === 'error') {
    if (state.error instanceof ProblemError && state.error.status === 503) {
      return (
        <p role="status" className="calm">
          Usage is not available yet. It appears here once Dynamsoft&apos;s tracking service reports it;
          please look again later.
        </p>
      );
    }
    return <LoadError error={state.error} onRetry={reload} />;
  }
  const products = state.data.products;
  if (products === null) return <SelfHostedUsage />;
  if (products.length === 0) return <p>No usage recorded yet.</p>;
  return (
    <>
      {products.map((usage) => (
        <section key={usage.product} className="product-usage" aria-labelledby={`usage-${usage.product}`}>
          <h3 id={`usage-${usage.product}`}>{usage.product}</h3>
          <p className="seats">
            <strong>
              {usage.seatsInUse} of {usage.seatsTotal}
            </strong>{' '}
            seats in use now (one seat per {usage.unit}).
          </p>
          <UsageChart usage={usage} />
        </section>
      ))}
    </>
  );
}

function SelfHostedUsage() {
  return (
    <p>
      This license is tracked by your own License Tracking Server: its usage stays there and is not sent to
      Dynamsoft. Load the license file into your LTS (<code>POST /v1/lts/license-files</code> on it); your LTS
      then shows the seats in use (<code>GET /v1/lts/licenses/&#123;licenseKey&#125;/usage</code>).
    </p>
  );
}

function LicenseView({
  license,
  onActivated,
}: {
  license: License;
  onActivated: (license: License) => void;
}) {
  const [activating, setActivating] = useState(false);
  const [justActivated, setJustActivated] = useState(false);
  const download = useRef<HTMLAnchorElement>(null);
  const announce = useAnnounce();
  const activated = license.status === 'activated';

  useEffect(() => {
    if (justActivated) download.current?.focus();
  }, [justActivated]);

  const activationDone = (updated: License) => {
    setActivating(false);
    setJustActivated(true);
    onActivated(updated);
    announce('License activated. You can now download the license file.');
  };

  return (
    <Page title={TITLE}>
      <p>
        <Link to="/licenses">Back to Generate License(s)</Link>
      </p>
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>{label(licenseStatusLabel, license.status)}</dd>
        </div>
        <div>
          <dt>License key</dt>
          <dd className="key-row">
            <code id="license-key" className="license-key">
              {license.licenseKey}
            </code>
            <CopyButton text={license.licenseKey} textId="license-key" />
          </dd>
        </div>
        <div>
          <dt>Generated</dt>
          <dd>{formatDateTime(license.generatedAt)}</dd>
        </div>
      </dl>

      <section aria-labelledby="items-heading" className="block">
        <h2 id="items-heading">Items</h2>
        <Table
          caption="Items of this license"
          columns={ITEM_COLUMNS}
          rows={license.items.map((item) => ({ id: item.itemId, cells: itemCells(item) }))}
        />
      </section>

      <section aria-labelledby="activation-heading" className="block">
        <h2 id="activation-heading">Activation</h2>
        {license.status === 'revoked' && (
          <p>This license was revoked: a purchase it covers was refunded. It can no longer be used.</p>
        )}
        {license.status === 'generated' && (
          <>
            <p>
              This license is generated but not activated yet. Activate it to choose how its usage is tracked:
              by Dynamsoft (Dynamsoft-hosting) or by your own License Tracking Server (self-hosting).
            </p>
            <button type="button" className="button" onClick={() => setActivating(true)}>
              Activate
            </button>
          </>
        )}
        {license.trackingMode && (
          <dl className="facts">
            <div>
              <dt>Tracking</dt>
              <dd>{label(trackingLabel, license.trackingMode)}</dd>
            </div>
            {license.ltsInstanceId && (
              <div>
                <dt>LTS instance id</dt>
                <dd>
                  <code>{license.ltsInstanceId}</code>
                </dd>
              </div>
            )}
            {license.activatedAt && (
              <div>
                <dt>Activated</dt>
                <dd>{formatDateTime(license.activatedAt)}</dd>
              </div>
            )}
          </dl>
        )}
      </section>

      <section aria-labelledby="file-heading" className="block">
        <h2 id="file-heading">License file</h2>
        {activated ? (
          <>
            <p>The signed license file for your License Tracking Server and your applications.</p>
            <a ref={download} className="button" href={licenseFileUrl(license.licenseId)} download>
              Download License File
            </a>
          </>
        ) : (
          <p>
            {license.status === 'revoked'
              ? 'A revoked license has no license file.'
              : 'Activate the license first: its license file can be downloaded once it is activated.'}
          </p>
        )}
      </section>

      <section aria-labelledby="usage-heading" className="block">
        <h2 id="usage-heading">Usage</h2>
        {license.trackingMode === 'vendor-hosted' ? (
          <Usage license={license} />
        ) : license.trackingMode === 'self-hosted' ? (
          <SelfHostedUsage />
        ) : (
          <p>Usage appears here once the license is activated with Dynamsoft-hosting.</p>
        )}
      </section>

      {activating && (
        <ActivateDialog license={license} onClose={() => setActivating(false)} onActivated={activationDone} />
      )}
    </Page>
  );
}

/** License Detail: status, key, items, activation, the licence file and, for vendor hosting, usage. */
export function LicenseDetailPage({ licenseId }: { licenseId: string }) {
  const { pathname, state: historyState } = useLocation();
  const navigate = useNavigate();
  const load = useCallback(() => api.getLicense(licenseId), [licenseId]);
  const { state, reload, replace } = useResource(load, licenseIn(historyState, licenseId));
  // A licence lists its items without their term; the purchased items have it (1 year, perpetual).
  const loadItems = useCallback(() => api.listLicenseItems(), []);
  const { state: itemsState } = useResource(loadItems);
  const terms = itemsState.status === 'ok' ? itemsState.data : [];

  const activated = (license: License) => {
    replace(license);
    // The history entry holds the licence as it is now (a reload shows it so until the fresh copy arrives).
    navigate(pathname, { replace: true, state: { license } });
  };

  if (state.status === 'ok') {
    return <LicenseView license={withTerms(state.data, terms)} onActivated={activated} />;
  }
  if (state.status === 'error' && state.error instanceof ProblemError && state.error.status === 404) {
    return <NotFoundPage />;
  }
  return (
    <Page title={TITLE}>
      <div aria-busy={state.status === 'loading'}>
        {state.status === 'loading' ? (
          <Loading>Loading the license…</Loading>
        ) : (
          <LoadError error={state.error} onRetry={reload} />
        )}
      </div>
    </Page>
  );
}
