// view_check.js: the live view (cxrec view) in headless Chromium (cdp.js:
// the DevTools protocol over a pipe), while a client streams through the
// relay: open the page, start the stream (curl, one event every GAP ms),
// sample the page's event count for the streamed exchange beside the
// number of events curl has received, open a second viewer mid-stream and
// sample it too, then wait for the stream's end and read both pages.
// Prints one JSON object.
//
//   node view_check.js CHROMIUM URL STREAM_URL N GAP_MS
'use strict';
const { spawn } = require('child_process');
const cdp = require('./cdp');

const [chrome, url, streamUrl, nStr, gapStr] = process.argv.slice(2);
const N = Number(nStr), GAP = Number(gapStr);
const origin = new URL(url).origin;
// Its own page, its events and nothing else, from its origin.
const b = cdp.launch(chrome, (u) => u.startsWith(origin + '/'));
const sleep = cdp.sleep;
const res = { samples: [] };

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
		pwned: typeof window.PWNED, scripts: [...document.scripts].filter((e) => !e.hasAttribute('type')).length };
})()`;

async function main() {
	const ev1 = (await b.open(url)).ev;
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
			ev2 = (await b.open(url)).ev;
		else if (ev2 !== null)
			sample.page2 = (await ev2(PROBE)).events;
		res.samples.push(sample);
	}
	await curlEnd;
	res.curl = got;
	await sleep(1500);
	res.after1 = await ev1(PROBE);
	res.after2 = ev2 ? await ev2(PROBE) : null;
	return res;
}
cdp.run(main, b);
