/*
 * out_html.c: the HTML report (docs/report.md): one self-contained page
 * that opens offline from disk.  Its style and its script are written
 * here, inline; a Content-Security-Policy in the page forbids every fetch
 * and lets run only that script, named by its SHA-256 (computed as the
 * page is written), and that style.  It shows a summary of the trace,
 * warnings, the timeline and the charts of the turns (out_html_charts.c),
 * the token usage and cost per turn, session and API, the
 * conversation turn by turn (out_html_conv.c) and every exchange
 * (out_html_exchange.c); a search box hides the turns and exchanges that
 * do not hold the text searched for.
 *
 * It renders the facts of report.h, read twice as the Markdown report
 * does (out_md.c), and computes none of its own.  Everything taken from
 * the traffic is redacted unless --no-redact and written as escaped text
 * (escape.h): the script never parses the page's text as markup, and no
 * URL from the trace is a link or a source.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <openssl/evp.h>

#include "escape.h"
#include "log.h"
#include "out_html.h"
#include "output.h"
#include "price.h"
#include "report.h"
#include "spool.h"

/* --- the page's own style and script --------------------------------- */

static const char STYLE[] =
":root{--fg:#1d2330;--dim:#6b7280;--bg:#fff;--panel:#f5f6f8;"
"--line:#d9dce3;--user:#e8f0fe;--asst:#f0f7ee;--call:#fff6e5;"
"--res:#f3eefc;--err:#b42318}\n"
"*{box-sizing:border-box}\n"
"body{margin:0;font:14px/1.45 system-ui,sans-serif;color:var(--fg);"
"background:var(--bg)}\n"
"header{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;"
"gap:.4em 1em;"
"align-items:center;padding:.5em 1em;background:#1d2330;color:#fff}\n"
"header h1{font-size:1.1em;margin:0;white-space:nowrap}\n"
"header nav a{color:#cfe0ff;margin-right:.8em}\n"
"#q{flex:1;min-width:10em;max-width:28em;padding:.3em .5em;font:inherit}\n"
"#qn{color:#cfe0ff;white-space:nowrap}\n"
"header select{max-width:12em;font:inherit}\n"
".fx{white-space:nowrap}\n"
".tl .off{display:none}\n"
"main{padding:0 1em 3em;max-width:100%}\n"
"h2{border-bottom:1px solid var(--line);padding-bottom:.2em;"
"margin-top:1.5em}\n"
"h3{font-size:1em;margin:.2em 0 .4em}\n"
"table{border-collapse:collapse;margin:.5em 0}\n"
"td,th{border:1px solid var(--line);padding:.2em .5em;text-align:left;"
"vertical-align:top;overflow-wrap:anywhere}\n"
"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
".sum th{background:var(--panel);white-space:nowrap}\n"
"article{border:1px solid var(--line);border-radius:6px;"
"padding:.5em .8em;margin:.6em 0;background:#fff;min-width:0;"
"content-visibility:auto;contain-intrinsic-size:auto 10em}\n"
"pre,code{font:12px/1.4 ui-monospace,monospace}\n"
"pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.2em 0;"
"padding:.4em .6em;background:var(--panel);border-radius:4px;"
"max-height:32em;overflow:auto}\n"
"pre.prose{font:13px/1.45 system-ui,sans-serif;background:none;"
"padding:0 .2em}\n"
".item{margin:.4em 0;padding:.3em .6em;border-left:4px solid var(--line);"
"border-radius:3px}\n"
".r-user{background:var(--user);border-color:#4b7bec}\n"
".r-assistant{background:var(--asst);border-color:#3c9a50}\n"
".r-system,.r-developer{background:var(--panel)}\n"
".call{background:var(--call);border-color:#d99a1e}\n"
".result{background:var(--res);border-color:#8a63d2}\n"
".error,.refusal,.err{color:var(--err)}\n"
".who{font-size:12px;color:var(--dim);text-transform:none}\n"
".dim,.id,.meta,.usage,.note,.cut{color:var(--dim)}\n"
".meta{margin:.2em 0;padding-left:1.2em}\n"
".usage{font-size:12px;margin:.3em 0 0}\n"
".line{overflow-wrap:anywhere}\n"
".st2{color:#2e7d32}.st4,.st5{color:var(--err)}\n"
"details{margin:.3em 0}\n"
"summary{cursor:pointer;color:#33415c}\n"
"ol.events{padding-left:0;list-style:none;margin:.2em 0;max-height:32em;"
"overflow:auto}\n"
"ol.events li{overflow-wrap:anywhere;border-bottom:1px solid #eef0f3;"
"font:12px/1.4 ui-monospace,monospace}\n"
".t{color:var(--dim)}\n"
"a.self{color:inherit;text-decoration:none}\n"
".chart{max-height:36em;overflow:auto;margin:.5em 0}\n"
".chart svg{display:block;width:100%;height:auto;"
"font:11px system-ui,sans-serif}\n"
".ax line,.sep{stroke:#e3e6eb;stroke-width:1}\n"
".ax text,.ln,.lg{fill:var(--dim)}\n"
".ln{fill:var(--fg)}\n"
".tl .w{fill:#a9c1e8}.tl .s{fill:#2f6fd0}.tl .ws{fill:#9fd0aa}\n"
".tl .tk{stroke:#1f6b33;stroke-width:1}\n"
".tl .bad .w,.tl .bad .s{fill:#e58b80}\n"
".chart a:hover rect,.chart a:hover circle{opacity:.7}\n"
".c0{fill:#4b7bec}.c1{fill:#a9c1e8}.c2{fill:#3c9a50}.c3{fill:#d99a1e}\n"
".hit{fill:transparent}.ctx{fill:#33415c}\n"
".ctxc path{fill:none;stroke-width:2}\n"
".sl0,.sd0{stroke:#33415c}.sl1,.sd1{stroke:#4b7bec}"
".sl2,.sd2{stroke:#3c9a50}.sl3,.sd3{stroke:#d99a1e}"
".sl4,.sd4{stroke:#8a63d2}.sl5,.sd5{stroke:#b42318}\n"
".ctxc circle{fill:#fff;stroke-width:2}\n"
".sc{max-width:48em}.arr .stp{fill:none;stroke:#a9c1e8;stroke-width:1}\n"
".arr .sp{fill:#2f6fd0}\n"
".jt{font:12px/1.4 ui-monospace,monospace;max-height:40em;overflow:auto;"
"background:var(--panel);border-radius:4px;padding:.3em .6em}\n"
".jt details{margin:0}.jt summary{color:inherit}\n"
".jk{padding-left:1.2em;border-left:1px dotted var(--line)}\n"
".jl{overflow-wrap:anywhere;white-space:pre-wrap}\n"
".jkey{color:#7a3e9d}.jstring{color:#0b6e4f}.jnumber{color:#1f4ea8}"
".jboolean,.jnull{color:#b35c00}\n"
".rawb,.more{font:12px system-ui,sans-serif;margin:.2em 0}\n"
".pair{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr);"
"gap:.6em;align-items:start}\n"
"@media (max-width:800px){.pair{grid-template-columns:minmax(0,1fr)}}\n";

/*
 * The search and the filters: hide the turns and exchanges (class "f")
 * whose text does not hold the query or whose keys (data-p, data-e,
 * data-s, data-x: numbers, out_html_filter.c) differ from a filter's
 * value; the timeline's bars follow them (class "off"), and the search
 * (a bar whose exchange it hid, found by the bar's link).  It reads
 * textContent, values and attributes as strings only and writes only the
 * hidden property, a class and a counter's textContent: nothing from the
 * page is ever parsed as markup.
 */
static const char SCRIPT[] =
"(function(){'use strict';\n"
"function $(i){return document.getElementById(i);}\n"
"var q=$('q'),n=$('qn'),x=$('fx'),ks=['p','e','s'],"
"fs=ks.map(function(k){return $('f'+k);}),"
"els=document.querySelectorAll('.f'),"
"bars=document.querySelectorAll('.tl .bar'),txt=null,timer=0;\n"
"function ok(el){for(var j=0;j<3;j++){var v=fs[j].value;"
"if(v!==''&&el.getAttribute('data-'+ks[j])!==v)return false;}\n"
"return !x.checked||el.getAttribute('data-x')==='1';}\n"
"function active(){return q.value!==''||x.checked||"
"fs.some(function(e){return e.value!=='';});}\n"
"function run(){var s=q.value.toLowerCase(),k=0,i,hit,on=active();\n"
"if(s!==''&&txt===null){txt=[];for(i=0;i<els.length;i++)"
"txt.push(els[i].textContent.toLowerCase());}\n"
"for(i=0;i<els.length;i++){hit=(s===''||txt[i].indexOf(s)>=0)&&"
"ok(els[i]);els[i].hidden=!hit;if(hit)k++;}\n"
"for(i=0;i<bars.length;i++){hit=ok(bars[i]);"
"if(hit&&s!==''){var a=$((bars[i].getAttribute('href')||'#').slice(1));"
"hit=a===null||!a.hidden;}bars[i].classList.toggle('off',!hit);}\n"
"n.textContent=on?k+' of '+els.length+' shown':'';}\n"
"q.addEventListener('input',function(){clearTimeout(timer);"
"timer=setTimeout(run,120);});\n"
"fs.concat([x]).forEach(function(e){e.addEventListener('change',run);});\n"
"if(active())run();\n"
"})();\n";

/*
 * The JSON trees, in front of each page's own script (cx_htr_script): a
 * JSON body's <details class="jb"> holds its data in a <script type=
 * "application/json">, or its difference from an earlier one
 * (out_html_data.c: rebuilt here, remembered); opened the first time, its
 * tree is drawn into its <div class="jt">: an object or array a <details>
 * (the first two levels open, up to 200 members), its members drawn when
 * it is first opened, 500 at a time ("more" for the rest), a value as
 * its JSON; a "raw" button shows the whole pretty-printed instead.  It
 * builds the DOM with textContent only.  A listener on the document
 * (capturing: toggle does not bubble) serves the live view's articles
 * too, added later.
 */
static const char TREE[] =
"(function(){'use strict';\n"
"function el(t,c,x){var e=document.createElement(t);if(c)e.className=c;"
"if(x!==undefined)e.textContent=x;return e;}\n"
"function key(e,k){if(k!==null)e.appendChild(el('span','jkey',"
"(typeof k==='number'?k:JSON.stringify(k))+': '));}\n"
"function node(k,v,depth){\n"
"if(v===null||typeof v!=='object'){var l=el('div','jl');key(l,k);"
"l.appendChild(el('span','j'+(v===null?'null':typeof v),"
"JSON.stringify(v)));return l;}\n"
"var arr=Array.isArray(v),ks=arr?null:Object.keys(v),"
"n=arr?v.length:ks.length,d=el('details','jn'),s=el('summary'),"
"box=el('div','jk'),at=0;\n"
"key(s,k);s.appendChild(el('span','dim',arr?'['+n+']':'{'+n+'} '+"
"ks.slice(0,6).join(', ')+(n>6?', \u2026':'')));"
"d.appendChild(s);d.appendChild(box);\n"
"function more(){var end=Math.min(n,at+500),b;"
"for(;at<end;at++)box.appendChild(node(arr?at:ks[at],arr?v[at]:"
"v[ks[at]],depth+1));\n"
"if(at<n){b=el('button','more',(n-at)+' more');b.type='button';"
"b.addEventListener('click',function(){b.remove();more();});"
"box.appendChild(b);}}\n"
"d.addEventListener('toggle',function(){if(d.open&&at===0&&n>0)more();});"
"\n"
"if(depth<2&&n<=200)d.open=true;return d;}\n"
"var memo={};\n"
"function text(s){var chain=[],e=s,t,i,c;\n"
"while(e!==null&&e.getAttribute('type')!=='application/json'&&"
"memo[e.id]===undefined){chain.push(e);"
"e=document.getElementById(e.getAttribute('data-base')||'');}\n"
"if(e===null)throw new Error('its base is not in the page');\n"
"t=memo[e.id]!==undefined?memo[e.id]:e.textContent;\n"
"for(i=chain.length-1;i>=0;i--){c=chain[i];"
"t=t.slice(0,+c.getAttribute('data-p'))+c.textContent+"
"t.slice(t.length-(+c.getAttribute('data-s')));memo[c.id]=t;}\n"
"return t;}\n"
"function draw(d){var t=d.querySelector(':scope>.jt'),"
"s=d.querySelector(':scope>script'),v,raw=null,b;\n"
"if(t===null||s===null||t.childNodes.length>0)return;\n"
"try{v=JSON.parse(text(s));}catch(e){"
"t.textContent='not JSON: '+e.message;return;}\n"
"b=el('button','rawb','raw');b.type='button';t.appendChild(b);\n"
"var tree=node(null,v,0);t.appendChild(tree);\n"
"b.addEventListener('click',function(){if(raw===null){"
"raw=el('pre','code',JSON.stringify(v,null,2));t.appendChild(raw);"
"tree.hidden=true;b.textContent='tree';}else{tree.hidden=!tree.hidden;"
"raw.hidden=!raw.hidden;b.textContent=raw.hidden?'raw':'tree';}});}\n"
"document.addEventListener('toggle',function(e){var d=e.target;"
"if(d.open&&d.classList&&d.classList.contains('jb'))draw(d);},true);\n"
"})();\n";

/* The base64 of the SHA-256 of TREE and then s into out (at least 45
 * bytes); TREE NULL: of s alone. */
static void
sha256_b64(char *out, const char *tree, const char *s, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    (tree != NULL && EVP_DigestUpdate(c, tree, strlen(tree)) != 1) ||
	    EVP_DigestUpdate(c, s, n) != 1 ||
	    EVP_DigestFinal_ex(c, md, &len) != 1 || len != 32)
		fatalx("the HTML report: SHA-256 failed");
	EVP_MD_CTX_free(c);
	EVP_EncodeBlock((unsigned char *)out, md, (int)len);
}

void
cx_htr_script(FILE *f, const char *script)
{
	fprintf(f, "<script>%s%s</script>\n", TREE, script);
}

void
cx_htr_head(FILE *f, const char *title, const char *path,
    const char *script, const char *connect)
{
	char hs[64], hj[64];

	sha256_b64(hs, NULL, STYLE, sizeof(STYLE) - 1);
	sha256_b64(hj, TREE, script, strlen(script));
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; connect-src %s; img-src 'none'; "
	    "media-src 'none'; font-src 'none'; frame-src 'none'; "
	    "worker-src 'none'; object-src 'none'; manifest-src 'none'; "
	    "base-uri 'none'; form-action 'none'; "
	    "style-src 'sha256-%s'; script-src 'sha256-%s'\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width\">\n"
	    "<title>%s", connect, hs, hj, title);
	cx_html_texts(f, path);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", STYLE);
}

static void
page_head(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	cx_htr_head(f, "cxrec report: ", ctx->trace_path, SCRIPT, "'none'");
	fputs("<header>"
	    "<h1>cxrec report</h1><nav><a href=\"#summary\">summary</a>"
	    "<a href=\"#timeline\">timeline</a><a href=\"#usage\">usage</a>"
	    "<a href=\"#conversation\">conversation</a><a href=\"#exchanges\">exchanges</a></nav>"
	    "<input id=\"q\" type=\"search\" placeholder=\"search turns and "
	    "exchanges\" autocomplete=\"off\">", f);
	cx_htr_filters(f, ctx, rep);
	fputs("<span id=\"qn\"></span></header>\n<main>\n", f);
}

static void
page_end(FILE *f)
{
	fputs("</main>\n", f);
	cx_htr_script(f, SCRIPT);
	fputs("</body>\n</html>\n", f);
}

/* --- the summary ------------------------------------------------------ */

static void
row_start(FILE *f, const char *name)
{
	fprintf(f, "<tr><th>%s</th><td>", name);
}

static void
row_str(FILE *f, const struct cx_out_ctx *ctx, const char *name,
    const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	if (s == NULL)
		return;
	row_start(f, name);
	cx_htr_texts(f, ctx, s, 0);
	fputs("</td></tr>\n", f);
}

/* The models of the turns, each once, in order of first sight. */
static void
models_row(FILE *f, const struct cx_out_ctx *ctx, const struct cx_report *rep)
{
	size_t shown = 0;

	if (rep->nturns == 0)
		return;
	row_start(f, "models");
	for (size_t i = 0; i < rep->nturns && shown < 50; i++) {
		const char *m = rep->turns[i].model;
		size_t j;

		if (m == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (rep->turns[j].model != NULL &&
			    strcmp(rep->turns[j].model, m) == 0)
				break;
		if (j < i)
			continue;
		fputs(shown++ ? ", " : "", f);
		cx_htr_texts(f, ctx, m, 0);
	}
	if (shown == 0)
		fputs("?", f);
	fputs("</td></tr>\n", f);
}

static void
summary(FILE *f, const struct cx_out_ctx *ctx, const struct cx_report *rep)
{
	const cJSON *run = rep->run, *v, *e;
	char when[64], a[32], b[32], cost[96];

	fputs("<section id=\"summary\">\n<h2>Summary</h2>\n"
	    "<table class=\"sum\">\n", f);
	row_start(f, "trace");
	cx_html_texts(f, ctx->trace_path);
	fputs("</td></tr>\n", f);
	row_start(f, "host");
	cx_html_texts(f, ctx->info->host);
	fputs("</td></tr>\n", f);
	if (run != NULL) {
		if (cJSON_IsArray(v = cJSON_GetObjectItem(run, "argv"))) {
			int first = 1;

			row_start(f, "command");
			fputs("<code>", f);
			cJSON_ArrayForEach(e, v) {
				const char *s = cJSON_GetStringValue(e);

				if (s == NULL)
					continue;
				fputs(first ? "" : " ", f);
				first = 0;
				cx_htr_texts(f, ctx, s, 0);
			}
			fputs("</code></td></tr>\n", f);
		}
		row_str(f, ctx, "agent", run, "agent");
		row_str(f, ctx, "agent version", run, "agent_version");
		row_str(f, ctx, "reached by", run, "reached_by");
		row_str(f, ctx, "login mode", run, "login_mode");
		row_str(f, ctx, "login detected from", run, "login_reason");
		row_str(f, ctx, "cxrec version", run, "cxrec_version");
	}
	models_row(f, ctx, rep);
	cx_fmt_time(when, sizeof(when), ctx->info, rep->start, 1);
	fprintf(f, "<tr><th>start (UTC)</th><td>%s</td></tr>\n", when);
	fprintf(f, "<tr><th>duration</th><td>%.3f s</td></tr>\n",
	    cx_ms(rep->end - rep->start) / 1000.0);
	cx_htr_size(a, sizeof(a), rep->bytes_req);
	cx_htr_size(b, sizeof(b), rep->bytes_resp);
	fprintf(f, "<tr><th>exchanges</th><td>%zu on %" PRIu64
	    " connection%s</td></tr>\n<tr><th>errors</th><td%s>%zu</td></tr>\n"
	    "<tr><th>bytes</th><td>%s sent, %s received</td></tr>\n",
	    rep->exchanges, rep->connections, rep->connections == 1 ? "" : "s",
	    rep->errors ? " class=\"err\"" : "", rep->errors, a, b);
	fprintf(f, "<tr><th>model API turns</th><td>%" PRIu64 "</td></tr>\n",
	    rep->turns_all);
	if (rep->turns_all > 0) {
		const struct cx_usage *u = &rep->usage;

		fputs("<tr><th>tokens</th><td>input ", f);
		cx_htr_count(f, u->input);
		fputs(" (cached ", f);
		cx_htr_count(f, u->cached);
		fputs("), output ", f);
		cx_htr_count(f, u->output);
		fputs(" (reasoning ", f);
		cx_htr_count(f, u->reasoning);
		fputs("), total ", f);
		cx_htr_count(f, cx_usage_total(u));
		cx_cost_text(cost, sizeof(cost), &rep->cost, 1);
		fprintf(f, "</td></tr>\n<tr><th>cost</th><td>%s</td></tr>\n",
		    cost);
	}
	fputs("</table>\n</section>\n", f);
}

static void
warnings(FILE *f, const struct cx_out_ctx *ctx, const struct cx_report *rep)
{
	const struct cx_reader_stats *d = ctx->damage;
	int any = 0;
	char when[64];

	if (d != NULL && (d->corrupt_regions > 0 || d->torn_bytes > 0)) {
		fputs("<section id=\"warnings\">\n<h2>Warnings</h2>\n"
		    "<ul>\n", f);
		any = 1;
		if (d->corrupt_regions > 0)
			fprintf(f, "<li>The trace is damaged: %" PRIu64
			    " corrupt region%s, %" PRIu64 " bytes skipped; the "
			    "frames in them are missing from this report."
			    "</li>\n",
			    d->corrupt_regions, d->corrupt_regions == 1 ? "" :
			    "s", d->corrupt_bytes);
		if (d->torn_bytes > 0)
			fprintf(f, "<li>The trace ends inside a frame (its "
			    "writer stopped mid-write): the last %" PRIu64
			    " bytes were skipped.</li>\n", d->torn_bytes);
	}
	for (size_t i = 0; i < rep->nnotes; i++) {
		const struct cx_note *n = &rep->notes[i];

		if (n->kind != CX_K_LOSS && n->kind != CX_K_ERROR)
			continue;
		if (!any)
			fputs("<section id=\"warnings\">\n<h2>Warnings</h2>\n"
			    "<ul>\n", f);
		any = 1;
		cx_fmt_time(when, sizeof(when), ctx->info, n->ts, 0);
		fprintf(f, "<li>%s: %s from the %s: ", when, n->kind ==
		    CX_K_LOSS ? "loss" : "error", cx_source_name(n->source));
		cx_htr_text(f, ctx, n->text, n->len, CX_AS_TEXT);
		fputs("</li>\n", f);
	}
	if (any)
		fputs("</ul>\n</section>\n", f);
}

/* --- usage ------------------------------------------------------------ */

#define USAGE_TH        "<th class=\"n\">input</th><th class=\"n\">cached" \
	"</th><th class=\"n\">cache write</th><th class=\"n\">output</th>" \
	"<th class=\"n\">reasoning</th><th class=\"n\">total</th>" \
	"<th class=\"n\">cost</th>"

static void
usage_cells(FILE *f, const struct cx_usage *u, const struct cx_cost *cost)
{
	const int64_t v[] = { u->input, u->cached, u->cache_write, u->output,
	    u->reasoning, cx_usage_total(u) };
	char c[96];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fputs("<td class=\"n\">", f);
		cx_htr_count(f, v[i]);
		fputs("</td>", f);
	}
	cx_cost_text(c, sizeof(c), cost, 1);
	fprintf(f, "<td class=\"n\">%s</td>", c);
}

static void
usage(FILE *f, const struct cx_out_ctx *ctx, const struct cx_report *rep)
{
	fputs("<section id=\"usage\">\n<h2>Token usage and cost</h2>\n", f);
	if (rep->turns_all == 0) {
		fputs("<p>No model API turns.</p>\n</section>\n", f);
		return;
	}
	cx_htr_charts(f, rep);
	fputs("<details open><summary>per turn</summary>\n<table>\n<tr><th "
	    "class=\"n\">turn</th><th>exchange</th><th>API</th><th>model</th>"
	    USAGE_TH "<th class=\"n\">first token (ms)</th></tr>\n", f);
	for (size_t i = 0; i < rep->nturns; i++) {
		const struct cx_report_turn *r = &rep->turns[i];

		fprintf(f, "<tr><td class=\"n\"><a href=\"#turn-%zu\">%zu</a>"
		    "</td><td><a href=\"#exchange-%" PRIu64 "\">#%" PRIu64
		    "</a>", i + 1, i + 1, r->id, r->id);
		if (r->ws)
			fprintf(f, " request %zu", r->index + 1);
		fputs("</td><td>", f);
		cx_html_texts(f, r->api);
		if (r->warmup)
			fputs(" (warm-up)", f);
		fputs("</td><td>", f);
		cx_htr_texts(f, ctx, r->model != NULL ? r->model : "?", 0);
		if (r->answered != NULL) {
			fputs(" (answered by ", f);
			cx_htr_texts(f, ctx, r->answered, 0);
			fputc(')', f);
		}
		fputs("</td>", f);
		usage_cells(f, &r->usage, &r->cost);
		if (r->first_ms >= 0)
			fprintf(f, "<td class=\"n\">%.1f</td></tr>\n",
			    r->first_ms);
		else
			fputs("<td class=\"n\">?</td></tr>\n", f);
	}
	if (rep->turns_all > rep->nturns)
		fprintf(f, "<tr><td colspan=\"12\">%" PRIu64 " more turns, in "
		    "the sums only</td></tr>\n", rep->turns_all - rep->nturns);
	fputs("<tr><th colspan=\"4\">all</th>", f);
	usage_cells(f, &rep->usage, &rep->cost);
	fputs("<td></td></tr>\n</table>\n</details>\n", f);

	fputs("<details open><summary>per session</summary>\n<table>\n<tr><th>"
	    "session</th><th>API</th><th class=\"n\">turns</th>" USAGE_TH
	    "</tr>\n", f);
	for (size_t i = 0; i < rep->nsessions; i++) {
		const struct cx_report_sum *m = &rep->sessions[i];

		fprintf(f, "<tr><td>%zu: ", m->num);
		if (m->key != NULL)
			cx_htr_texts(f, ctx, m->key, 0);
		else if (m->pid != 0)
			fprintf(f, "no key, pid %" PRIu32, m->pid);
		else
			fputs("no key, no pid", f);
		fputs("</td><td>", f);
		cx_html_texts(f, m->api);
		fprintf(f, "</td><td class=\"n\">%zu</td>", m->turns);
		usage_cells(f, &m->usage, &m->cost);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n</details>\n", f);
	if (rep->sessions_other > 0)
		fprintf(f, "<p class=\"dim\">%" PRIu64 " more turns, of "
		    "sessions past the first %d, are not in the table.</p>\n",
		    rep->sessions_other, CX_REPORT_MAX_SESSIONS);

	fputs("<details open><summary>per API</summary>\n<table>\n<tr><th>API"
	    "</th><th class=\"n\">turns</th>" USAGE_TH "</tr>\n", f);
	for (size_t i = 0; i < rep->napis; i++) {
		const struct cx_report_sum *m = &rep->apis[i];

		fputs("<tr><td>", f);
		cx_html_texts(f, m->title);
		fprintf(f, "</td><td class=\"n\">%zu</td>", m->turns);
		usage_cells(f, &m->usage, &m->cost);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n</details>\n</section>\n", f);
}

/* --- the format ------------------------------------------------------- */

/*
 * As the Markdown report: the first pass collects the facts and, from the
 * same turns, writes the conversation to a spool file; at its end the
 * page's head, summary, warnings and usage are written, then the
 * conversation copied after them.  The second pass writes the exchanges.
 */
enum { PASS_FACTS, PASS_EXCHANGES, NPASSES };

struct html {
	FILE                    *f;
	const struct cx_out_ctx *ctx;
	struct cx_report        *rep;
	struct cx_spool          spool;         /* the conversation */
	struct cx_htconv        *conv;
	struct cx_htdata        *data;          /* the bodies' JSON */
	size_t                   exchanges;
	size_t                   cursor;        /* in rep->tl */
	/* Exchanges rendered ahead on the reading thread (output.h's
	 * cx_ahead), their JSON set aside for data to write in order. */
	struct cx_ahead         *ahead;
	struct cx_ahead         *turns;         /* built ahead */
	struct cx_htdata        *adata;         /* deferred */
	size_t                   acursor;
};

static void
html_turn(void *arg, struct cx_turn *t, size_t session)
{
	struct html *h = arg;

	cx_htconv_turn(h->conv, t, session, h->rep);
}

static void
free_marks(void *m)
{
	cx_htdefer_free(m);
}

/* A replayed datum's text, back to the reading thread, which made it. */
static void
give_text(void *arg, char *text)
{
	struct html *h = arg;

	cx_ahead_done(h->ahead, text, NULL);
}

static void *
html_open(FILE *f, const struct cx_out_ctx *ctx)
{
	struct html *h = xcalloc(1, sizeof(*h));

	h->f = f;
	h->ctx = ctx;
	h->rep = cx_report_new(ctx->info, ctx->redact, ctx->prices);
	h->conv = cx_htconv_new(cx_spool_open(&h->spool, "html"), ctx);
	h->data = cx_htdata_new();
	h->ahead = cx_ahead_new(free_marks);
	h->turns = cx_ahead_new(cx_report_turns_drop);
	h->adata = cx_htdata_new_deferred();
	cx_htdata_give_back(h->data, give_text, h);
	return h;
}

static void
html_exchange(void *st, int pass, const struct cx_exchange *ex)
{
	struct html *h = st;

	if (pass == PASS_FACTS) {
		char *text;
		size_t len;
		void *tt;

		if (cx_ahead_get(h->turns, ex, &text, &len, &tt)) {
			cx_report_exchange_built(h->rep, ex, tt, html_turn, h);
			cx_ahead_done(h->turns, text, tt);  /* freed there */
		} else {
			cx_report_payloads(h->rep, ex);
			cx_report_exchange_rest(h->rep, ex, html_turn, h);
		}
	} else {
		char *text;
		size_t len;
		void *marks;

		if (cx_ahead_get(h->ahead, ex, &text, &len, &marks)) {
			cx_htr_data_replay(h->f, h->data, text, len, marks);
			cx_ahead_done(h->ahead, text, NULL);
		} else
			cx_htr_exchange(h->f, h->ctx, ex, cx_htr_row(h->rep,
			    ex->id, &h->cursor), h->data);
		h->exchanges++;
	}
}

/* An exchange's article, its JSON set aside (cx_htr_data_replay). */
static void *
render_ahead(FILE *f, void *arg, const struct cx_exchange *ex)
{
	struct html *h = arg;

	cx_htr_exchange(f, h->ctx, ex, cx_htr_row(h->rep, ex->id,
	    &h->acursor), h->adata);
	return cx_htdata_take_deferred(h->adata);
}

/*
 * On the reading thread: whether the exchange's bodies are JSON and, when
 * the format's thread is behind (cx_ahead), its turns, built by its
 * adapter (cx_report_turns_build), which the facts (the payloads' key
 * paths too) and the conversation take on the format's thread; the
 * exchanges' articles, when it is behind.
 */
static void
html_prepare(void *st, int pass, const struct cx_exchange *ex)
{
	struct html *h = st;

	if (pass == PASS_FACTS)
		cx_ahead_keep(h->turns, ex, cx_report_turns_ahead, NULL);
	else
		cx_ahead_put(h->ahead, ex, render_ahead, h);
}

static void
html_pass_done(void *st, int pass)
{
	struct html *h = st;
	size_t turns;

	if (pass == PASS_FACTS) {
		cx_report_finish(h->rep, h->ctx->r);
		page_head(h->f, h->ctx, h->rep);
		summary(h->f, h->ctx, h->rep);
		warnings(h->f, h->ctx, h->rep);
		cx_htr_timeline(h->f, h->ctx, h->rep);
		usage(h->f, h->ctx, h->rep);
		fputs("<section id=\"conversation\">\n<h2>Conversation</h2>\n",
		    h->f);
		turns = cx_htconv_end(h->conv);
		h->conv = NULL;
		if (turns == 0)
			fputs("<p>No model API turns.</p>\n", h->f);
		cx_spool_copy(&h->spool, h->f);
		fputs("</section>\n<section id=\"exchanges\">\n<h2>Exchanges"
		    "</h2>\n", h->f);
	} else {
		if (h->exchanges == 0)
			fputs("<p>No exchanges.</p>\n", h->f);
		fputs("</section>\n", h->f);
		page_end(h->f);
	}
}

static void
html_close(void *st)
{
	struct html *h = st;

	if (h->conv != NULL)
		cx_htconv_end(h->conv);
	cx_spool_free(&h->spool);
	cx_htdata_free(h->data);
	cx_ahead_free(h->ahead);
	cx_ahead_free(h->turns);
	cx_htdata_free(h->adata);
	cx_report_free(h->rep);
	free(h);
}

const struct cx_out_format cx_out_html_format = {
	.name = "html",
	.summary = "an HTML report, one self-contained page",
	.passes = NPASSES,
	.open = html_open,
	.exchange = html_exchange,
	.prepare = html_prepare,
	.pass_done = html_pass_done,
	.close = html_close,
};
