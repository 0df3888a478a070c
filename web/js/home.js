// home.js: the start page's form; sends a person to their meeting link
// once both names fit the rules the server enforces.

import { isValidName, meetingPath, NAME_RULE } from './meeting-link.js';

const form = document.getElementById('join-form');
const error = document.getElementById('join-error');

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const user = form.user.value.trim();
  const meeting = form.meeting.value.trim();
  const bad = !isValidName(user) ? 'Your name' :
    !isValidName(meeting) ? 'The meeting' : null;
  if (bad) {
    error.textContent = `${bad} can only use ${NAME_RULE}.`;
    error.classList.remove('hidden');
    return;
  }
  location.assign(meetingPath(user, meeting));
});
