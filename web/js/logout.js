// Logging out ends the server session, then wipes every account detail from
// the page before showing the login view.

import { logout } from './session.js';
import { navigate } from './router.js';
import { toast } from './ui/feedback.js';

export async function endSession() {
  try {
    await logout();
  } finally {
    document.getElementById('app').replaceChildren();
    await navigate('/login', { replace: true });
    toast('You have been logged out.');
  }
}
