import { Page } from '../components/Page';
import { Link } from '../router';
import { isStaff, useSession } from '../session';

/**
 * Also the answer for a licence or purchase order the API does not show this account (not there, or
 * someone else's). The way back is the signed-in person's home: the sales desk for staff.
 */
export function NotFoundPage() {
  const { state } = useSession();
  const staff = state.status === 'signed-in' && isStaff(state.session);
  return (
    <Page title="Page not found" narrow>
      <p>There is nothing here: the address may be mistyped, or the page is not available to your account.</p>
      <p>
        {staff ? (
          <Link to="/desk">Go to the sales desk</Link>
        ) : (
          <Link to="/licenses">Go to Generate License(s)</Link>
        )}
      </p>
    </Page>
  );
}
