// meeting-link.js: what a meeting link looks like, /meeting/<user>/<id>,
// and the characters its parts may use. The server enforces the same set
// (docs/SERVER.md); checking here too lets the start page explain a bad
// name before anyone leaves it.

export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const NAME_RULE =
  'letters, digits, “-” and “_”, from 1 to 64 characters';

export function isValidName(s) {
  return NAME_PATTERN.test(s);
}

export function meetingPath(user, meetingId) {
  return `/meeting/${user}/${meetingId}`;
}

// Returns {user, meetingId} for a /meeting/<user>/<id> path, or null.
export function parseMeetingPath(pathname) {
  const m = /^\/meeting\/([^/]+)\/([^/]+)$/.exec(pathname);
  if (!m) return null;
  let user, meetingId;
  try {
    user = decodeURIComponent(m[1]);
    meetingId = decodeURIComponent(m[2]);
  } catch {
    return null;
  }
  if (!isValidName(user) || !isValidName(meetingId)) return null;
  return { user, meetingId };
}
