// SPDX-License-Identifier: MIT
/*
 * `bpfprof report DIR --html FILE`: one self-contained page. The report's
 * JSON document is embedded as data and a small inline script draws it as
 * SVG (latency histograms, I/O over time, span waterfalls) and tables;
 * nothing is fetched from the network. All text goes into the page through
 * textContent, never as markup.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/output_files.h"
#include "report/report.h"

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>bpfprof report</title>\n<style>\n"
	"body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:16px;"
	"color:#222;background:#fafafa}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px "
	"solid #ccc}\n"
	"h3{font-size:14px;margin:12px 0 4px;font-weight:600}\n"
	".run{color:#555}.note{color:#777;font-size:12px}\n"
	"table{border-collapse:collapse;margin:6px 0;font-size:13px}\n"
	"th,td{padding:3px 8px;text-align:right;border-bottom:1px solid #e4e4e4}\n"
	"th:first-child,td:first-child,td.name{text-align:left}\n"
	"td.name{font-family:ui-monospace,monospace;max-width:420px;overflow-wrap:anywhere}\n"
	"tr.sub td{color:#555;font-size:12px}\n"
	".cards{display:flex;flex-wrap:wrap;gap:12px}\n"
	".card{background:#fff;border:1px solid #ddd;border-radius:4px;padding:8px}\n"
	"svg text{font:11px system-ui,sans-serif;fill:#333}\n"
	"svg .bar{fill:#4a7fb5}svg .axis{stroke:#999;stroke-width:1}\n"
	"svg .read{stroke:#2a9d5b;fill:none;stroke-width:2}"
	"svg .write{stroke:#d2691e;fill:none;stroke-width:2}\n"
	"svg .ops{stroke:#4a7fb5;fill:none;stroke-width:2}\n"
	"svg .span{fill:#7aa6d6;stroke:#3d6b9e;stroke-width:.5}svg .span.io{fill:#e0a050}\n"
	"</style>\n</head>\n<body>\n"
	"<header><h1>bpfprof report</h1><div id=\"run\" class=\"run\"></div></header>\n"
	"<section id=\"stages\"><h2>Stages</h2><div id=\"stage-tables\"></div>"
	"<div id=\"stage-hists\" class=\"cards\"></div></section>\n"
	"<section id=\"io\"><h2>I/O</h2><div id=\"timeline\" class=\"cards\"></div>"
	"<div id=\"io-tables\"></div><div id=\"io-hists\" class=\"cards\"></div></section>\n"
	"<section id=\"traces\"><h2>Slowest traces</h2><div id=\"waterfalls\"></div></section>\n"
	"<section id=\"audit\"><h2>Audit</h2><div id=\"audit-table\"></div></section>\n";

/* After the sections (and the CPU one, when the run has samples). */
static const char page_data[] =
	/* First, so an error anywhere below is recorded on the page. */
	"<script>window.addEventListener('error',function(e){document.body.setAttribute("
	"'data-script-error',String(e.message||e));});</script>\n"
	"<script type=\"application/json\" id=\"report-data\">";

static const char page_script[] =
	"</script>\n<script>\n"
	"(function(){'use strict';\n"
	"var R=JSON.parse(document.getElementById('report-data').textContent);\n"
	"var NS='http://www.w3.org/2000/svg',TOP=12,MAXROWS=400;\n"
	"function el(tag,attrs,parent,text){var e=document.createElement(tag);"
	"for(var k in attrs)e.setAttribute(k,attrs[k]);if(text!=null)e.textContent=text;"
	"if(parent)parent.appendChild(e);return e;}\n"
	"function sv(tag,attrs,parent,text){var e=document.createElementNS(NS,tag);"
	"for(var k in attrs)e.setAttribute(k,attrs[k]);if(text!=null)e.textContent=text;"
	"if(parent)parent.appendChild(e);return e;}\n"
	"function dur(ns){if(ns==null)return '-';if(ns<1e3)return ns+'ns';"
	"if(ns<1e6)return (ns/1e3).toFixed(2)+'us';if(ns<1e9)return (ns/1e6).toFixed(2)+'ms';"
	"return (ns/1e9).toFixed(2)+'s';}\n"
	"function bytes(b){var u=['B','KiB','MiB','GiB','TiB'],i=0;"
	"while(b>=1024&&i<4){b/=1024;i++;}return (i?b.toFixed(b<10?2:1):b)+u[i];}\n"
	"function table(parent,head,rows){var t=el('table',{},parent),h=el('tr',{},t);"
	"head.forEach(function(c){el('th',{},h,c);});rows.forEach(function(r){"
	"var tr=el('tr',r.cls?{'class':r.cls}:{},t);r.cells.forEach(function(c,i){"
	"el('td',i===0?{'class':'name'}:{},tr,c);});});return t;}\n"
	/* A histogram: one bar per power-of-two octave. */
	"function histChart(parent,title,rows,note){var card=el('div',{'class':'card'},parent);"
	"el('h3',{},card,title);if(note)el('div',{'class':'note'},card,note);"
	"var W=360,H=150,L=36,B=34,n=Math.max(rows.length,1),bw=(W-L-4)/n,"
	"max=Math.max.apply(null,rows.map(function(r){return r.count;}).concat([1]));"
	"var s=sv('svg',{'class':'hist-chart',width:W,height:H,viewBox:'0 0 '+W+' '+H},card);"
	"sv('line',{'class':'axis',x1:L,y1:H-B,x2:W,y2:H-B},s);"
	"sv('text',{x:L-4,y:12,'text-anchor':'end'},s,String(max));"
	"rows.forEach(function(r,i){var h=(H-B-16)*r.count/max,x=L+i*bw;"
	"var b=sv('rect',{'class':'bar',x:x+1,y:H-B-h,width:Math.max(bw-2,1),height:h},s);"
	"sv('title',{},b,dur(r.from_ns)+' .. '+dur(r.to_ns)+': '+r.count);"
	"if(n<=12||i%2===0)sv('text',{x:x+bw/2,y:H-B+12,'text-anchor':'middle'},s,"
	"dur(r.from_ns));});"
	"sv('text',{x:(W+L)/2,y:H-4,'text-anchor':'middle'},s,'latency (octaves)');return s;}\n"
	/* A line chart over the flush records. */
	"function lineChart(parent,id,title,series,unit){var "
	"card=el('div',{'class':'card'},parent);"
	"el('h3',{},card,title);var W=560,H=200,L=64,B=30,T=R.timeline,"
	"t0=T.length?T[0].timestamp-T[0].duration_s:0,"
	"tmax=T.length?T[T.length-1].timestamp-t0:1,ymax=1;"
	"series.forEach(function(se){T.forEach(function(f){ymax=Math.max(ymax,se.v(f));});});"
	"var s=sv('svg',{id:id,'class':'line-chart',width:W,height:H,viewBox:'0 0 '+W+' '+H},card);"
	"sv('line',{'class':'axis',x1:L,y1:H-B,x2:W-8,y2:H-B},s);"
	"sv('line',{'class':'axis',x1:L,y1:8,x2:L,y2:H-B},s);"
	"sv('text',{x:L-4,y:14,'text-anchor':'end'},s,unit(ymax));"
	"sv('text',{x:L-4,y:H-B,'text-anchor':'end'},s,'0');"
	"sv('text',{x:W-8,y:H-B+16,'text-anchor':'end'},s,tmax.toFixed(1)+' s');"
	"function X(f){return L+(W-8-L)*(tmax>0?(f.timestamp-t0)/tmax:0);}"
	"function Y(v){return H-B-(H-B-8)*v/ymax;}"
	"series.forEach(function(se,k){var d=T.map(function(f,i){"
	"return (i?'L':'M')+X(f).toFixed(1)+' '+Y(se.v(f)).toFixed(1);}).join(' ');"
	"sv('path',{'class':'series '+se.cls,d:d||'M0 0'},s);"
	"sv('line',{'class':'series '+se.cls,x1:L+8+k*140,y1:H-10,x2:L+28+k*140,y2:H-10},s);"
	"sv('text',{x:L+32+k*140,y:H-6},s,se.name);});return s;}\n"
	/* A trace as a waterfall: one row per span, in call order. */
	"function waterfall(parent,t){var card=el('div',{'class':'card trace'},parent);"
	"el('h3',{},card,'trace '+t.trace_id+': '+t.root+', '+dur(t.dur_ns)+', '+t.n_spans+"
	"' spans, pid '+t.pid+' tid '+t.tid+(t.complete?'':' (root call not recorded)'));"
	"var sp=t.spans.slice(0,MAXROWS),RH=16,W=1100,L=300,H=sp.length*RH+20,"
	"d=Math.max(t.dur_ns,1);"
	"var s=sv('svg',{'class':'waterfall',width:W,height:H,viewBox:'0 0 '+W+' '+H},card);"
	"sp.forEach(function(x,i){var y=i*RH+2,"
	"bx=L+(W-L-8)*x.offset_ns/d,bw=Math.max((W-L-8)*x.dur_ns/d,1);"
	"sv('text',{x:4+10*x.depth,y:y+11},s,x.name);"
	"var r=sv('rect',{'class':'span'+(x.io.ops?' io':''),x:bx,y:y,width:bw,height:RH-4},s);"
	"sv('title',{},r,x.name+'  '+dur(x.dur_ns)+' (self '+dur(x.self_ns)+') at +'+"
	"dur(x.offset_ns)+(x.io.ops?'  io: '+x.io.ops+' ops, read '+bytes(x.io.bytes_read)+"
	"', written '+bytes(x.io.bytes_written):''));"
	"sv('text',{x:Math.min(bx+bw+4,W-60),y:y+11},s,dur(x.dur_ns));});"
	"if(t.spans.length>sp.length)el('div',{'class':'note'},card,(t.spans.length-sp.length)+"
	"' more spans not drawn');}\n"
	/* The run. */
	"var run=R.run||{},tg=run.target||{},host=run.host||{};"
	"document.title='bpfprof report: '+R.dir;"
	"el('div',{},document.getElementById('run'),R.dir+' \\u2014 '+(tg.mode||'?')+"
	"(tg.pid?' pid '+tg.pid:'')+(tg.argv?' ('+tg.argv.join(' ')+')':'')+', started '+"
	"run.started_at+', '+Number(run.duration_s).toFixed(2)+' s, ended: '+run.end_reason+"
	"', host '+host.hostname+', kernel '+host.kernel);\n"
	/* Stages. */
	"var st=document.getElementById('stage-tables');"
	"if(!R.stages.length)el('p',{'class':'note'},st,'No stages (run without -u).');"
	"else{var qs=['p50','p90','p99','p99.9'];"
	"function srow(x){return {cells:[x.name+' (pid '+x.pid+')',String(x.calls),dur(x.total_ns),"
	"dur(x.self_ns)].concat(qs.map(function(q){return dur(x.percentiles_ns[q]);}))"
	".concat([dur(x.max_ns)])};}\n"
	"var hd=['stage','calls','total','self'].concat(qs).concat(['max']);"
	"el('h3',{},st,'By total time');"
	"table(st,hd,R.stages.slice(0,TOP).map(srow)).id='stages-by-total';"
	"var bs=R.stages.slice().sort(function(a,b){return b.self_ns-a.self_ns;});"
	"el('h3',{},st,'By self time');"
	"table(st,hd,bs.slice(0,TOP).map(srow)).id='stages-by-self';"
	"var sh=document.getElementById('stage-hists');"
	"R.stages.slice(0,TOP).forEach(function(x){if(x.histogram.length)"
	"histChart(sh,x.name+' (pid '+x.pid+')',x.histogram,x.calls+' calls, p50 '+"
	"dur(x.percentiles_ns.p50)+', p99 '+dur(x.percentiles_ns.p99)+', max "
	"'+dur(x.max_ns));});}\n"
	/* I/O. */
	"var tl=document.getElementById('timeline');"
	"if(R.timeline.length){"
	"lineChart(tl,'io-over-time','I/O per second (per flush interval)',"
	"[{name:'read',cls:'read',v:function(f){return f.bytes_read/(f.duration_s||1);}},"
	"{name:'written',cls:'write',v:function(f){return f.bytes_written/(f.duration_s||1);}}],"
	"function(v){return bytes(v)+'/s';});"
	"lineChart(tl,'ops-over-time','Syscalls and stage calls per second',"
	"[{name:'syscalls',cls:'ops',v:function(f){return f.syscalls/(f.duration_s||1);}},"
	"{name:'stage calls',cls:'write',v:function(f){return f.stage_calls/(f.duration_s||1);}}],"
	"function(v){return v.toFixed(0)+'/s';});}\n"
	"var it=document.getElementById('io-tables'),rows=[],ioh=[];"
	"R.io.forEach(function(p){rows.push({cells:[p.comm+' (pid '+p.pid+')',String(p.ops),"
	"bytes(p.bytes_read),bytes(p.bytes_written),String(p.errors),dur(p.time_ns),'','']});"
	"p.syscalls.forEach(function(c){ioh.push({p:p,c:c});"
	"rows.push({cls:'sub',cells:['  "
	"'+c.name,String(c.ops),c.direction==='read'?bytes(c.bytes):'',"
	"c.direction==='write'?bytes(c.bytes):'',String(c.errors),dur(c.time_ns),"
	"dur(c.percentiles_ns.p50),dur(c.percentiles_ns.p99)]});});});"
	"if(rows.length)table(it,['process / syscall','ops','read','written','errors','time',"
	"'p50','p99'],rows).id='io-per-process';"
	"else el('p',{'class':'note'},it,'No I/O syscalls.');"
	"if(R.stage_io.length){el('h3',{},it,'I/O per stage');"
	"table(it,['stage','ops','read','written','in I/O'],R.stage_io.map(function(x){"
	"return {cells:[x.name+' (pid '+x.pid+')',String(x.ops),bytes(x.bytes_read),"
	"bytes(x.bytes_written),dur(x.time_ns)]};})).id='io-per-stage';}\n"
	"ioh.sort(function(a,b){return b.c.ops-a.c.ops;});"
	"var ih=document.getElementById('io-hists');"
	"ioh.slice(0,6).forEach(function(x){if(x.c.histogram.length)histChart(ih,x.c.name+' ('+"
	"x.p.comm+', pid '+x.p.pid+')',x.c.histogram,x.c.ops+' ops, p50 '+"
	"dur(x.c.percentiles_ns.p50)+', p99 '+dur(x.c.percentiles_ns.p99));});\n"
	/* Traces. */
	"var wf=document.getElementById('waterfalls');"
	"if(!R.traces)el('p',{'class':'note'},wf,'No span events (run with --events).');"
	"else{el('p',{'class':'note'},wf,R.traces.spans+' spans in '+R.traces.traces+' traces; '+"
	"'the '+R.traces.slowest.length+' slowest:');"
	"R.traces.slowest.forEach(function(t){waterfall(wf,t);});}\n"
	/* Audit. */
	"var au=R.audit||{};table(document.getElementById('audit-table'),['counter','value'],"
	"Object.keys(au).map(function(k){return {cells:[k,String(au[k])]};})).id='audit';\n"
	"document.body.setAttribute('data-rendered','ok');\n"
	"})();\n</script>\n</body>\n</html>\n";

static void put_html(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else
			fputc(*s, f);
	}
}

/* --cpu-sample: the flame graph, and each stage's hottest functions. */
static int put_cpu_section(FILE *f, const struct report *r, int top)
{
	struct rep_stage_hot *hot;
	size_t n, shown = 0;
	uint64_t stage_total = 0;

	fprintf(f,
		"<section id=\"cpu\"><h2>CPU samples</h2><div class=\"note\">%" PRIu64
		" samples at %u Hz per CPU; %" PRIu64
		" with a user stack cut short (code without frame pointers). Click a frame to "
		"zoom, Search to mark functions.</div>\n<div class=\"card\">",
		r->sample_total, r->sample_hz, r->samples_cut_short);
	if (report_write_flame(f, r, top))
		return -1;
	fputs("</div>\n", f);
	hot = report_stage_hot_functions(r, &n);
	if (!hot)
		return -1;
	if (n)
		fputs("<h3>Hottest functions per stage (self samples while it was the innermost "
		      "open stage)</h3>\n<table id=\"stage-hot\"><tr><th>stage</th><th>function"
		      "</th><th>samples</th><th>share of the stage</th></tr>\n",
		      f);
	for (size_t i = 0; i < n; i++) {
		if (!i || strcmp(hot[i].stage, hot[i - 1].stage)) {
			shown = 0;
			stage_total = 0;
			for (size_t k = i; k < n && !strcmp(hot[k].stage, hot[i].stage); k++)
				stage_total += hot[k].samples;
		}
		if (shown++ >= (size_t)top)
			continue;
		fputs("<tr><td class=\"name\">", f);
		put_html(f, hot[i].stage);
		fputs("</td><td class=\"name\">", f);
		put_html(f, hot[i].function);
		fprintf(f, "</td><td>%" PRIu64 "</td><td>%.1f%%</td></tr>\n", hot[i].samples,
			100.0 * (double)hot[i].samples / (double)stage_total);
	}
	if (n)
		fputs("</table>\n", f);
	fputs("</section>\n", f);
	free(hot);
	return 0;
}

/* JSON inside <script>: no '<' may appear raw (</script>, <!--), and JSON
 * only has it inside strings, where \u003c means the same. */
static int put_json_for_html(FILE *f, const char *json)
{
	for (const char *p = json; *p; p++) {
		if (*p == '<' ? fputs("\\u003c", f) == EOF : fputc(*p, f) == EOF)
			return -1;
	}
	return 0;
}

int report_write_html(FILE *f, const struct report *r, int top)
{
	json_t *doc = report_to_json(r, top);
	char *json = doc ? json_dumps(doc, JSON_OUT_FLAGS) : NULL;
	int ret = -1;

	if (!json)
		goto cleanup;
	if (fputs(page_head, f) == EOF || (r->have_samples && put_cpu_section(f, r, top)) ||
	    fputs(page_data, f) == EOF || put_json_for_html(f, json) ||
	    fputs(page_script, f) == EOF)
		goto cleanup;
	ret = 0;
cleanup:
	free(json);
	json_decref(doc);
	return ret;
}
