import { Page } from '../components/Page';
import { Link } from '../router';

/** Also the answer for a licence the API does not show this account (not there, or someone else's). */
export function NotFoundPage() {
  return (
    <Page title="Page not found" narrow>
      <p>There is nothing here: the address may be mistyped, or the page is not available to your account.</p>
      <p>
        <Link to="/licenses">Go to Generate License(s)</Link>
      </p>
    </Page>
  );
}
