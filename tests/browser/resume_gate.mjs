// Answers a suspended gate review in the Prefect UI, as a chair does, in Debian's headless Chromium.
//   node resume_gate.mjs FLOW_RUN_URL ANSWER_JSON SCREENSHOT_PNG
// ANSWER_JSON: {"rationale": ..., "decided_by": ..., "meeting_date": "YYYY-MM-DD", "votes": ..., "conditions": ...}
// Prints one JSON object: what the Resume form showed (its description and fields, the outcome it proposed)
// and whether the form closed after Submit.
import { chromium } from 'playwright-core';

const [url, answerJson, screenshot] = process.argv.slice(2);
const answer = JSON.parse(answerJson);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url);
  await page.getByRole('button', { name: 'Resume' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Decided By').waitFor();
  const property = (label) =>
    dialog.locator('.schema-form-property').filter({
      has: page.locator('.schema-form-property__label', { hasText: new RegExp(`^${label}`) }),
    });
  const seen = {
    title: await dialog.locator('.p-modal__title').innerText(),
    description: await dialog.locator('article.markdown-renderer').innerText(),
    fields: await dialog.locator('.schema-form-property__label').allInnerTexts(),
    proposed_outcome: await property('Outcome').locator('.p-select-button__value').innerText(),
  };
  await property('Rationale').locator('textarea').fill(answer.rationale);
  await property('Decided By').locator('textarea').fill(answer.decided_by);
  await property('Votes').locator('textarea').fill(answer.votes);
  await property('Conditions').locator('textarea').fill(answer.conditions);
  // The date field's picker is a calendar; its JSON input takes the date as typed.
  await property('Meeting Date').locator('.schema-form-property-menu button').click();
  await page.getByText('Use JSON input').click();
  await property('Meeting Date').locator('textarea').fill(JSON.stringify(answer.meeting_date));
  await page.screenshot({ path: screenshot });
  // Submit validates the answer against the schema on the server, then posts the resume. Wait for that
  // post itself (a loaded machine can take a while), and if the form stays open, say what it shows.
  const resumed = page.waitForResponse(
    (r) => r.url().includes('/resume') && r.request().method() === 'POST',
    { timeout: 120000 },
  );
  await dialog.getByRole('button', { name: 'Submit' }).click();
  const response = await resumed.catch(async (error) => {
    await page.screenshot({ path: screenshot.replace(/\.png$/, '-stuck.png') });
    throw new Error(`no resume request within 120 s; the form shows:\n${await dialog.innerText()}\n${error}`);
  });
  if (!response.ok()) {
    throw new Error(`the server answered the resume with ${response.status()}: ${await response.text()}`);
  }
  await dialog.waitFor({ state: 'detached', timeout: 60000 });
  seen.submitted = true;
  process.stdout.write(JSON.stringify(seen) + '\n');
} finally {
  await browser.close();
}
