// The staff console in a real browser: Debian's Chromium driven through
// the DevTools protocol (puppeteer-core), axe-core on every page, and
// screenshots in the four languages. Run by check_console:
//   node console_browser.js BASE_URL USER PASSWORD PROMISE_DATE OUT_DIR
// Prints what it did; exits 1 with the reasons when anything fails.
'use strict';
const puppeteer = require('puppeteer-core');
const axe = require('axe-core');
const path = require('path');

const [, , base, user, password, promiseDate, outDir] = process.argv;
const failures = [];
const audited = [];

function fail(msg) {
	failures.push(msg);
}

async function audit(page, name) {
	// The console's CSP forbids scripts; the test's own page may run axe.
	await page.addScriptTag({ content: axe.source });
	const res = await page.evaluate(async () => {
		/* global axe */
		return await axe.run(document, { resultTypes: ['violations'] });
	});
	const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	audited.push(`${name}:${bad.length}`);
	for (const v of bad)
		fail(`axe ${name}: ${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function submit(page, selector) {
	await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

function pathOf(page) {
	return new URL(page.url()).pathname;
}

(async () => {
	const browser = await puppeteer.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
	});
	try {
		const page = await browser.newPage();
		await page.setBypassCSP(true);
		await page.setViewport({ width: 1280, height: 900 });
		// Signed out: the console sends the browser to the login form.
		await page.goto(`${base}/console/`, { waitUntil: 'load' });
		if (pathOf(page) !== '/console/login') fail(`GET /console/ ended at ${page.url()}`);
		await audit(page, 'login');
		await page.type('#user', user);
		await page.type('#password', password);
		await submit(page, 'form[action="/console/login"] button');
		if (pathOf(page) !== '/console/queue') fail(`after sign-in: ${page.url()}`);
		await audit(page, 'queue');
		// Next task: claimed, and its page opens.
		await submit(page, 'form[action="/console/queue/next"] button');
		const task = pathOf(page);
		if (!/^\/console\/task\/\d+$/.test(task)) fail(`next task: ${page.url()}`);
		await audit(page, 'task');
		const shown = await page.$eval('main', (m) => m.innerText);
		if (!shown.includes(user)) fail('the task is not assigned to the signed-in person');
		// Record a promise to pay.
		await page.select('#outcome', 'promise_to_pay');
		await page.$eval('#until', (e, d) => { e.value = d; }, promiseDate);
		await submit(page, `form[action="${task}/outcome"] button`);
		const after = await page.$eval('main', (m) => m.innerText);
		if (!after.includes('Recorded.')) fail(`promise not recorded: ${after.slice(0, 400)}`);
		await audit(page, 'task_done');
		// The customer's case, the search and the disputes list.
		await page.goto(`${base}/console/find?q=A-1`, { waitUntil: 'load' });
		await audit(page, 'find');
		await page.goto(`${base}/console/case/A-1`, { waitUntil: 'load' });
		await audit(page, 'case');
		await page.goto(`${base}/console/disputes`, { waitUntil: 'load' });
		await audit(page, 'disputes');
		await page.goto(`${base}/console/dashboard?from=2026-11-01&to=2026-12-31`, { waitUntil: 'load' });
		await audit(page, 'dashboard');
		const bars = await page.$$eval('svg.chart rect', (r) => r.length);
		if (bars < 1) fail('the dashboard draws no chart');
		await page.screenshot({ path: path.join(outDir, 'console-dashboard-en.png'), fullPage: true });
		// The policy in force and its templates, readable by every role.
		await page.goto(`${base}/console/policy`, { waitUntil: 'load' });
		await audit(page, 'policy');
		const steps = await page.$$eval('main table tbody tr', (r) => r.length);
		if (steps < 1) fail('the policy page shows no step');
		// Each language, chosen in the header: the queue and the task.
		for (const lang of ['en', 'ko', 'ja', 'zh']) {
			await page.goto(`${base}/console/queue`, { waitUntil: 'load' });
			await page.select('#lang', lang);
			await submit(page, 'form[action="/console/prefs"] button');
			const htmlLang = await page.$eval('html', (h) => h.lang);
			if (htmlLang !== lang) fail(`language ${lang}: page says ${htmlLang}`);
			await audit(page, `queue_${lang}`);
			await page.screenshot({ path: path.join(outDir, `console-queue-${lang}.png`), fullPage: true });
			await page.goto(`${base}${task}`, { waitUntil: 'load' });
			await audit(page, `task_${lang}`);
			await page.screenshot({ path: path.join(outDir, `console-task-${lang}.png`), fullPage: true });
		}
		// Signed out again: the queue is gone.
		await page.goto(`${base}/console/queue`, { waitUntil: 'load' });
		await submit(page, 'form[action="/console/logout"] button');
		await page.goto(`${base}/console/queue`, { waitUntil: 'load' });
		if (pathOf(page) !== '/console/login') fail(`after sign-out: ${page.url()}`);
	} catch (e) {
		fail(`browser: ${e && e.stack ? e.stack : e}`);
	} finally {
		await browser.close();
	}
	console.log(`console_browser: audited ${audited.join(' ')}`);
	if (failures.length) {
		for (const f of failures) console.log(`FAIL ${f}`);
		process.exit(1);
	}
	console.log('console_browser: ok');
})();
