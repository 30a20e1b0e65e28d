import { useId, useState } from 'react';
import { api, type Activation, type License, type TrackingMode } from '../api';
import { useForm } from '../hooks';
import { FormDialog } from './Dialog';
import { Field } from './Field';

/** The seed page's table, in its words. */
const DIFFERENCES: [question: string, dynamsoft: 'Yes' | 'No', self: 'Yes' | 'No'][] = [
  ['Need to designate a server to host LTS', 'No', 'Yes'],
  ['Need to Install and manage LTS', 'No', 'Yes'],
  ['Must maintain connection to Dynamsoft Server', 'Yes', 'No'],
  ['Must send usage data to Dynamsoft Server', 'Yes', 'No'],
];

const MODES: { mode: TrackingMode; label: string; hint: string }[] = [
  {
    mode: 'vendor-hosted',
    label: 'Dynamsoft-hosting',
    hint: "Dynamsoft's License Tracking Server tracks the usage. Your client devices must be able to reach it.",
  },
  {
    mode: 'self-hosted',
    label: 'Self-hosting',
    hint: 'Your own License Tracking Server tracks the usage, at your site. No usage data is sent to Dynamsoft.',
  },
];

interface Props {
  license: License;
  onClose: () => void;
  onActivated: (license: License) => void;
}

/** What a self-hosted LTS calls itself: `lts-` and 20 Crockford base32 characters (apps/tracking). */
const LTS_INSTANCE_ID = /^lts-[0-9a-hjkmnp-tv-z]{20}$/;

/** "Activate": choose how the licence's usage is tracked, once and for all. */
export function ActivateDialog({ license, onClose, onActivated }: Props) {
  const ids = useId();
  const form = useForm({ ltsInstanceId: '' }, ['trackingMode']);
  const [mode, setMode] = useState<TrackingMode | null>(null);
  const modeError = form.fieldErrors.trackingMode;
  const modeErrorId = `${ids}-mode-error`;

  const submit = async () => {
    if (!mode) return form.reject({ trackingMode: 'Choose Dynamsoft-hosting or self-hosting.' });
    if (
      mode === 'self-hosted' &&
      !form.filled({ ltsInstanceId: 'Enter the instance id of your License Tracking Server.' })
    ) {
      return;
    }
    const ltsInstanceId = form.values.ltsInstanceId.trim().toLowerCase();
    // The binding is for good: an id mistyped here would give a file no LTS accepts.
    if (mode === 'self-hosted' && !LTS_INSTANCE_ID.test(ltsInstanceId)) {
      return form.reject({
        ltsInstanceId:
          'This is not an LTS instance id. It is "lts-" followed by 20 letters and digits, like ' +
          'lts-7k2mxq9d4rb3t8nw5z1c: copy it from your LTS.',
      });
    }
    const activation: Activation =
      mode === 'self-hosted' ? { trackingMode: mode, ltsInstanceId } : { trackingMode: mode };
    const result = await form.submit(() => api.activateLicense(license.licenseId, activation));
    if (result.ok) onActivated(result.value);
  };

  return (
    <FormDialog
      title="Activate the license"
      onClose={onClose}
      onSubmit={submit}
      error={form.formError}
      submitLabel="Confirm activation"
      pending={form.pending}
    >
      <p>
        Choose who runs the License Tracking Server (LTS) that tracks this license&apos;s usage. Both options
        use the same LTS software; they differ in this way:
      </p>
      <table className="compare">
        <caption className="visually-hidden">Dynamsoft-hosting compared with self-hosting</caption>
        <thead>
          <tr>
            <th scope="col">Question</th>
            <th scope="col">Dynamsoft-hosting</th>
            <th scope="col">Self-hosting</th>
          </tr>
        </thead>
        <tbody>
          {DIFFERENCES.map(([question, dynamsoft, self]) => (
            <tr key={question}>
              <th scope="row">{question}</th>
              <td>{dynamsoft}</td>
              <td>{self}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>Generally, you choose to host your own LTS if</p>
      <ul>
        <li>your client devices may not be able to connect to the internet,</li>
        <li>you don&apos;t want to share your usage data with Dynamsoft, or</li>
        <li>you believe your own server would work faster.</li>
      </ul>
      <fieldset className={modeError ? 'field field-invalid' : 'field'}>
        <legend>How should this license be tracked?</legend>
        {MODES.map((option, index) => {
          const id = index === 0 ? form.fieldId('trackingMode') : `${ids}-${option.mode}`;
          const hintId = `${id}-hint`;
          return (
            <div className="choice" key={option.mode}>
              <input
                type="radio"
                id={id}
                name="trackingMode"
                value={option.mode}
                checked={mode === option.mode}
                onChange={() => {
                  setMode(option.mode);
                  form.clearError('trackingMode');
                }}
                aria-describedby={[hintId, modeError ? modeErrorId : null].filter(Boolean).join(' ')}
                aria-invalid={modeError ? true : undefined}
              />
              <label htmlFor={id}>{option.label}</label>
              <p className="hint" id={hintId}>
                {option.hint}
              </p>
            </div>
          );
        })}
        {modeError && (
          <p className="field-error" id={modeErrorId}>
            {modeError}
          </p>
        )}
      </fieldset>
      {mode === 'self-hosted' && (
        <Field
          label="LTS instance id"
          required
          spellCheck={false}
          hint={
            <>
              Your LTS prints it when it starts, and answers it at <code>GET /v1/lts/instance</code>. The
              license file will work on this LTS instance only.
            </>
          }
          {...form.field('ltsInstanceId')}
        />
      )}
      <div className="alert alert-warning" role="note">
        <p>
          <strong>This choice cannot be undone.</strong> Once activated, the license stays with the tracking
          you choose here{mode === 'self-hosted' ? ' and with this LTS instance' : ''}.
        </p>
      </div>
    </FormDialog>
  );
}
