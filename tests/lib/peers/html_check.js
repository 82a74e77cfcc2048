// html_check.js: open an HTML report in headless Chromium (cdp.js: the
// DevTools protocol over a pipe) and print what a test asserts, as one JSON
// object: the requests the page made besides its own document, console
// messages and exceptions (a CSP violation is one), whether the page's
// script and style ran, what the DOM holds, how the search box and the
// filters filtered, the JSON bodies' trees.  Saves a screenshot when asked.
//
//   node html_check.js CHROMIUM FILE.html SEARCH [SCREENSHOT.png]
'use strict';
const fs = require('fs');
const path = require('path');
const cdp = require('./cdp');

const [chrome, file, search, shot] = process.argv.slice(2);
const url = 'file://' + path.resolve(file);
const b = cdp.launch(chrome, (u) => u === url);
const sleep = cdp.sleep;
const res = {};

async function main() {
	const { s, ev } = await b.open(url);
	await sleep(300);
	res.dom = await ev(`(() => ({
		pwned: typeof window.PWNED,
		scripts: [...document.scripts].filter((e) => !e.hasAttribute('type')).length,
		images: document.images.length,
		iframes: document.querySelectorAll('iframe,object,embed,frame').length,
		onattrs: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
		jslinks: [...document.querySelectorAll('[href],[src],[action]')].filter((e) => !/^#/.test(e.getAttribute('href') || '#')).length,
		styled: getComputedStyle(document.querySelector('header')).position,
		overflow: document.documentElement.scrollWidth - window.innerWidth,
		turns: document.querySelectorAll('article.turn').length,
		exchanges: document.querySelectorAll('article.ex').length,
		tlbars: document.querySelectorAll('#timeline svg a.bar').length,
		tllanes: document.querySelectorAll('#timeline svg g.lane').length,
		tllinked: [...document.querySelectorAll('#timeline svg a.bar')].filter((a) => document.getElementById((a.getAttribute('href') || '').slice(1)) !== null).length,
		tltitles: [...document.querySelectorAll('#timeline svg a.bar > title')].map((e) => e.textContent).join('\\n').slice(0, 20000),
		tlwidth: (document.querySelector('#timeline svg') || { getBoundingClientRect: () => ({ width: 0 }) }).getBoundingClientRect().width,
		arrcharts: document.querySelectorAll('svg.arr').length,
		arrpoints: document.querySelectorAll('svg.arr circle.sp').length,
		arrevents: [...document.querySelectorAll('svg.arr')].reduce((n, s) => n + s.closest('details').querySelectorAll('ol.events > li').length, 0),
		turnbars: document.querySelectorAll('#usage svg a.turnbar').length,
		ctxpoints: document.querySelectorAll('#usage svg a.pt').length,
		calls: document.querySelectorAll('.item.call').length,
		pairs: [...document.querySelectorAll('.pair')].filter((p) => p.querySelector(':scope > .item.call') && p.querySelector(':scope > .item.result')).length,
		results: document.querySelectorAll('.item.result').length,
		resultText: [...document.querySelectorAll('.item.result pre')].map((e) => e.textContent).join('\\n').slice(0, 400000),
		text: document.body.textContent.length,
		summary: document.querySelector('#summary').textContent.replace(/\\s+/g, ' ').slice(0, 2000),
	}))()`);
	if (shot) {
		// The summary, the usage and the conversation's start (the
		// usage tables folded): 1280 x 1600 from the top.
		await ev(`document.querySelectorAll('#usage details:not(.charts)').forEach((d) => { d.open = false; })`);
		const { data } = await b.send('Page.captureScreenshot', { format: 'png',
			captureBeyondViewport: true, clip: { x: 0, y: 0, width: 1280, height: 1600, scale: 1 } }, s);
		await ev(`document.querySelectorAll('#usage details:not(.charts)').forEach((d) => { d.open = true; })`);
		fs.writeFileSync(shot, Buffer.from(data, 'base64'));
	}
	// The timeline's first bar: its rect drawn with its style (a fill from
	// the hashed style sheet), and what a click on it opens.
	res.bar = await ev(`(() => {
		const a = document.querySelector('#timeline svg a.bar');
		if (!a) return null;
		const r = a.querySelector('rect');
		a.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
		return { fill: getComputedStyle(r).fill, height: r.getBoundingClientRect().height, hash: location.hash };
	})()`);
	// The filters: "errors only", then the status class 2xx; count the
	// exchanges and the timeline's bars left shown, and those whose keys
	// match (data-x, data-s), then reset.
	res.filters = await ev(`(() => {
		const ex = () => [...document.querySelectorAll('article.ex')];
		const shown = () => ex().filter((e) => !e.hidden).length;
		const bars = () => [...document.querySelectorAll('#timeline svg a.bar')].filter((b) => getComputedStyle(b).display !== 'none').length;
		const x = document.getElementById('fx'), s = document.getElementById('fs');
		const r = { all: ex().length, options: [...document.querySelectorAll('header select option')].map((o) => o.value) };
		x.checked = true; x.dispatchEvent(new Event('change'));
		r.errors = { shown: shown(), bars: bars(), want: ex().filter((e) => e.getAttribute('data-x') === '1').length,
			counter: document.getElementById('qn').textContent };
		x.checked = false; x.dispatchEvent(new Event('change'));
		// 2xx, or the first class the page offers (a WebSocket session: 1xx).
		const cls = [...s.options].some((o) => o.value === '2') ? '2' : [...s.options].map((o) => o.value).find((v) => v !== '');
		s.value = cls; s.dispatchEvent(new Event('change'));
		r.ok2xx = { cls, shown: shown(), bars: bars(), want: ex().filter((e) => e.getAttribute('data-s') === cls).length };
		s.value = ''; s.dispatchEvent(new Event('change'));
		r.reset = shown();
		return r;
	})()`);
	// The search box: type, wait for its debounce, count what is shown.
	res.search = await ev(`new Promise((ok) => {
		const q = document.getElementById('q');
		const all = document.querySelectorAll('.f').length;
		q.value = ${JSON.stringify(search)};
		q.dispatchEvent(new Event('input'));
		setTimeout(() => {
			const shown = [...document.querySelectorAll('.f')].filter((e) => !e.hidden).length;
			const counter = document.getElementById('qn').textContent;
			const bars = [...document.querySelectorAll('#timeline svg a.bar')].filter((b) => getComputedStyle(b).display !== 'none').length;
			const exShown = [...document.querySelectorAll('article.ex')].filter((e) => !e.hidden).length;
			q.value = 'no such text cxrec-xyzzy';
			q.dispatchEvent(new Event('input'));
			setTimeout(() => ok({ all, shown, counter, bars, exShown,
				none: [...document.querySelectorAll('.f')].filter((e) => !e.hidden).length }), 400);
		}, 400);
	})`);
	// The JSON bodies: open each, its tree drawn (members, keys, values
	// as text); the first one's raw view; then what the DOM holds again
	// (the trees are built from the trace's data).
	res.trees = await ev(`new Promise((ok) => {
		const jb = [...document.querySelectorAll('details.jb')];
		jb.forEach((d) => { d.open = true; });
		// Then every member, level by level (each drawn when opened).
		let rounds = 0;
		const deeper = () => {
			const closed = document.querySelectorAll('.jt details.jn:not([open])');
			closed.forEach((d) => { d.open = true; });
			if (closed.length > 0 && ++rounds < 12) setTimeout(deeper, 60);
			else setTimeout(done, 100);
		};
		setTimeout(deeper, 100);
		const done = () => {
			const r = { bodies: jb.length,
				deltas: jb.filter((d) => d.querySelector(':scope > script[type="text/x-cxrec-delta"]')).length,
				drawn: jb.filter((d) => d.querySelector('.jt > details.jn, .jt > div.jl')).length,
				nodes: document.querySelectorAll('.jt .jn, .jt .jl').length,
				keys: jb.length ? [...jb[0].querySelectorAll('.jt > details > .jk > * .jkey')].slice(0, 40).map((e) => e.textContent) : [],
				text: [...document.querySelectorAll('.jt .jl')].map((e) => e.textContent).join('\\n').slice(0, 600000) };
			const b = jb.length ? jb[0].querySelector('.rawb') : null;
			if (b) {
				b.click();
				const pre = jb[0].querySelector('.jt > pre');
				try { JSON.parse(pre.textContent); r.raw = 'json'; } catch (e) { r.raw = String(e); }
				r.treeHidden = jb[0].querySelector('.jt > details.jn').hidden;
			}
			r.pwned = typeof window.PWNED;
			r.images = document.images.length;
			r.onattrs = [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length;
			r.overflow = document.documentElement.scrollWidth - window.innerWidth;
			ok(r);
		};
	})`);
	return res;
}
cdp.run(main, b);
