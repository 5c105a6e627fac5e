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
#include "report/report_usdt.h"

/*
 * Where the time goes (issue 18), in runs that recorded it: each stage's
 * self time as a stacked bar (on CPU, runqueue, the blocked parts; hover a
 * part for its time) beside a table of the shares (hover a share for its
 * time; data-ns holds the exact figure) and the faults; each process's and
 * stage's I/O by kind of file. Runs before it have no "wall": nothing is
 * drawn.
 */
#define WALL_CSS                                                                           \
	"svg .w-cpu{fill:#4a7fb5}svg .w-runq{fill:#e8c547}svg .w-io{fill:#e0a050}"          \
	"svg .w-lock{fill:#c0504d}svg .w-sleep{fill:#9bbb59}svg .w-other{fill:#aaa}\n"       \
	".wall-legend span{margin-right:12px}.wall-legend svg{vertical-align:middle}\n"

#define WALL_SCRIPT                                                                        \
	"var WP=[['on CPU','w-cpu'],['runqueue','w-runq'],['blocked: I/O','w-io'],"          \
	"['blocked: lock','w-lock'],['blocked: sleep','w-sleep'],['blocked: other','w-other']];" \
	"function wparts(w){return [w.on_cpu_ns,w.runqueue_ns,w.blocked.io_ns,w.blocked.lock_ns," \
	"w.blocked.sleep_ns,w.blocked.other_ns];}"                                            \
	"function share(n,all){return all?(100*n/all).toFixed(1)+'%':'-';}"                   \
	/* "cpu 62% runq 3% blocked 35% (sleep 35%)": the waterfall's hover. */               \
	"function wtext(w){var v=wparts(w),all=v.reduce(function(a,b){return a+b;},0),"      \
	"b=[];['io','lock','sleep','other'].forEach(function(k,i){if(v[i+2])"                 \
	"b.push(k+' '+share(v[i+2],all));});return 'cpu '+share(v[0],all)+' runq '+"         \
	"share(v[1],all)+' blocked '+share(w.blocked_ns,all)+(b.length?' ('+b.join(' ')+')':'');}" \
	"function wallBar(parent,w){var v=wparts(w),all=v.reduce(function(a,b){return a+b;},0)," \
	"W=160,x=0,s=sv('svg',{'class':'wall-bar',width:W,height:12,viewBox:'0 0 '+W+' 12'},"  \
	"parent);v.forEach(function(n,i){if(!n)return;var bw=W*n/all,r=sv('rect',{'class':"   \
	"WP[i][1],x:x,y:0,width:Math.max(bw,0.5),height:12},s);sv('title',{},r,WP[i][0]+': '+" \
	"dur(n)+' ('+share(n,all)+')');x+=bw;});return s;}\n"                                \
	"var sw=document.getElementById('stage-wall'),"                                       \
	"ws=R.stages.filter(function(x){return x.wall;}).slice(0,TOP);"                       \
	"if(ws.length){el('h3',{},sw,'Where the self time goes');"                            \
	"var lg=el('div',{'class':'note wall-legend'},sw);WP.forEach(function(p){"           \
	"var k=el('span',{},lg);sv('rect',{'class':p[1],width:10,height:10},"                 \
	"sv('svg',{width:10,height:10},k));k.appendChild(document.createTextNode(' '+p[0]));});" \
	"var wt=table(sw,['stage','self','split','on CPU','runqueue','blocked','I/O','lock',"  \
	"'sleep','other','minor faults','major faults'],[]);wt.id='stage-wall-table';"        \
	"ws.forEach(function(x){var w=x.wall,tr=el('tr',{},wt);"                              \
	"el('td',{'class':'name'},tr,x.name+' (pid '+x.pid+')');el('td',{},tr,dur(x.self_ns));" \
	"wallBar(el('td',{},tr),w);[['on_cpu',w.on_cpu_ns],['runqueue',w.runqueue_ns],"      \
	"['blocked',w.blocked_ns],['io',w.blocked.io_ns],['lock',w.blocked.lock_ns],"         \
	"['sleep',w.blocked.sleep_ns],['other',w.blocked.other_ns]].forEach(function(c){"     \
	"el('td',{title:dur(c[1]),'data-part':c[0],'data-ns':String(c[1])},tr,"               \
	"share(c[1],x.self_ns));});el('td',{'data-part':'minor'},tr,String(x.faults.minor));" \
	"el('td',{'data-part':'major'},tr,String(x.faults.major));});}\n"                    \
	"var ik=document.getElementById('io-kinds'),KN=['file','socket','pipe','tty','other'];" \
	"function kindRows(name,bk){var rows=[];KN.forEach(function(k){var y=bk&&bk[k];"     \
	"if(y&&y.ops)rows.push({cells:[rows.length?'':name,k,String(y.ops),bytes(y.bytes_read)," \
	"bytes(y.bytes_written),dur(y.time_ns)]});});return rows;}"                           \
	"var kp=[],ks=[];R.io.slice(0,20).forEach(function(p){kp=kp.concat(kindRows(p.comm+"  \
	"' (pid '+p.pid+')',p.io_by_kind));});R.stages.slice(0,TOP).forEach(function(x){"     \
	"ks=ks.concat(kindRows(x.name+' (pid '+x.pid+')',x.io.by_kind));});"                  \
	"var kh=['','kind of file','ops','read','written','time'];"                           \
	"if(kp.length){el('h3',{},ik,'I/O by kind of file, per process');"                    \
	"kh[0]='process';table(ik,kh,kp).id='io-by-kind';}"                                   \
	"if(ks.length){el('h3',{},ik,'I/O by kind of file, per stage');"                      \
	"kh[0]='stage';table(ik,kh,ks).id='stage-io-by-kind';}\n"

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
	"svg .grid{stroke:#e6e6e6;stroke-width:1}\n"
	".share{display:inline-block;height:10px;background:#4a7fb5;vertical-align:middle;"
	"margin-right:6px}\n"
	".figures{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}\n"
	".fig{background:#fff;border:1px solid #ddd;border-radius:4px;padding:6px 10px}\n"
	".fig b{display:block;font-size:18px}\n"
	WALL_CSS
	"</style>\n</head>\n<body>\n"
	"<header><h1>bpfprof report</h1><div id=\"run\" class=\"run\"></div></header>\n"
	"<section id=\"overview\"><h2>Overview</h2><div id=\"figures\" class=\"figures\"></div>"
	"<div id=\"overview-table\"></div></section>\n"
	"<section id=\"stages\"><h2>Stages</h2><div id=\"stage-tables\"></div>"
	"<div id=\"stage-wall\"></div>"
	"<div id=\"stage-hists\" class=\"cards\"></div></section>\n"
	"<section id=\"io\"><h2>I/O</h2><div id=\"timeline\" class=\"cards\"></div>"
	"<div id=\"io-tables\"></div><div id=\"io-kinds\"></div>"
	"<div id=\"io-hists\" class=\"cards\"></div></section>\n"
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
	"while(b>=1024&&i<4){b/=1024;i++;}return (i?b.toFixed(b<10?2:1):+b.toFixed(1))+u[i];}\n"
	"function table(parent,head,rows){var t=el('table',{},parent),h=el('tr',{},t);"
	"head.forEach(function(c){el('th',{},h,c);});rows.forEach(function(r){"
	"var tr=el('tr',r.cls?{'class':r.cls}:{},t);r.cells.forEach(function(c,i){"
	"el('td',i===0?{'class':'name'}:{},tr,c);});});return t;}\n"
	/* A latency histogram: one bar per log-linear bucket on a log time
	 * axis, heights on a log count axis (a bucket of 1 stays visible
	 * beside one of 10000); labels on round values, spaced to be read. */
	"function tick(ns){var u=[[1e9,'s'],[1e6,'ms'],[1e3,'us'],[1,'ns']];"
	"for(var i=0;i<u.length;i++)if(ns>=u[i][0])return +(ns/u[i][0]).toPrecision(3)+u[i][1];"
	"return '0';}\n"
	"function histChart(parent,title,rows,note){var card=el('div',{'class':'card'},parent);"
	"el('h3',{},card,title);if(note)el('div',{'class':'note'},card,note);"
	"var W=420,H=180,L=46,B=40,T=10,lg=function(v){return Math.log(Math.max(v,0.5))/Math.LN2;};"
	"var x0=lg(rows[0].from_ns),x1=lg(rows[rows.length-1].to_ns);"
	"if(x1-x0<2){var m=(x0+x1)/2;x0=m-1;x1=m+1;}"
	"function X(v){return L+(W-L-8)*(lg(v)-x0)/(x1-x0);}"
	"var max=Math.max.apply(null,rows.map(function(r){return r.count;}).concat([1])),"
	"dec=Math.max(1,Math.ceil(Math.log(max)/Math.LN10-1e-9)),top=Math.pow(10,dec);"
	"function Y(c){return H-B-(H-B-T)*Math.log(1+c)/Math.log(1+top);}"
	"var s=sv('svg',{'class':'hist-chart',width:W,height:H,viewBox:'0 0 '+W+' '+H},card);"
	"for(var d=0;d<=dec;d++){var c=Math.pow(10,d),y=Y(c);"
	"sv('line',{'class':'grid',x1:L,y1:y,x2:W-8,y2:y},s);"
	"sv('text',{x:L-4,y:y+4,'text-anchor':'end'},s,c>=1e6?c/1e6+'M':c>=1e3?c/1e3+'k':String(c));}"
	"sv('line',{'class':'axis',x1:L,y1:H-B,x2:W-8,y2:H-B},s);"
	"sv('line',{'class':'axis',x1:L,y1:T,x2:L,y2:H-B},s);"
	"rows.forEach(function(r){var x=X(r.from_ns),w=Math.max(X(r.to_ns)-x-0.5,1),y=Y(r.count);"
	"var b=sv('rect',{'class':'bar',x:x,y:y,width:w,height:H-B-y},s);"
	"sv('title',{},b,dur(r.from_ns)+' .. '+dur(r.to_ns)+': '+r.count);});"
	/* Round values: decades, else 1-2-5; at least 56 px apart. */
	"var lo=Math.pow(2,x0),hi=Math.pow(2,x1),ticks=[];"
	"[[1],[1,2,5],[1,1.5,2,3,5,7]].some(function(ms){ticks=[];"
	"for(var e=Math.floor(Math.log(lo)/Math.LN10);Math.pow(10,e)<=hi;e++)"
	"ms.forEach(function(m){var v=m*Math.pow(10,e);if(v>=lo&&v<=hi)ticks.push(v);});"
	"return ticks.length>=3;});"
	"var last=-1e9;ticks.forEach(function(v){var x=X(v);if(x-last<56)return;last=x;"
	"sv('line',{'class':'axis',x1:x,y1:H-B,x2:x,y2:H-B+4},s);"
	"sv('text',{'class':'xtick',x:x,y:H-B+16,'text-anchor':x>W-30?'end':'middle'},s,"
	"tick(v));});"
	"sv('text',{x:(W+L)/2,y:H-6,'text-anchor':'middle'},s,"
	"'latency (log scale); height: count (log scale)');return s;}\n"
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
	"', written '+bytes(x.io.bytes_written):'')+(x.wall?'  ['+wtext(x.wall)+']':''));"
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
	/* The overview: the run's figures, then one row per stage (calls,
	 * p50/p99, its share of all stages' self time, its I/O). */
	"var fg=document.getElementById('figures'),tot={syscalls:0,io_ops:0,bytes_read:0,"
	"bytes_written:0,stage_calls:0};R.timeline.forEach(function(f){for(var k in tot)"
	"tot[k]+=f[k];});"
	"[['duration',Number(run.duration_s).toFixed(2)+' s'],['processes',String("
	"(R.processes!=null?R.processes:R.io.length))],['syscalls',String(tot.syscalls)],"
	"['I/O operations',String(tot.io_ops)],['read',bytes(tot.bytes_read)],"
	"['written',bytes(tot.bytes_written)],['stage calls',String(tot.stage_calls)]]"
	".forEach(function(x){var d=el('div',{'class':'fig'},fg);el('b',{},d,x[1]);"
	"el('span',{},d,x[0]);});"
	"var ov=document.getElementById('overview-table');"
	"if(R.stages.length){var self=0;R.stages.forEach(function(x){self+=x.self_ns;});"
	"var t=table(ov,['stage','calls','p50','p99','self share','I/O'],[]);t.id='stage-overview';"
	"R.stages.slice().sort(function(a,b){return b.self_ns-a.self_ns;}).slice(0,TOP)"
	".forEach(function(x){var tr=el('tr',{},t),pct=self?100*x.self_ns/self:0;"
	"el('td',{'class':'name'},tr,x.name+' (pid '+x.pid+')');"
	"el('td',{},tr,String(x.calls));el('td',{},tr,dur(x.percentiles_ns.p50));"
	"el('td',{},tr,dur(x.percentiles_ns.p99));var c=el('td',{},tr);"
	"el('span',{'class':'share',style:'width:'+Math.round(pct)+'px'},c);"
	"c.appendChild(document.createTextNode(pct.toFixed(1)+'%'));"
	"el('td',{},tr,x.io.ops?x.io.ops+' ops, '+bytes(x.io.bytes_read)+' read, '+"
	"bytes(x.io.bytes_written)+' written':'-');});}"
	"else el('p',{'class':'note'},ov,'No stages (run without -u): the I/O is below.');\n"
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
	"R.stages.slice(0,TOP).forEach(function(x){if(x.buckets.length)"
	"histChart(sh,x.name+' (pid '+x.pid+')',x.buckets,x.calls+' calls, p50 '+"
	"dur(x.percentiles_ns.p50)+', p99 '+dur(x.percentiles_ns.p99)+', max "
	"'+dur(x.max_ns));});}\n"
	/* I/O. */
	"var tl=document.getElementById('timeline');"
	"if(R.timeline.length>1){"
	"lineChart(tl,'io-over-time','I/O per second (per flush interval)',"
	"[{name:'read',cls:'read',v:function(f){return f.bytes_read/(f.duration_s||1);}},"
	"{name:'written',cls:'write',v:function(f){return f.bytes_written/(f.duration_s||1);}}],"
	"function(v){return bytes(v)+'/s';});"
	"lineChart(tl,'ops-over-time','Syscalls and stage calls per second',"
	"[{name:'syscalls',cls:'ops',v:function(f){return f.syscalls/(f.duration_s||1);}},"
	"{name:'stage calls',cls:'write',v:function(f){return f.stage_calls/(f.duration_s||1);}}],"
	"function(v){return v.toFixed(0)+'/s';});}\n"
	/* One flush: no line to draw, its totals instead. */
	"else if(R.timeline.length===1){var f1=R.timeline[0],ds=f1.duration_s||1,"
	"card=el('div',{'class':'card'},tl);el('h3',{},card,'The run in one flush ('+"
	"ds.toFixed(2)+' s)');table(card,['','total','per second'],["
	"['syscalls',String(f1.syscalls),(f1.syscalls/ds).toFixed(0)],"
	"['I/O operations',String(f1.io_ops),(f1.io_ops/ds).toFixed(0)],"
	"['bytes read',bytes(f1.bytes_read),bytes(f1.bytes_read/ds)+'/s'],"
	"['bytes written',bytes(f1.bytes_written),bytes(f1.bytes_written/ds)+'/s'],"
	"['stage calls',String(f1.stage_calls),(f1.stage_calls/ds).toFixed(0)]]"
	".map(function(c){return {cells:c};})).id='run-totals';}\n"
	"else el('p',{'class':'note'},tl,'No flush records.');\n"
	"var it=document.getElementById('io-tables'),rows=[],ioh=[];"
	"var procs=R.io.slice().sort(function(a,b){return b.ops-a.ops||a.pid-b.pid;});"
	"procs.slice(0,20).forEach(function(p){rows.push({cells:[p.comm+' (pid '+p.pid+')',String(p.ops),"
	"bytes(p.bytes_read),bytes(p.bytes_written),String(p.errors),dur(p.time_ns),'','']});"
	"p.syscalls.forEach(function(c){ioh.push({p:p,c:c});"
	"rows.push({cls:'sub',cells:['  "
	"'+c.name,String(c.ops),c.direction==='read'?bytes(c.bytes):'',"
	"c.direction==='write'?bytes(c.bytes):'',String(c.errors),dur(c.time_ns),"
	"dur(c.percentiles_ns.p50),dur(c.percentiles_ns.p99)]});});});"
	"if(procs.length>20)el('p',{'class':'note'},it,'The 20 busiest of '+procs.length+"
	"' processes with I/O.');"
	"if(rows.length)table(it,['process / syscall','ops','read','written','errors','time',"
	"'p50','p99'],rows).id='io-per-process';"
	"else el('p',{'class':'note'},it,'No I/O syscalls.');"
	"if(R.stage_io.length){el('h3',{},it,'I/O per stage');"
	"table(it,['stage','ops','read','written','in I/O'],R.stage_io.map(function(x){"
	"return {cells:[x.name+' (pid '+x.pid+')',String(x.ops),bytes(x.bytes_read),"
	"bytes(x.bytes_written),dur(x.time_ns)]};})).id='io-per-stage';}\n"
	"ioh.sort(function(a,b){return b.c.ops-a.c.ops;});"
	"var ih=document.getElementById('io-hists');"
	"ioh.slice(0,6).forEach(function(x){if(x.c.buckets.length)histChart(ih,x.c.name+' ('+"
	"x.p.comm+', pid '+x.p.pid+')',x.c.buckets,x.c.ops+' ops, p50 '+"
	"dur(x.c.percentiles_ns.p50)+', p99 '+dur(x.c.percentiles_ns.p99));});\n"
	WALL_SCRIPT
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

void report_put_html(FILE *f, const char *s)
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
		report_put_html(f, hot[i].stage);
		fputs("</td><td class=\"name\">", f);
		report_put_html(f, hot[i].function);
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

/* The head, with the -U hits section (when the run has one) after the I/O
 * section: page_head is written as it is, in two parts. */
static int put_head(FILE *f, const struct report *r)
{
	const char *traces = strstr(page_head, "<section id=\"traces\">");
	size_t n = traces ? (size_t)(traces - page_head) : strlen(page_head);

	if (fwrite(page_head, 1, n, f) != n || report_write_usdt_html(f, r))
		return -1;
	return fputs(page_head + n, f) == EOF ? -1 : 0;
}

int report_write_html(FILE *f, const struct report *r, int top)
{
	json_t *doc = report_to_json(r, top);
	char *json = doc ? json_dumps(doc, JSON_OUT_FLAGS) : NULL;
	int ret = -1;

	if (!json)
		goto cleanup;
	if (put_head(f, r) || (r->have_samples && put_cpu_section(f, r, top)) ||
	    fputs(page_data, f) == EOF || put_json_for_html(f, json) ||
	    fputs(page_script, f) == EOF)
		goto cleanup;
	ret = 0;
cleanup:
	free(json);
	json_decref(doc);
	return ret;
}
