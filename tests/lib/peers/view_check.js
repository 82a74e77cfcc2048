// view_check.js: the live view (cxrec view) in headless Chromium over the
// DevTools protocol (a pipe, no npm package), while a client streams
// through the relay: open the page, start the stream (curl, one event
// every GAP ms), sample the page's event count for the streamed exchange
// beside the number of events curl has received, open a second viewer
// mid-stream and sample it too, then wait for the stream's end and read
// both pages.  Prints one JSON object.
//
//   node view_check.js CHROMIUM URL STREAM_URL N GAP_MS
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [chrome, url, streamUrl, nStr, gapStr] = process.argv.slice(2);
const N = Number(nStr), GAP = Number(gapStr);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cxrec-chromium-'));
const proc = spawn(chrome, ['--headless=new', '--no-sandbox', '--disable-gpu',
	'--remote-debugging-pipe', '--user-data-dir=' + profile, '--no-first-run',
	'--no-default-browser-check', '--disable-extensions',
	'--disable-background-networking', '--disable-component-update',
	'--disable-sync', '--disable-features=Translate,MediaRouter',
	'--hide-scrollbars', 'about:blank'],
	{ stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let errText = '';
proc.stderr.on('data', (d) => { if (errText.length < 4000) errText += d; });
const out = proc.stdio[3], inp = proc.stdio[4];
let nextId = 1, buf = Buffer.alloc(0);
const pending = new Map(), waiters = [];
const res = { requests: [], console: [], exceptions: [], samples: [] };
const origin = new URL(url).origin;

function send(method, params, sessionId) {
	const id = nextId++;
	const msg = { id, method, params: params || {} };
	if (sessionId) msg.sessionId = sessionId;
	out.write(JSON.stringify(msg) + '\0');
	return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
}
function waitEvent(name) { return new Promise((r) => waiters.push({ name, r })); }
function onMessage(m) {
	if (m.id && pending.has(m.id)) {
		const p = pending.get(m.id);
		pending.delete(m.id);
		if (m.error) p.reject(new Error(p.method + ': ' + JSON.stringify(m.error)));
		else p.resolve(m.result);
		return;
	}
	const prm = m.params || {};
	switch (m.method) {
	case 'Network.requestWillBeSent':
		// Its own page, its events and nothing else, from its origin.
		if (!prm.request.url.startsWith(origin + '/'))
			res.requests.push(prm.request.url.slice(0, 200));
		break;
	case 'Runtime.consoleAPICalled':
		res.console.push(prm.type + ': ' + (prm.args || []).map((a) => a.value ?? a.description).join(' ').slice(0, 300));
		break;
	case 'Runtime.exceptionThrown':
		res.exceptions.push(JSON.stringify(prm.exceptionDetails).slice(0, 300));
		break;
	case 'Log.entryAdded':
		res.console.push(prm.entry.level + ' (' + prm.entry.source + '): ' + prm.entry.text.slice(0, 300));
		break;
	}
	for (let i = 0; i < waiters.length; i++)
		if (waiters[i].name === m.method && waiters[i].sid === undefined) { waiters.splice(i, 1)[0].r(prm); i--; }
}
inp.on('data', (d) => {
	buf = Buffer.concat([buf, d]);
	let k;
	while ((k = buf.indexOf(0)) >= 0) {
		const s = buf.subarray(0, k).toString();
		buf = buf.subarray(k + 1);
		onMessage(JSON.parse(s));
	}
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function openPage() {
	const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
	const { sessionId: s } = await send('Target.attachToTarget', { targetId, flatten: true });
	for (const d of ['Page', 'Runtime', 'Log', 'Network'])
		await send(d + '.enable', {}, s);
	const loaded = waitEvent('Page.loadEventFired');
	await send('Page.navigate', { url }, s);
	await Promise.race([loaded, sleep(10000)]);
	return async (expr) => (await send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true }, s)).result.value;
}

// The page's count of events of the exchange whose request line holds
// /test/sse, its state (open, done), and what else a test asserts.
const PROBE = `(() => {
	const arts = [...document.querySelectorAll('#xs > div')];
	const d = arts.find((e) => e.textContent.includes('/test/sse'));
	return { events: d ? d.querySelectorAll('ol.events > li').length : -1,
		live: d ? d.getAttribute('data-live') : null,
		exchanges: arts.length, turns: document.querySelectorAll('#cx article.turn:not(.live)').length,
		answers: document.querySelectorAll('#cx article.turn.live').length,
		state: document.getElementById('st').textContent,
		counter: document.getElementById('cn').textContent,
		pwned: typeof window.PWNED, scripts: [...document.scripts].filter((e) => e.type !== 'application/json').length };
})()`;

async function main() {
	const ev1 = await openPage();
	await sleep(300);
	res.before = await ev1(PROBE);
	// The stream, through the relay; count the events curl has had.
	let got = 0, curlDone = false;
	const t0 = Date.now();
	const curl = spawn('curl', ['-sN', '--max-time', '60', streamUrl], { stdio: ['ignore', 'pipe', 'ignore'] });
	curl.stdout.on('data', (d) => { got += (d.toString().match(/^event: tick/mg) || []).length; });
	const curlEnd = new Promise((r) => curl.on('close', () => { curlDone = true; r(); }));
	let ev2 = null;
	while (!curlDone && Date.now() - t0 < 60000) {
		await sleep(GAP * 2.5);
		const p1 = await ev1(PROBE);
		const sample = { ms: Date.now() - t0, curl: got, curlDone, page1: p1.events };
		if (ev2 === null && got >= N / 3)
			ev2 = await openPage();
		else if (ev2 !== null)
			sample.page2 = (await ev2(PROBE)).events;
		res.samples.push(sample);
	}
	await curlEnd;
	res.curl = got;
	await sleep(1500);
	res.after1 = await ev1(PROBE);
	res.after2 = ev2 ? await ev2(PROBE) : null;
	await send('Browser.close').catch(() => {});
}
main().then(() => {
	console.log(JSON.stringify(res));
}, (e) => {
	console.log(JSON.stringify({ error: String(e), stderr: errText }));
}).finally(() => {
	setTimeout(() => { proc.kill('SIGKILL'); fs.rmSync(profile, { recursive: true, force: true }); process.exit(0); }, 500);
});
