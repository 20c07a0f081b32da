/* Offline interactivity of the published pages (inlined by offline_report.html.j2 and
   county_index.html.j2; no library, nothing fetched from any network address).

   1. Tables: a click on a column header sorts the rows (numbers as numbers, Chinese text
      in pinyin order, missing values "—" always last; again: descending, a third time:
      the original order). Tables with many rows get a filter line: keywords (all must
      appear in the row), optionally in one column, where ">0.5", "<=3", "=0" compare
      numbers; it shows how many rows are visible. Tables with merged body cells
      (row/colspan, e.g. grouped indexes) are left as they are.
   2. Explorer: each <div class="edu-explorer"> holds the explorer's data as JSON
      (analysis/explorer.py); the same controls as the notebook's widgets redraw an SVG
      chart and a table from it, without a kernel. */
(function () {
  "use strict";

  var FILTER_MIN_ROWS = 8;
  var MISSING = { "": true, "—": true, "–": true, "-": true, "nan": true, "NaN": true, "None": true, "<NA>": true };
  var collator = (typeof Intl !== "undefined" && Intl.Collator) ? new Intl.Collator("zh-CN", { numeric: true }) : null;
  /* the SVG namespace, taken from the parser rather than written out as a URL */
  var SVGNS = (function () { var d = document.createElement("div"); d.innerHTML = "<svg></svg>"; return d.firstChild.namespaceURI; })();

  function text(cell) {
    var v = cell.getAttribute("data-sort");
    return (v !== null ? v : (cell.textContent || "")).replace(/\s+/g, " ").trim();
  }

  function parseNumber(t) {
    var s = String(t).replace(/[,\s\u00a0\u2009\u202f，]/g, "").replace(/^\u2212/, "-");
    if (s.slice(-1) === "%") { s = s.slice(0, -1); }
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) { return null; }
    return parseFloat(s);
  }

  function compareText(a, b) {
    return collator ? collator.compare(a, b) : (a < b ? -1 : a > b ? 1 : 0);
  }

  /* -- tables ------------------------------------------------------------------------ */
  function simpleBody(table) {
    var bodies = table.tBodies;
    if (!bodies.length) { return false; }
    for (var b = 0; b < bodies.length; b++) {
      var rows = bodies[b].rows;
      for (var r = 0; r < rows.length; r++) {
        var cells = rows[r].cells;
        for (var c = 0; c < cells.length; c++) {
          if (cells[c].rowSpan > 1 || cells[c].colSpan > 1) { return false; }
        }
      }
    }
    return true;
  }

  function headerCells(table) {
    /* {column index: th} from the header rows; merged header cells (colspan) are not sort keys */
    var out = {};
    var head = table.tHead;
    if (!head) { return out; }
    var taken = [];
    for (var r = 0; r < head.rows.length; r++) {
      var col = 0;
      taken[r] = taken[r] || [];
      var cells = head.rows[r].cells;
      for (var c = 0; c < cells.length; c++) {
        while (taken[r][col]) { col++; }
        var cell = cells[c];
        for (var dr = 0; dr < cell.rowSpan; dr++) {
          taken[r + dr] = taken[r + dr] || [];
          for (var dc = 0; dc < cell.colSpan; dc++) { taken[r + dr][col + dc] = true; }
        }
        if (cell.colSpan === 1 && (text(cell) !== "" || !out[col])) {
          if (!out[col] || text(out[col]) === "") { out[col] = cell; }
        }
        col += cell.colSpan;
      }
    }
    return out;
  }

  function bodyRows(table) {
    var rows = [];
    for (var b = 0; b < table.tBodies.length; b++) {
      for (var r = 0; r < table.tBodies[b].rows.length; r++) { rows.push(table.tBodies[b].rows[r]); }
    }
    return rows;
  }

  function columnKind(rows, col) {
    var numbers = 0;
    for (var i = 0; i < rows.length; i++) {
      var cell = rows[i].cells[col];
      if (!cell) { continue; }
      var t = text(cell);
      if (MISSING[t]) { continue; }
      if (parseNumber(t) === null) { return "text"; }
      numbers++;
    }
    return numbers ? "number" : "text";
  }

  function sortBy(table, col, th) {
    var state = table._eduSort || {};
    var dir = state.col === col ? (state.dir === "asc" ? "desc" : state.dir === "desc" ? "none" : "asc") : "asc";
    table._eduSort = { col: col, dir: dir };
    var heads = table._eduHeads;
    for (var k in heads) {
      if (Object.prototype.hasOwnProperty.call(heads, k)) {
        heads[k].classList.remove("edu-sort-asc", "edu-sort-desc");
        heads[k].setAttribute("aria-sort", "none");
      }
    }
    if (dir !== "none") {
      th.classList.add(dir === "asc" ? "edu-sort-asc" : "edu-sort-desc");
      th.setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
    }
    var body = table.tBodies[0];
    var rows = bodyRows(table);
    var kind = columnKind(rows, col);
    var keyed = rows.map(function (row) {
      var cell = row.cells[col];
      var t = cell ? text(cell) : "";
      var missing = MISSING[t] === true;
      return { row: row, order: row._eduOrder, missing: missing, key: missing ? null : (kind === "number" ? parseNumber(t) : t) };
    });
    keyed.sort(function (a, b) {
      if (dir === "none") { return a.order - b.order; }
      if (a.missing !== b.missing) { return a.missing ? 1 : -1; }
      var d = 0;
      if (!a.missing) { d = kind === "number" ? a.key - b.key : compareText(a.key, b.key); }
      if (dir === "desc") { d = -d; }
      return d || a.order - b.order;
    });
    for (var i = 0; i < keyed.length; i++) { body.appendChild(keyed[i].row); }
  }

  function matches(row, terms, col) {
    for (var i = 0; i < terms.length; i++) {
      var term = terms[i];
      var cmp = /^(>=|<=|>|<|=|＞|＜)\s*(.+)$/.exec(term);
      if (cmp && col >= 0 && parseNumber(cmp[2]) !== null) {
        var cell = row.cells[col];
        var v = cell ? parseNumber(text(cell)) : null;
        var x = parseNumber(cmp[2]);
        var op = cmp[1].replace("＞", ">").replace("＜", "<");
        if (v === null) { return false; }
        if (!((op === ">" && v > x) || (op === "<" && v < x) || (op === ">=" && v >= x) ||
              (op === "<=" && v <= x) || (op === "=" && v === x))) { return false; }
        continue;
      }
      var hay = col >= 0 ? (row.cells[col] ? text(row.cells[col]) : "") : (row.textContent || "").replace(/\s+/g, " ");
      if (hay.toLowerCase().indexOf(term.toLowerCase()) < 0) { return false; }
    }
    return true;
  }

  function addFilter(table, heads) {
    var rows = bodyRows(table);
    var bar = document.createElement("div");
    bar.className = "edu-table-tools";
    var label = document.createElement("label");
    label.textContent = "筛选 ";
    var input = document.createElement("input");
    input.type = "search";
    input.className = "edu-table-filter";
    input.placeholder = "关键字，空格分隔；选定一列后可用 >0.5、<=3";
    input.setAttribute("aria-label", "筛选表格行");
    label.appendChild(input);
    var select = document.createElement("select");
    select.className = "edu-table-column";
    select.setAttribute("aria-label", "筛选的列");
    var all = document.createElement("option");
    all.value = "-1";
    all.textContent = "全部列";
    select.appendChild(all);
    Object.keys(heads).sort(function (a, b) { return a - b; }).forEach(function (col) {
      var name = text(heads[col]);
      if (name === "") { return; }
      var opt = document.createElement("option");
      opt.value = col;
      opt.textContent = name;
      select.appendChild(opt);
    });
    var count = document.createElement("span");
    count.className = "edu-table-count";
    bar.appendChild(label);
    bar.appendChild(select);
    bar.appendChild(count);
    function apply() {
      var terms = input.value.trim().split(/\s+/).filter(function (t) { return t !== ""; });
      var col = parseInt(select.value, 10);
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var ok = !terms.length || matches(rows[i], terms, col);
        rows[i].classList.toggle("edu-hidden", !ok);
        if (ok) { shown++; }
      }
      count.textContent = terms.length ? "显示 " + shown + " / " + rows.length + " 行" : "共 " + rows.length + " 行";
    }
    input.addEventListener("input", apply);
    select.addEventListener("change", apply);
    apply();
    table.parentNode.insertBefore(bar, table);
  }

  function enhanceTable(table, options) {
    if (table._eduDone || !simpleBody(table)) { return; }
    var rows = bodyRows(table);
    if (rows.length < 2) { return; }
    table._eduDone = true;
    rows.forEach(function (row, i) { row._eduOrder = i; });
    var heads = headerCells(table);
    table._eduHeads = heads;
    table.classList.add("edu-sortable");
    Object.keys(heads).forEach(function (key) {
      var col = parseInt(key, 10);
      var th = heads[key];
      if (text(th) === "") { return; }
      th.tabIndex = 0;
      th.title = "点击排序（再点一次倒序，第三次恢复原顺序）";
      th.setAttribute("aria-sort", "none");
      th.addEventListener("click", function () { sortBy(table, col, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, col, th); }
      });
    });
    var min = options && options.filterMinRows !== undefined ? options.filterMinRows : FILTER_MIN_ROWS;
    if (rows.length >= min) { addFilter(table, heads); }
  }

  /* -- explorer ---------------------------------------------------------------------- */
  function el(tag, attrs, content) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) {
      if (Object.prototype.hasOwnProperty.call(attrs, k)) { node.setAttribute(k, attrs[k]); }
    }
    if (content !== undefined && content !== null) { node.textContent = content; }
    return node;
  }

  function svg(tag, attrs, content) {
    var node = document.createElementNS(SVGNS, tag);
    for (var k in attrs || {}) {
      if (Object.prototype.hasOwnProperty.call(attrs, k)) { node.setAttribute(k, attrs[k]); }
    }
    if (content !== undefined && content !== null) { node.textContent = content; }
    return node;
  }

  function fmt(v) {
    /* the chart's number format (analysis.plotting.number_text) */
    if (v === null || v === undefined || isNaN(v)) { return ""; }
    var a = Math.abs(v);
    if (a >= 100) { return Math.round(v).toLocaleString("en-US"); }
    if (a >= 10) { return v.toFixed(1); }
    var s = a >= 1 ? v.toFixed(2) : v.toFixed(3);
    return s.indexOf(".") >= 0 ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  }

  function fmtCell(v, digits) {
    if (v === null || v === undefined || isNaN(v)) { return "—"; }
    if (digits === 0) { return Math.round(v).toLocaleString("en-US"); }
    return (Math.round(v * 100) / 100).toString();
  }

  function niceTicks(max) {
    if (!(max > 0)) { return [0, 1]; }
    var raw = max / 5, mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; }).filter(function (s) { return s >= raw; })[0];
    var ticks = [];
    for (var t = 0; t <= max + step * 1e-9; t += step) { ticks.push(Math.round(t / step) * step); }
    if (ticks[ticks.length - 1] < max) { ticks.push(ticks[ticks.length - 1] + step); }
    return ticks;
  }

  function pairs(list) {
    var out = {};
    list.forEach(function (p) { out[p[0]] = p; });
    return out;
  }

  function select(name, label, options, value) {
    var wrap = el("label", { "class": "edu-explorer-control" });
    wrap.appendChild(el("span", null, label));
    var s = el("select", { name: name, "data-control": name });
    options.forEach(function (o) {
      var opt = el("option", { value: String(o[0]) }, o[1]);
      if (String(o[0]) === String(value)) { opt.selected = true; }
      s.appendChild(opt);
    });
    wrap.appendChild(s);
    return { wrap: wrap, input: s };
  }

  function selection(data, state) {
    var county = data.counties[state.county];
    var keys = data.indicators.map(function (i) { return i[0]; });
    var col = 4 + keys.indexOf(state.indicator);
    var out = [];
    county.rows.forEach(function (row) {
      var school = county.schools[row[1]];
      if (row[0] !== Number(state.year) || row[2] !== state.section) { return; }
      if (state.area !== "all" && school[2] !== state.area) { return; }
      if (state.school && school[1].indexOf(state.school) < 0) { return; }
      out.push({ id: school[0], name: school[1], area: school[2], students: row[3], value: row[col] });
    });
    /* school_view: stable sort by value, schools without a value last */
    out = out.map(function (r, i) { r.order = i; return r; });
    out.sort(function (a, b) {
      var am = a.value === null, bm = b.value === null;
      if (am !== bm) { return am ? 1 : -1; }
      return (am ? 0 : a.value - b.value) || a.order - b.order;
    });
    return out;
  }

  function drawChart(data, state, view, standard) {
    var ind = pairs(data.indicators)[state.indicator];
    var unit = data.units[state.indicator];
    var section = pairs(data.sections)[state.section][1];
    var drawn = view.filter(function (r) { return r.value !== null; }).slice(0, data.max_schools);
    var fig = el("figure", { "class": "edu-explorer-chart" });
    var title = state.county + state.year + "年" + section + "各校" + ind[2];
    if (!drawn.length) {
      fig.appendChild(el("p", null, "所选学校没有" + ind[2] + "的数值，无法作图。"));
      return fig;
    }
    var longest = 0;
    drawn.forEach(function (r) { longest = Math.max(longest, r.name.length); });
    var left = Math.min(260, 16 + longest * 11), right = 24, top = 44, barH = 16, gap = 4;
    var width = 800, plotW = width - left - right;
    var height = top + drawn.length * (barH + gap) + 86;
    var max = 0;
    drawn.forEach(function (r) { max = Math.max(max, r.value); });
    if (standard !== null) { max = Math.max(max, standard); }
    var ticks = niceTicks(max * 1.05);
    var xmax = ticks[ticks.length - 1] || 1;
    var x = function (v) { return left + plotW * v / xmax; };
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", role: "img",
      "aria-label": title, "class": "edu-explorer-svg", "font-family": "inherit" });
    root.appendChild(svg("title", null, title));
    root.appendChild(svg("text", { x: width / 2, y: 22, "text-anchor": "middle", "font-size": 15, "font-weight": "bold" }, title));
    var plotBottom = top + drawn.length * (barH + gap);
    ticks.forEach(function (t) {
      root.appendChild(svg("line", { x1: x(t), x2: x(t), y1: top - 4, y2: plotBottom, stroke: "#e3e3e3" }));
      root.appendChild(svg("text", { x: x(t), y: plotBottom + 14, "text-anchor": "middle", "font-size": 10, fill: "#444" }, fmt(t)));
    });
    drawn.forEach(function (r, i) {
      var y = top + i * (barH + gap);
      var color = "#4C72B0";
      if (standard !== null) {
        if (r.value < standard) { color = "#DD8452"; }
        if (r.value < data.near_share * standard) { color = "#C0392B"; }
      }
      var bar = svg("rect", { x: left, y: y, width: Math.max(0, x(r.value) - left), height: barH, fill: color, "class": "edu-bar" });
      bar.appendChild(svg("title", null, r.name + "：" + fmt(r.value)));
      root.appendChild(bar);
      root.appendChild(svg("text", { x: left - 6, y: y + barH - 4, "text-anchor": "end", "font-size": 11 }, r.name));
      root.appendChild(svg("text", { x: x(r.value) + 3, y: y + barH - 4, "font-size": 9, fill: "#333" }, fmt(r.value)));
    });
    var legendY = plotBottom + 34;
    if (standard !== null) {
      root.appendChild(svg("line", { x1: x(standard), x2: x(standard), y1: top - 6, y2: plotBottom, stroke: "#C0392B", "stroke-width": 1.5, "stroke-dasharray": "6 3" }));
      var near = data.near_share * standard;
      root.appendChild(svg("line", { x1: x(near), x2: x(near), y1: top - 6, y2: plotBottom, stroke: "#DD8452", "stroke-width": 1.5, "stroke-dasharray": "2 3" }));
      root.appendChild(svg("line", { x1: left, x2: left + 24, y1: legendY - 4, y2: legendY - 4, stroke: "#C0392B", "stroke-width": 1.5, "stroke-dasharray": "6 3" }));
      root.appendChild(svg("text", { x: left + 30, y: legendY, "font-size": 11 }, "标准 " + fmt(standard)));
      root.appendChild(svg("line", { x1: left + 140, x2: left + 164, y1: legendY - 4, y2: legendY - 4, stroke: "#DD8452", "stroke-width": 1.5, "stroke-dasharray": "2 3" }));
      root.appendChild(svg("text", { x: left + 170, y: legendY, "font-size": 11 },
        "标准的" + Math.round(data.near_share * 100) + "% " + fmt(near)));
    }
    root.appendChild(svg("text", { x: left + plotW / 2, y: plotBottom + 30 + (standard !== null ? 20 : 0), "text-anchor": "middle", "font-size": 12 },
      unit ? ind[2] + "（" + unit + "）" : ind[2]));
    root.appendChild(svg("text", { x: 8, y: height - 8, "font-size": 10, fill: "#555", "class": "edu-source" }, data.source));
    fig.appendChild(root);
    if (view.length > drawn.length) {
      var missing = view.filter(function (r) { return r.value === null; }).length;
      var parts = [];
      if (drawn.length === data.max_schools && view.length - missing > drawn.length) { parts.push("图中只画出数值最低的 " + data.max_schools + " 所"); }
      if (missing) { parts.push(missing + " 所没有数值"); }
      if (parts.length) { fig.appendChild(el("figcaption", null, parts.join("；") + "；全部学校见下表。")); }
    }
    return fig;
  }

  function drawTable(data, view, standard) {
    var cols = data.columns;
    var table = el("table", { "class": "dataframe edu-explorer-table" });
    var head = el("thead");
    var tr = el("tr");
    [cols.index, cols.school_id, cols.school_name, cols.area_type, cols.students, cols.value, cols.standard, cols.ratio_to_standard]
      .forEach(function (c) { tr.appendChild(el("th", null, c)); });
    head.appendChild(tr);
    table.appendChild(head);
    var body = el("tbody");
    view.forEach(function (r, i) {
      var row = el("tr");
      row.appendChild(el("th", null, String(i + 1)));
      [r.id, r.name, data.area_types[r.area] || r.area || "—", fmtCell(r.students, 0), fmtCell(r.value),
        fmtCell(standard), fmtCell(r.value === null || standard === null ? null : r.value / standard)]
        .forEach(function (v) { row.appendChild(el("td", null, v === "" ? "—" : v)); });
      body.appendChild(row);
    });
    table.appendChild(body);
    return table;
  }

  function initExplorer(root) {
    var island = root.querySelector("script.edu-explorer-data");
    if (!island || root._eduDone) { return; }
    root._eduDone = true;
    var data;
    try { data = JSON.parse(island.textContent); } catch (e) {
      root.appendChild(el("p", { "class": "edu-explorer-error" }, "离线交互浏览的数据无法读取：" + e.message));
      return;
    }
    var nojs = root.querySelector(".edu-explorer-nojs");
    if (nojs) { nojs.parentNode.removeChild(nojs); }
    var state = {};
    for (var k in data.initial) { if (Object.prototype.hasOwnProperty.call(data.initial, k)) { state[k] = data.initial[k]; } }
    if (!data.counties[state.county]) { state.county = Object.keys(data.counties)[0]; }
    var form = el("form", { "class": "edu-explorer-controls" });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    var counties = Object.keys(data.counties).map(function (c) { return [c, c]; });
    var controls = {
      county: select("county", "县（区）", counties, state.county),
      year: select("year", "年份", [], state.year),
      section: select("section", "学段", data.sections, state.section),
      indicator: select("indicator", "指标", data.indicators, state.indicator),
      area: select("area", "城乡", data.areas, state.area)
    };
    var nameWrap = el("label", { "class": "edu-explorer-control" });
    nameWrap.appendChild(el("span", null, "校名包含"));
    var name = el("input", { type: "search", name: "school", "data-control": "school", placeholder: "如：第一" });
    name.value = state.school || "";
    nameWrap.appendChild(name);
    ["county", "year", "section", "indicator", "area"].forEach(function (c) { form.appendChild(controls[c].wrap); });
    form.appendChild(nameWrap);
    var out = el("div", { "class": "edu-explorer-output", "aria-live": "polite" });
    root.appendChild(el("p", { "class": "edu-explorer-intro" }, "离线交互浏览：以下控件直接在浏览器中更新图表和表格，不需要 Jupyter 内核。"));
    if (data.note) { root.appendChild(el("p", { "class": "edu-explorer-note" }, data.note)); }
    root.appendChild(form);
    root.appendChild(out);

    function syncYears() {
      var years = data.counties[state.county].years;
      if (years.indexOf(Number(state.year)) < 0) { state.year = years.length ? years[years.length - 1] : state.year; }
      var s = controls.year.input;
      while (s.firstChild) { s.removeChild(s.firstChild); }
      years.forEach(function (y) {
        var opt = el("option", { value: String(y) }, String(y));
        if (Number(y) === Number(state.year)) { opt.selected = true; }
        s.appendChild(opt);
      });
    }

    function render() {
      while (out.firstChild) { out.removeChild(out.firstChild); }
      var standard = (data.standards[state.section] || {})[state.indicator];
      standard = standard === undefined ? null : standard;
      var view = selection(data, state);
      if (!view.length) {
        out.appendChild(el("p", { "class": "edu-explorer-empty" }, "没有符合条件的学校。"));
        return;
      }
      out.appendChild(drawChart(data, state, view, standard));
      var table = drawTable(data, view, standard);
      var wrap = el("div", { "class": "edu-explorer-table-wrap" });
      wrap.appendChild(table);
      out.appendChild(wrap);
      enhanceTable(table, { filterMinRows: Infinity });
    }

    ["county", "year", "section", "indicator", "area"].forEach(function (c) {
      controls[c].input.addEventListener("change", function () {
        state[c] = c === "year" ? Number(this.value) : this.value;
        if (c === "county") { syncYears(); }
        render();
      });
    });
    name.addEventListener("input", function () { state.school = name.value.trim(); render(); });
    syncYears();
    render();
  }

  function init() {
    var explorers = document.querySelectorAll(".edu-explorer");
    for (var i = 0; i < explorers.length; i++) { initExplorer(explorers[i]); }
    var tables = document.querySelectorAll("table");
    for (var j = 0; j < tables.length; j++) {
      if (!tables[j].closest(".edu-explorer") && !tables[j].closest(".edu-no-enhance")) { enhanceTable(tables[j]); }
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
