// End-to-end test of bulk lists of people (/console/people) in real headless Chromium.
//
// Builds nothing. Starts `tika serve --demo --demo-facilities 50` once per backend
// (E2E_BACKENDS, default "sqlite,postgres"), logs in as the demo district official
// (delhi.admin), downloads the sample file, uploads a generated CSV with 2 bad rows, watches the
// job page's progress bar reach "done" (polled by /static/console-bulk.js), reads the counts,
// downloads and reads the error report (row numbers and fields), uploads the same file again
// (every good row unchanged), and switches to Hindi.  Same environment as e2e/console.mjs:
//
//   TIKA_BIN, E2E_BACKENDS, TIKA_TEST_PG_URL, CHROMIUM, E2E_HEADED=1

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, aadhaar, assert, assertEq, globalTimeout, runOnEveryBackend, runSteps, startServer,
} from './lib.mjs';

const DELHI = { username: 'delhi.admin', password: 'tika-demo-delhi1' };

globalTimeout(10 * 60_000);

/** 6 rows: rows 2, 3, 5, 7 good; row 4 a bad mobile and birth year; row 6 an unknown pincode. */
function listCsv(pincode) {
  const rnd = () => String(Math.floor(Math.random() * 90_000_000) + 10_000_000);
  const mobile = () => `9${rnd()}${Math.floor(Math.random() * 10)}`;
  return [
    'Name,Birth Year,Gender,Mobile,ID Type,ID Number,Occupation,Employer,Posting Pincode',
    `Asha Rao,1988,Female,${mobile()},Aadhaar,${aadhaar()},HCW,RML Hospital,${pincode}`,
    `प्रिया शर्मा,1990,F,${mobile()},Aadhaar,${aadhaar()},health_worker,AIIMS,${pincode}`,
    `Bad Row,19x8,M,12345,Aadhaar,${aadhaar()},HCW,,${pincode}`,
    `Ravi Kumar,1979,Male,${mobile()},Aadhaar,${aadhaar()},FLW,Delhi Police,${pincode}`,
    `Nowhere Person,1980,M,${mobile()},Aadhaar,${aadhaar()},HCW,,999999`,
    `Meena Iyer,1982,2,${mobile()},Aadhaar,${aadhaar()},other,,${pincode}`,
  ].join('\n') + '\n';
}

async function bulkFlow(backend, browser) {
  const server = await startServer(backend, ['--demo-facilities', '50'], 'console-bulk');
  const { base } = server;
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-IN', acceptDownloads: true });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  const text = async (sel) => (await page.locator(sel).first().innerText()).trim();
  const state = {};
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `console-bulk-${name}-${backend}.png`), fullPage: true });

  async function uploadAndWait(file) {
    await page.goto(`${base}/console/people`);
    await page.setInputFiles('#people-file', file);
    await page.click('#upload-submit');
    await page.waitForURL(/\/console\/people\/imports\/[0-9a-f-]+$/);
    await page.locator('#import-job[data-status="done"]').waitFor({ timeout: 60_000 });
    return page.url();
  }

  const steps = [
    ['the district official logs in and opens the people lists', async () => {
      await page.goto(`${base}/console/login`);
      await page.fill('#username', DELHI.username);
      await page.fill('#password', DELHI.password);
      await page.click('#login-button');
      await page.waitForURL(`${base}/console`);
      // A pincode of the official's district, from its facilities.
      await page.goto(`${base}/console/facilities`);
      state.pincode = (await page.locator('#facilities tbody tr').first().locator('td').nth(3).innerText()).trim();
      assert(/^\d{6}$/.test(state.pincode), `a pincode of the district: ${state.pincode}`);
      await page.click('#nav-people');
      await page.waitForURL(`${base}/console/people`);
      assert(await page.locator('#upload-form').isVisible(), 'the upload form is shown');
      await page.locator('#no-uploads').waitFor();
    }],
    ['the sample file names the columns', async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#people-sample')]);
      const sample = readFileSync(await download.path(), 'utf8');
      assert(sample.startsWith('name,birth_year,gender,mobile,id_type,id_number,occupation'), `sample: ${sample.slice(0, 80)}`);
    }],
    ['a CSV with 2 bad rows is uploaded; the progress bar reaches done with the counts', async () => {
      state.file = path.join(ARTIFACTS, `people-${backend}.csv`);
      writeFileSync(state.file, listCsv(state.pincode));
      state.jobUrl = await uploadAndWait(state.file);
      assertEq(await page.getAttribute('#job-status', 'data-status'), 'done', 'status');
      assertEq(await page.getAttribute('#import-progress', 'value'), '6', 'progress value');
      assertEq(await page.getAttribute('#import-progress', 'max'), '6', 'progress max');
      assertEq(await text('#count-inserted'), '4', 'new people');
      assertEq(await text('#count-failed'), '2', 'failed rows');
      await shot('job');
    }],
    ['the error report names the rows and fields', async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#error-report')]);
      const lines = readFileSync(await download.path(), 'utf8').trim().split('\n');
      assertEq(lines[0], 'row,field,value_hint,message', 'report header');
      const cells = lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','));
      assertEq(cells.join(' '), '4,birth_year 4,mobile 6,posting_pincode', `report rows: ${lines.join(' | ')}`);
      assert(lines.some((l) => l.startsWith('6,posting_pincode,999999,Unknown pincode')), 'unknown pincode explained');
      assert(!lines.join('\n').includes('12345,'), 'the mobile is masked');
    }],
    ['the list shows the upload and the listed people of the area', async () => {
      await page.click('#people-back');
      await page.waitForURL(`${base}/console/people`);
      assert((await text('#uploads tbody tr')).includes(`people-${backend}.csv`), 'the upload is listed');
      assert((await text('#listed-count')).endsWith(': 4'), `listed count: ${await text('#listed-count')}`);
      assertEq(await page.locator('#listed-people tbody tr').count(), 4, 'listed people');
    }],
    ['uploading the same file again changes nothing', async () => {
      await uploadAndWait(state.file);
      assertEq(await text('#count-unchanged'), '4', 'unchanged');
      assertEq(await text('#count-inserted'), '0', 'nothing new');
      await page.goto(`${base}/console/people`);
      assert((await text('#listed-count')).endsWith(': 4'), 'still 4 people');
    }],
    ['an assignment run books the listed people near their posting and says why for each', async () => {
      await page.click('#nav-assign');
      await page.waitForURL(`${base}/console/assign`);
      await page.fill('#as-km', '9999');
      await page.click('#assign-start');
      await page.locator('#err-max_km').waitFor();
      await page.fill('#as-km', '300');
      await page.uncheck('#as-dry');
      await page.click('#assign-start');
      await page.waitForURL(/\/console\/assign\/[0-9a-f-]+$/);
      const runUrl = page.url();
      for (let i = 0; i < 60 && (await page.locator('#run-summary[data-status="running"]').count()); i++) {
        await page.waitForTimeout(500);
        await page.goto(runUrl);
      }
      await page.locator('#run-summary[data-status="finished"]').waitFor();
      assertEq(await text('#run-status'), 'Finished', 'run status');
      assertEq(await text('#run-people'), '4', 'the 4 listed people');
      const assigned = Number(await text('#run-assigned'));
      const left = Number(await text('#run-unassigned'));
      assertEq(assigned + left, 4, 'everyone assigned or explained');
      const rows = page.locator('#assignments tbody tr');
      assertEq(await rows.count(), 4, 'a row per person');
      for (let i = 0; i < 4; i++) {
        const cells = await rows.nth(i).locator('td').allInnerTexts();
        assert(/^\d{14}$/.test(cells[1].trim()), `reference id: ${cells[1]}`);
        assert(cells[2].trim().length > 10, `a reason with its explanation: ${cells[2]}`);
        if (cells[2].startsWith('Assigned')) assert(cells[3].trim() && /^\d{4}-\d\d-\d\d$/.test(cells[4].trim()), `facility and date: ${cells.join(' | ')}`);
      }
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#run-csv')]);
      const lines = readFileSync(await download.path(), 'utf8').trim().split('\n');
      assert(lines[0].startsWith('seq,reference_id,reason,'), `CSV header: ${lines[0]}`);
      assertEq(lines.length, 5, 'CSV rows');
      await shot('assign');
      // Running again books nobody twice: everyone assigned before is now already booked.
      await page.goto(`${base}/console/assign`);
      await page.fill('#as-km', '300');
      await page.uncheck('#as-dry');
      await page.click('#assign-start');
      await page.waitForURL(/\/console\/assign\/[0-9a-f-]+$/);
      const again = page.url();
      for (let i = 0; i < 60 && (await page.locator('#run-summary[data-status="running"]').count()); i++) {
        await page.waitForTimeout(500);
        await page.goto(again);
      }
      assertEq(Number(await text('#run-already')), assigned, 'already booked on the second run');
      assertEq(await text('#run-assigned'), '0', 'nobody booked twice');
      console.log(`  # ${assigned} of 4 assigned, ${left} explained`);
      await page.goto(`${base}/console/people`);
    }],
    ['switching to Hindi shows Hindi', async () => {
      await page.click('#lang-switch');
      await page.waitForLoadState();
      assert((await text('h1')).includes('लोगों की सूचियाँ'), `Hindi title: ${await text('h1')}`);
      assert((await text('#upload-submit')).includes('अपलोड'), 'Hindi button');
      await shot('hi');
    }],
    ['no script errors or CSP violations', async () => {
      assertEq(problems.length, 0, `browser problems: ${problems.join(' | ')}`);
    }],
  ];
  try {
    await runSteps(`console-bulk/${backend}`, steps);
  } finally {
    await context.close().catch(() => {});
    await server.stop();
  }
}

await runOnEveryBackend('console-bulk', bulkFlow);
