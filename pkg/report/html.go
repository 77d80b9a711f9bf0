package report

import (
	"fmt"
	"html"
	"io"
	"strings"
)

// writeHTML writes index.html: one file with no external assets. The
// summary is static HTML (readable without scripts); the artefact table is
// drawn from the embedded rows by a small script, a page at a time, so ten
// thousand artefacts stay fast.
func (w *Writer) writeHTML(o io.Writer, sum Summary) error {
	m := w.meta
	e := html.EscapeString
	fmt.Fprintf(o, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>gopolicy report: %s</title>
<style>%s</style></head><body>
<header><h1>gopolicy report <span class="badge %s" id="outcome">%s</span></h1>
<p class="meta">Profile <b>%s</b> · policies %s %s <code>%s</code> · gopolicy %s · judged as of %s</p></header>
`, e(sum.Outcome()), css, e(sum.Outcome()), e(strings.ToUpper(sum.Outcome())), e(m.Profile), e(m.Bundle.Name), e(m.Bundle.Revision), e(m.Bundle.Digest), e(m.ToolVersion), e(m.Now))

	// Outcome cards and a stacked bar.
	fmt.Fprintf(o, `<section class="cards">
<div class="card"><div class="n" id="sum-artefacts">%d</div>artefacts</div>
<div class="card allowed"><div class="n" id="sum-allowed">%d</div>allowed</div>
<div class="card denied"><div class="n" id="sum-denied">%d</div>denied</div>
<div class="card error"><div class="n" id="sum-errors">%d</div>errors</div>
<div class="card"><div class="n" id="sum-findings-deny">%d</div>deny findings</div>
<div class="card"><div class="n" id="sum-findings-warn">%d</div>warnings</div>
<div class="card"><div class="n" id="sum-findings-waived">%d</div>waived</div>
</section>
`, sum.Artefacts, sum.Allowed, sum.Denied, sum.Errors, sum.Findings.Deny, sum.Findings.Warn, sum.Findings.Waived)
	fmt.Fprintf(o, `<svg class="stack" viewBox="0 0 1000 24" preserveAspectRatio="none" role="img" aria-label="outcomes">%s</svg>`+"\n", stackSVG(sum))

	// By severity.
	maxSev := 1
	for _, n := range sum.Severities {
		maxSev = max(maxSev, n)
	}
	io.WriteString(o, `<section class="two"><div><h2>Deny and warn findings by severity</h2><table class="bars" id="by-severity">`)
	for _, sv := range severityOrder {
		n := sum.Severities[sv]
		fmt.Fprintf(o, `<tr><th>%s</th><td><div class="bar sev-%s" style="width:%d%%"></div></td><td class="num">%d</td></tr>`, sv, sv, n*100/maxSev, n)
	}
	io.WriteString(o, "</table></div>\n")

	// By policy.
	maxPol := 1
	for _, p := range sum.Policies {
		maxPol = max(maxPol, p.Deny+p.Warn+p.Waived+p.Error)
	}
	io.WriteString(o, `<div><h2>Findings by policy</h2><table class="bars" id="by-policy"><tr><th>policy</th><th></th><th class="num">deny</th><th class="num">warn</th><th class="num">waived</th><th class="num">error</th></tr>`)
	shown := 0
	for _, p := range sum.Policies {
		total := p.Deny + p.Warn + p.Waived + p.Error
		if total == 0 {
			continue
		}
		shown++
		fmt.Fprintf(o, `<tr title="%s"><th>%s <small>%s</small></th><td><div class="bar"><span class="d" style="width:%d%%"></span><span class="w" style="width:%d%%"></span><span class="v" style="width:%d%%"></span><span class="e" style="width:%d%%"></span></div></td><td class="num">%d</td><td class="num">%d</td><td class="num">%d</td><td class="num">%d</td></tr>`,
			e(p.Title), e(p.Policy), e(p.Severity), p.Deny*100/maxPol, p.Warn*100/maxPol, p.Waived*100/maxPol, p.Error*100/maxPol, p.Deny, p.Warn, p.Waived, p.Error)
	}
	if shown == 0 {
		io.WriteString(o, `<tr><td colspan="6">No policy found anything.</td></tr>`)
	}
	io.WriteString(o, "</table></div></section>\n")

	// Waivers.
	io.WriteString(o, `<section><h2>Waivers</h2>`)
	if len(sum.Waivers) == 0 {
		io.WriteString(o, "<p>No waivers were given.</p>")
	} else {
		io.WriteString(o, `<table id="waivers"><tr><th>policy</th><th>status</th><th>expires</th><th>owner</th><th>findings</th><th>reason</th><th>ticket</th><th>source</th></tr>`)
		for _, wv := range sum.Waivers {
			fmt.Fprintf(o, `<tr class="wv-%s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="num">%d</td><td>%s</td><td>%s</td><td><code>%s</code></td></tr>`,
				e(wv.Status), e(wv.Policy), e(wv.Status), e(wv.Expires), e(wv.Owner), wv.Findings, e(wv.Reason), e(wv.Ticket), e(wv.Source))
		}
		io.WriteString(o, "</table>")
	}
	io.WriteString(o, "</section>\n")

	// The artefact table, drawn by the script from the rows below.
	io.WriteString(o, `<section><h2>Artefacts</h2>
<div class="controls"><input id="q" type="search" placeholder="filter: subject, policy, message" aria-label="filter">
<select id="status" aria-label="status"><option value="">every status</option><option>denied</option><option>error</option><option>allowed</option></select>
<span id="count"></span> <button id="prev">&lsaquo; prev</button> <span id="page"></span> <button id="next">next &rsaquo;</button></div>
<table id="artefacts"><thead><tr><th data-k="i">#</th><th data-k="s">subject</th><th data-k="k">kind</th><th data-k="o">status</th><th data-k="d" class="num">deny</th><th data-k="w" class="num">warn</th><th data-k="e" class="num">error</th><th data-k="v" class="num">waived</th></tr></thead><tbody id="rows-body"><tr><td colspan="8">This table needs JavaScript; report.md, findings.csv and report.json hold the same data.</td></tr></tbody></table>
</section>
<script type="application/json" id="rows">[
`)
	if err := w.rows.copyTo(o); err != nil {
		return err
	}
	fmt.Fprintf(o, "\n]</script>\n<script>%s</script>\n</body></html>\n", script)
	return nil
}

func stackSVG(sum Summary) string {
	if sum.Artefacts == 0 {
		return `<rect width="1000" height="24" class="s-none"/>`
	}
	var b strings.Builder
	x := 0
	for _, s := range []struct {
		n     int
		class string
	}{{sum.Allowed, "s-allowed"}, {sum.Denied, "s-denied"}, {sum.Errors, "s-error"}} {
		wd := s.n * 1000 / sum.Artefacts
		fmt.Fprintf(&b, `<rect x="%d" width="%d" height="24" class="%s"><title>%s %d</title></rect>`, x, wd, s.class, strings.TrimPrefix(s.class, "s-"), s.n)
		x += wd
	}
	return b.String()
}

const css = `body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#1d2127}
h1{font-size:1.5em}h2{font-size:1.1em;margin-top:1.5em}code{font-size:.9em}.meta{color:#555}
.badge{font-size:.6em;padding:.2em .6em;border-radius:4px;color:#fff;vertical-align:middle}
.badge.allowed{background:#1a7f37}.badge.denied{background:#c62828}.badge.error{background:#8250df}
.cards{display:flex;gap:.6em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.5em 1em;min-width:7em}
.card .n{font-size:1.6em;font-weight:600}.card.allowed .n{color:#1a7f37}.card.denied .n{color:#c62828}.card.error .n{color:#8250df}
.stack{width:100%;height:14px;margin:.8em 0;border-radius:4px}.s-allowed{fill:#1a7f37}.s-denied{fill:#c62828}.s-error{fill:#8250df}.s-none{fill:#ddd}
.two{display:grid;grid-template-columns:1fr 2fr;gap:2em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid #eee;vertical-align:top}
.num{text-align:right}.bars td:nth-child(2){width:45%}
.bar{height:12px;background:#eee;border-radius:3px;display:flex;overflow:hidden}.bar span{display:block;height:100%}
.bar .d{background:#c62828}.bar .w{background:#d4a72c}.bar .v{background:#8c959f}.bar .e{background:#8250df}
.bars .bar.sev-critical,.sev-critical{background:#8b0000}.sev-high{background:#c62828}.sev-medium{background:#d4a72c}.sev-low{background:#57606a}.sev-info{background:#8c959f}
.controls{display:flex;gap:.5em;align-items:center;margin-bottom:.5em}.controls input{flex:1;padding:.3em}
#artefacts thead th{cursor:pointer;user-select:none;background:#f6f8fa}#artefacts tbody tr.a{cursor:pointer}
#artefacts tbody tr.a:hover{background:#f6f8fa}.o-denied{color:#c62828;font-weight:600}.o-error{color:#8250df;font-weight:600}.o-allowed{color:#1a7f37}
.detail td{background:#fafbfc}.f{margin:.4em 0 .8em}.f .lv{font-weight:600;text-transform:uppercase;margin-right:.4em}
.lv-deny{color:#c62828}.lv-warn{color:#9a6700}.lv-error{color:#8250df}.lv-waived{color:#57606a}
.ev{font-family:ui-monospace,monospace;font-size:.85em;color:#333;margin-left:1em}.fix{margin-left:1em;color:#0b5394}.wv{margin-left:1em;color:#57606a}
.wv-expired td,.wv-refused td{color:#c62828}.wv-unmatched td{color:#9a6700}`

const script = `(function(){
"use strict";
var rows=JSON.parse(document.getElementById("rows").textContent);
var body=document.getElementById("rows-body"),q=document.getElementById("q"),st=document.getElementById("status");
var PAGE=100,page=0,key="i",dir=1,view=rows,open={};
function val(r,k){switch(k){case "d":return r.n[0];case "w":return r.n[1];case "e":return r.n[2];case "v":return r.n[3];default:return r[k];}}
function text(r){var t=[r.s,r.k,r.o];(r.f||[]).forEach(function(f){t.push(f.p,f.m,f.sj||"",f.t)});(r.ie||[]).forEach(function(x){t.push(x)});return t.join(" ").toLowerCase();}
rows.forEach(function(r){r._t=text(r)});
function el(tag,cls,txt){var e=document.createElement(tag);if(cls)e.className=cls;if(txt!==undefined)e.textContent=txt;return e;}
function detail(r){var td=el("td");td.colSpan=8;
 var a=el("a",null,r.d);a.href=r.d;var p=el("div",null,"decision: ");p.appendChild(a);td.appendChild(p);
 (r.ie||[]).forEach(function(x){td.appendChild(el("div","f lv-error","INPUT ERROR "+x))});
 if(!(r.f||[]).length&&!(r.ie||[]).length)td.appendChild(el("div","f","No findings: every policy passed, was skipped or is off."));
 (r.f||[]).forEach(function(f){var d=el("div","f");d.appendChild(el("span","lv lv-"+f.l,f.l));
  d.appendChild(el("b",null,f.p+" "));d.appendChild(el("span",null,"("+f.sv+") "+f.t+(f.sj?" ["+f.sj+"]":"")));
  d.appendChild(el("div",null,f.m));
  (f.ev||[]).forEach(function(e){d.appendChild(el("div","ev",e[0]+" = "+e[1]+(e[2]?"   ("+e[2]+")":"")+(e[3]?"   "+e[3]:"")))});
  if(f.wv)d.appendChild(el("div","wv","waiver "+f.wv[0]+": "+f.wv[1]+" (owner "+f.wv[2]+", expires "+f.wv[3]+(f.wv[4]?", "+f.wv[4]:"")+")"));
  if(f.r)d.appendChild(el("div","fix","fix: "+f.r));
  td.appendChild(d)});
 var tr=el("tr","detail");tr.appendChild(td);return tr;}
function draw(){var s=q.value.toLowerCase().trim(),o=st.value;
 view=rows.filter(function(r){return (!o||r.o===o)&&(!s||r._t.indexOf(s)>=0)});
 view.sort(function(a,b){var x=val(a,key),y=val(b,key);return (x<y?-1:x>y?1:a.i-b.i)*dir});
 var pages=Math.max(1,Math.ceil(view.length/PAGE));if(page>=pages)page=pages-1;
 body.textContent="";var frag=document.createDocumentFragment();
 view.slice(page*PAGE,(page+1)*PAGE).forEach(function(r){var tr=el("tr","a");tr.dataset.i=r.i;
  [r.i+1,r.s,r.k,r.o,r.n[0],r.n[1],r.n[2],r.n[3]].forEach(function(v,j){var td=el("td",j>=4?"num":(j===3?"o-"+r.o:null),String(v));tr.appendChild(td)});
  tr.addEventListener("click",function(){open[r.i]=!open[r.i];draw()});frag.appendChild(tr);if(open[r.i])frag.appendChild(detail(r))});
 body.appendChild(frag);
 document.getElementById("count").textContent=view.length+" of "+rows.length+" artefacts";
 document.getElementById("page").textContent="page "+(page+1)+" / "+pages;}
document.querySelectorAll("#artefacts th").forEach(function(th){th.addEventListener("click",function(){var k=th.dataset.k;if(key===k)dir=-dir;else{key=k;dir=(k==="i"||k==="s"||k==="k")?1:-1;}draw()})});
q.addEventListener("input",function(){page=0;draw()});st.addEventListener("change",function(){page=0;draw()});
document.getElementById("prev").addEventListener("click",function(){if(page>0){page--;draw()}});
document.getElementById("next").addEventListener("click",function(){page++;draw()});
draw();})();`
