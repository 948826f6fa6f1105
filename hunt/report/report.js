// loghunt report: the hit table. It reads the JSON data elements, then
// filters, sorts and shows one page of rows at a time, so that a report of
// 100,000 hits stays responsive. Every value is put in the page with
// textContent: the hits come from logs an attacker may have written.
(function () {
  "use strict";
  var started = performance.now();
  document.body.dataset.startMs = String(Math.round(started));
  // Each data element is emptied once read: the page keeps one copy of
  // the hits, not two.
  function data(id) {
    var e = document.getElementById(id), v = JSON.parse(e.textContent);
    e.textContent = "";
    return v;
  }
  // A hit: [ms|null, zone offset (minutes), rule, computer, event id|null,
  // [new strings], channel, path, spot, [details: name, value...],
  // [matched: search, field, value...], [fields: name, value...], fields
  // not shown, suppressed by, engines]. A string is a number, its index in
  // the string table S that the rows fill in order, or the string itself.
  var H = data("hit-data"), R = data("rule-data"), C = data("computer-data");
  var parsed = performance.now();
  var S = [], ZONED = document.body.dataset.zoned === "1";
  for (var k = 0; k < H.length; k++) {
    var fresh = H[k][5];
    for (var f = 0; f < fresh.length; f++) S.push(fresh[f]);
    H[k][5] = null;
  }
  function str(x) { return typeof x === "number" ? S[x] : x; }
  function pad(n, w) { n = String(n); while (n.length < w) n = "0" + n; return n; }
  function timeText(h) {
    if (h[0] === null) return "";
    var off = h[1], t = new Date(h[0] + off * 60000).toISOString().replace("T", " ").replace("Z", "");
    if (!ZONED) return t;
    var a = Math.abs(off);
    return t + " " + (off < 0 ? "-" : "+") + pad(Math.floor(a / 60), 2) + ":" + pad(a % 60, 2);
  }
  function pairs(list, sep) {
    var out = [];
    for (var i = 0; i + 1 < list.length; i += 2) out.push(str(list[i]) + sep + str(list[i + 1]));
    return out;
  }
  var D = new Array(H.length); // details, built when first needed
  function details(i) {
    if (D[i] === undefined) D[i] = pairs(H[i][9], ": ").join(" | ");
    return D[i];
  }
  function source(h) { return str(h[7]) + h[8]; }
  var LEVELS = ["critical", "high", "medium", "low", "informational"];
  function levelRank(l) { var i = LEVELS.indexOf(String(l).toLowerCase()); return i < 0 ? 5 : i; }
  var ruleRank = R.map(function (r) { return levelRank(r.l); });

  var state = { q: "", level: "", rule: "", computer: "", tech: "", key: "time", dir: 1, page: 0, size: 100, open: -1 };
  var view = [], search = null;
  var $ = function (id) { return document.getElementById(id); };
  var tbody = document.querySelector("#hit-table tbody");

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function computerName(i) { return i < 0 ? "" : C[i]; }

  // The lower-case text a filter searches, built on the first search.
  function searchText(i) {
    if (!search) search = new Array(H.length);
    var s = search[i];
    if (s === undefined) {
      var h = H[i], r = R[h[2]];
      s = [timeText(h), r.t, r.id, r.l, computerName(h[3]), str(h[6]), h[4], source(h), details(i), str(h[13])].join("\u0000").toLowerCase();
      search[i] = s;
    }
    return s;
  }

  var keys = {
    time: function (i) { return H[i][0] === null ? -Infinity : H[i][0]; },
    level: function (i) { return ruleRank[H[i][2]]; },
    rule: function (i) { return R[H[i][2]].t; },
    computer: function (i) { return computerName(H[i][3]); },
    event: function (i) { return H[i][4] === null ? -1 : H[i][4]; },
    channel: function (i) { return str(H[i][6]); },
    details: function (i) { return details(i); }
  };

  function apply() {
    var words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    var lv = state.level === "" ? -1 : LEVELS.indexOf(state.level);
    var rule = state.rule === "" ? -1 : +state.rule;
    var comp = state.computer === "" ? -1 : +state.computer;
    var tech = state.tech;
    view = [];
    for (var i = 0; i < H.length; i++) {
      var h = H[i];
      if (lv >= 0 && ruleRank[h[2]] !== lv) continue;
      if (rule >= 0 && h[2] !== rule) continue;
      if (comp >= 0 && h[3] !== comp) continue;
      if (tech && (R[h[2]].x || []).indexOf(tech) < 0) continue;
      if (words.length) {
        var s = searchText(i), ok = true;
        for (var w = 0; w < words.length; w++) if (s.indexOf(words[w]) < 0) { ok = false; break; }
        if (!ok) continue;
      }
      view.push(i);
    }
    sort();
  }

  function sort() {
    var f = keys[state.key], dir = state.dir;
    // Sorting keeps the hits' own (time) order among equal keys.
    var k = view.map(f);
    var idx = view.map(function (_, j) { return j; });
    idx.sort(function (a, b) {
      var x = k[a], y = k[b];
      if (x < y) return -dir;
      if (x > y) return dir;
      return view[a] - view[b];
    });
    view = idx.map(function (j) { return view[j]; });
    state.page = 0;
    state.open = -1;
    render();
  }

  function detail(i) {
    var h = H[i], r = R[h[2]];
    var td = el("td");
    td.colSpan = 7;
    td.appendChild(el("h4", r.t));
    var meta = el("table");
    function row(t, name, value) {
      if (value === undefined || value === null || value === "") return;
      var tr = el("tr");
      tr.appendChild(el("td", name));
      tr.appendChild(el("td", value));
      t.appendChild(tr);
    }
    row(meta, "description", r.d);
    row(meta, "level", r.l);
    row(meta, "rule id", r.id);
    row(meta, "engines", str(h[14]));
    row(meta, "rule file", r.p);
    row(meta, "tags", (r.g || []).join(", "));
    row(meta, "source", source(h));
    row(meta, "suppressed by", str(h[13]));
    td.appendChild(meta);
    if (h[10].length) {
      td.appendChild(el("h4", "Matched"));
      var m = el("table");
      for (var j = 0; j + 2 < h[10].length; j += 3) {
        var search = str(h[10][j]);
        row(m, (search ? search + ": " : "") + str(h[10][j + 1]), str(h[10][j + 2]));
      }
      td.appendChild(m);
    }
    if (h[11].length) {
      td.appendChild(el("h4", "Event fields"));
      var f = el("table");
      for (var j2 = 0; j2 + 1 < h[11].length; j2 += 2) {
        var v = str(h[11][j2 + 1]);
        row(f, str(h[11][j2]), v === "" ? "\u00a0" : v);
      }
      if (h[12] > 0) row(f, "(more fields)", h[12] + " fields not shown; the main output has them all");
      td.appendChild(f);
    }
    var tr = el("tr", null, "detail");
    tr.appendChild(td);
    return tr;
  }

  function render() {
    var pages = Math.max(1, Math.ceil(view.length / state.size));
    state.page = Math.min(state.page, pages - 1);
    var from = state.page * state.size, to = Math.min(view.length, from + state.size);
    var frag = document.createDocumentFragment();
    for (var j = from; j < to; j++) {
      var i = view[j], h = H[i], r = R[h[2]];
      var tr = el("tr", null, "hit");
      tr.dataset.i = i;
      tr.appendChild(el("td", timeText(h)));
      var lv = el("td"), span = el("span", r.l, "lv lv-" + LEVELS.concat(["other"])[ruleRank[h[2]]]);
      lv.appendChild(span);
      tr.appendChild(lv);
      tr.appendChild(el("td", r.t));
      tr.appendChild(el("td", computerName(h[3])));
      tr.appendChild(el("td", h[4]));
      tr.appendChild(el("td", str(h[6])));
      var d = el("td", details(i));
      d.title = details(i);
      tr.appendChild(d);
      frag.appendChild(tr);
      if (state.open === i) {
        tr.classList.add("open");
        frag.appendChild(detail(i));
      }
    }
    tbody.textContent = "";
    tbody.appendChild(frag);
    $("page").textContent = "page " + (state.page + 1) + " of " + pages;
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
    var what = view.length === H.length ? H.length + " hits" : view.length + " of " + H.length + " hits";
    if (state.tech) what += " (technique " + state.tech + ")";
    $("status").textContent = what + "; click a row for its rule and event fields, a column head to sort";
    document.querySelectorAll("#hit-table th").forEach(function (th) {
      th.className = th.dataset.key === state.key ? (state.dir > 0 ? "sorted-asc" : "sorted-desc") : "";
    });
  }

  // Controls.
  R.map(function (r, i) { return [r.t, i]; }).sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]; })
    .forEach(function (x) { var o = el("option", x[0] + " (" + R[x[1]].n + ")"); o.value = x[1]; $("f-rule").appendChild(o); });
  C.map(function (c, i) { return [c, i]; }).sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; })
    .forEach(function (x) { var o = el("option", x[0] === "" ? "(none)" : x[0]); o.value = x[1]; $("f-computer").appendChild(o); });
  var timer = 0;
  $("q").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = $("q").value; apply(); }, 200);
  });
  [["f-level", "level"], ["f-rule", "rule"], ["f-computer", "computer"]].forEach(function (x) {
    $(x[0]).addEventListener("change", function () { state[x[1]] = $(x[0]).value; apply(); });
  });
  $("clear").addEventListener("click", function () {
    state.q = state.level = state.rule = state.computer = state.tech = "";
    $("q").value = $("f-level").value = $("f-rule").value = $("f-computer").value = "";
    apply();
  });
  $("prev").addEventListener("click", function () { state.page--; render(); });
  $("next").addEventListener("click", function () { state.page++; render(); });
  $("page-size").addEventListener("change", function () { state.size = +$("page-size").value; state.page = 0; render(); });
  document.querySelector("#hit-table thead").addEventListener("click", function (e) {
    var k = e.target.dataset && e.target.dataset.key;
    if (!k) return;
    state.dir = state.key === k ? -state.dir : 1;
    state.key = k;
    sort();
  });
  tbody.addEventListener("click", function (e) {
    var tr = e.target.closest("tr.hit");
    if (!tr) return;
    var i = +tr.dataset.i;
    state.open = state.open === i ? -1 : i;
    render();
  });
  function pick(name, value) {
    state.q = state.level = state.rule = state.computer = state.tech = "";
    $("q").value = $("f-level").value = $("f-computer").value = "";
    state[name] = value;
    $("f-rule").value = state.rule;
    apply();
    $("hits").scrollIntoView();
  }
  document.querySelectorAll("#rules tr[data-rule]").forEach(function (tr) {
    tr.addEventListener("click", function () { pick("rule", tr.dataset.rule); });
  });
  document.querySelectorAll("#attack li[data-tech]").forEach(function (li) {
    li.addEventListener("click", function () { pick("tech", li.dataset.tech); });
  });

  apply();
  document.body.dataset.loadMs = String(Math.round(performance.now()));
  document.body.dataset.parseMs = String(Math.round(parsed - started));
  document.body.dataset.scriptMs = String(Math.round(performance.now() - started));
  document.body.dataset.ready = "1";
})();
