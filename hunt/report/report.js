// loghunt report: the hit table. It reads the JSON data elements, then
// filters, sorts and shows one page of rows at a time, so that a report of
// 100,000 hits stays responsive. Every value is put in the page with
// textContent: the hits come from logs an attacker may have written.
(function () {
  "use strict";
  var started = performance.now();
  function data(id) { return JSON.parse(document.getElementById(id).textContent); }
  // A hit: [ms|null, time, rule, computer, channel, event id|null, source,
  // details, matched [[search, field, value]], fields [[name, value]],
  // suppressed by, engines].
  var H = data("hit-data"), R = data("rule-data"), C = data("computer-data");
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
      s = [h[1], r.t, r.id, r.l, computerName(h[3]), h[4], h[5], h[6], h[7], h[10]].join("\u0000").toLowerCase();
      search[i] = s;
    }
    return s;
  }

  var keys = {
    time: function (h) { return h[0] === null ? -Infinity : h[0]; },
    level: function (h) { return ruleRank[h[2]]; },
    rule: function (h) { return R[h[2]].t; },
    computer: function (h) { return computerName(h[3]); },
    event: function (h) { return h[5] === null ? -1 : h[5]; },
    channel: function (h) { return h[4]; },
    details: function (h) { return h[7]; }
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
    var k = view.map(function (i) { return f(H[i]); });
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
    row(meta, "engines", h[11]);
    row(meta, "rule file", r.p);
    row(meta, "tags", (r.g || []).join(", "));
    row(meta, "source", h[6]);
    row(meta, "suppressed by", h[10]);
    td.appendChild(meta);
    if (h[8].length) {
      td.appendChild(el("h4", "Matched"));
      var m = el("table");
      h[8].forEach(function (x) { row(m, (x[0] ? x[0] + ": " : "") + x[1], x[2]); });
      td.appendChild(m);
    }
    if (h[9].length) {
      td.appendChild(el("h4", "Event fields"));
      var f = el("table");
      h[9].forEach(function (x) { row(f, x[0], x[1] === "" ? "\u00a0" : x[1]); });
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
      tr.appendChild(el("td", h[1]));
      var lv = el("td"), span = el("span", r.l, "lv lv-" + LEVELS.concat(["other"])[ruleRank[h[2]]]);
      lv.appendChild(span);
      tr.appendChild(lv);
      tr.appendChild(el("td", r.t));
      tr.appendChild(el("td", computerName(h[3])));
      tr.appendChild(el("td", h[5]));
      tr.appendChild(el("td", h[4]));
      var d = el("td", h[7]);
      d.title = h[7];
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
  document.body.dataset.scriptMs = String(Math.round(performance.now() - started));
  document.body.dataset.ready = "1";
})();
