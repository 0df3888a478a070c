// host-controls.spec.mjs: the host (the first to join) can ask someone to
// mute, which mutes them (only they can unmute), and can remove them,
// which ends the meeting for them with a sentence saying so. Others see
// neither button.
import { test, expect } from '@playwright/test';
import { joinMeeting } from './join.mjs';

const join = joinMeeting;

const personRow = (page, name) => page.getByTestId('person')
  .filter({ hasText: name });

test('the host asks to mute and removes', async ({ browser }) => {
  const meeting = `host-${Date.now()}`;
  const alice = await join(browser, 'alice', meeting);
  const bob = await join(browser, 'bob', meeting);
  await expect(alice.page.getByTestId('people-count')).toHaveText('(2)');

  // Only the host has the buttons.
  await expect(personRow(alice.page, 'bob').getByTestId('remove'))
    .toBeVisible();
  await expect(bob.page.getByTestId('remove')).toHaveCount(0);
  await expect(bob.page.getByTestId('ask-mute')).toHaveCount(0);

  // Ask to mute: bob is muted, told so, and everyone sees it.
  await personRow(alice.page, 'bob').getByTestId('ask-mute').click();
  await expect(bob.page.getByTestId('mic-button')).toHaveText('Unmute');
  await expect(bob.page.getByTestId('mic-button'))
    .toHaveAttribute('aria-pressed', 'true');
  await expect(bob.page.locator('#app-note')).toContainText('host muted');
  await expect(personRow(alice.page, 'bob')).toContainText('muted');
  // bob can unmute himself.
  await bob.page.getByTestId('mic-button').click();
  await expect(personRow(alice.page, 'bob')).not.toContainText('muted');

  // Remove: the meeting ends for bob with a reason; alice's list shrinks.
  await personRow(alice.page, 'bob').getByTestId('remove').click();
  await expect(bob.page.getByTestId('ended-banner')).toBeVisible();
  await expect(bob.page.getByTestId('ended-banner')).toContainText('remov');
  await expect(bob.page.getByTestId('mic-button')).toBeDisabled();
  await expect(alice.page.getByTestId('people-count')).toHaveText('(1)');

  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
  await alice.context.close();
  await bob.context.close();
});
