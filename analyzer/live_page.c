/*
 * live_page.c: the live view's page (live.h, docs/view.md): the report's
 * style, a header with the reading's state, the conversation and the
 * exchanges, filled from the server-sent events at `events` beside it.
 *
 * Each message's HTML was written by the report's renderers (out_html.h):
 * text from the traffic is escaped there, and the page puts the markup in
 * through a <template> (whose scripts are inert), replacing what the
 * message's key had and keeping its folds open.  The page's one script,
 * allowed by its SHA-256 (cx_htr_head), is the only one that can run; it
 * may connect to its own origin only, where it was served from.
 */
#include <stdio.h>

#include "escape.h"
#include "live.h"
#include "out_html.h"

static const char SCRIPT[] =
"(function(){'use strict';\n"
"function $(i){return document.getElementById(i);}\n"
"var st=$('st'),cn=$('cn'),cx=$('cx'),xs=$('xs'),wl=$('wl'),q=$('q'),"
"qn=$('qn'),timer=0,es=new EventSource('events');\n"
"function frag(h){var t=document.createElement('template');"
"t.innerHTML=h;return t.content;}\n"
"function put(box,m){var id=box.id+'-'+m.k,el=$(id),open=[],ds,i;\n"
"if(el===null){el=document.createElement('div');el.id=id;"
"box.appendChild(el);}\n"
"else{ds=el.querySelectorAll('details');for(i=0;i<ds.length;i++)"
"if(ds[i].open)open.push(i);}\n"
"el.replaceChildren(frag(m.h));el.setAttribute('data-live',m.s);\n"
"ds=el.querySelectorAll('details');for(i=0;i<open.length;i++)"
"if(ds[open[i]])ds[open[i]].open=true;}\n"
"function parse(d){var i=d.indexOf('\\n'),"
"w=(i<0?d:d.slice(0,i)).split(' ');\n"
"return {k:w[0].replace(/[^0-9]/g,''),s:w[1]==='open'?'open':'done',"
"h:i<0?'':d.slice(i+1)};}\n"
"function count(){var n=xs.children.length,"
"o=xs.querySelectorAll('[data-live=\"open\"]').length,"
"t=cx.querySelectorAll('article.turn:not(.live)').length;\n"
"cn.textContent=n+' exchange'+(n===1?'':'s')+(o?' ('+o+' in progress)'"
":'')+', '+t+' turn'+(t===1?'':'s');}\n"
"function search(){var s=q.value.toLowerCase(),"
"els=document.querySelectorAll('.f'),k=0,i,hit;\n"
"for(i=0;i<els.length;i++){hit=s===''||"
"els[i].textContent.toLowerCase().indexOf(s)>=0;els[i].hidden=!hit;"
"if(hit)k++;}\n"
"qn.textContent=s===''?'':k+' of '+els.length+' shown';}\n"
"function on(name,box){es.addEventListener(name,function(e){"
"put(box,parse(e.data));count();if(q.value!=='')search();});}\n"
"on('ex',xs);on('turn',cx);\n"
"es.addEventListener('state',function(e){st.textContent=e.data;});\n"
"es.addEventListener('warn',function(e){"
"var li=document.createElement('li');li.textContent=e.data;"
"wl.appendChild(li);$('warnings').hidden=false;});\n"
"es.addEventListener('end',function(e){st.textContent=e.data;"
"es.close();});\n"
"es.onopen=function(){wl.replaceChildren();};\n"
"es.onerror=function(){st.textContent=es.readyState===2?"
"'the view is gone: the page keeps what it had':"
"'the view is gone: reconnecting';};\n"
"q.addEventListener('input',function(){clearTimeout(timer);"
"timer=setTimeout(search,120);});\n"
"})();\n";

void
cx_live_page(FILE *f, const char *trace_path)
{
	cx_htr_head(f, "cxrec view: ", trace_path, SCRIPT, "'self'");
	fputs("<header><h1>cxrec view</h1><nav>"
	    "<a href=\"#conversation\">conversation</a>"
	    "<a href=\"#exchanges\">exchanges</a>"
	    "<a href=\"report\">report</a></nav>"
	    "<input id=\"q\" type=\"search\" placeholder=\"search turns and "
	    "exchanges\" autocomplete=\"off\"><span id=\"qn\"></span>"
	    "<span id=\"st\">connecting</span></header>\n<main>\n"
	    "<p class=\"dim\">", f);
	cx_html_texts(f, trace_path);
	fputs(", read as it is written: <span id=\"cn\"></span>; "
	    "the report link shows the whole trace as it is now.</p>\n"
	    "<section id=\"warnings\" hidden><h2>Warnings</h2>"
	    "<ul id=\"wl\"></ul></section>\n"
	    "<section id=\"conversation\"><h2>Conversation</h2>"
	    "<div id=\"cx\"></div></section>\n"
	    "<section id=\"exchanges\"><h2>Exchanges</h2>"
	    "<div id=\"xs\"></div></section>\n</main>\n", f);
	cx_htr_script(f, SCRIPT);
	fputs("</body>\n</html>\n", f);
}
