/* 驾驶舱 charts: ranking bars, quarterly trend, funnel, and the pre-diagnosis table.
 * Reads the scoped JSON endpoints listed in #dashboard-endpoints; ECharts is vendored under
 * static/vendor/echarts (no CDN on government intranets). Tables on the page are rendered
 * by the server and work without this file. */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  var endpointsEl = document.getElementById("dashboard-endpoints");
  if (!root || !endpointsEl) return;
  var endpoints = JSON.parse(endpointsEl.textContent);
  var year = Number(root.dataset.year);

  var STATUS_COLORS = { done: "#1e7b3c", ahead: "#3a9a5b", behind: "#d08a00", severe: "#b42318" };
  var NO_STATUS = "#9aa5b1";
  var BRAND = "#1f4e8c";
  var FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif';
  var MAX_BARS = 20; // more towns than this: the bar chart scrolls (dataZoom) instead of squeezing
  var BAR_HEIGHT = 26; // px per bar, so labels never overlap whatever the number of towns

  var charts = [];
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });

  function num(n) { return n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"); }
  function pct(x, digits) {
    return x === null || x === undefined ? "—" : (x * 100).toFixed(digits === undefined ? 1 : digits) + "%";
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      });
  }
  function chart(node) {
    if (!node || !window.echarts) return null;
    var c = window.echarts.init(node, null, { locale: "ZH" });
    charts.push(c);
    return c;
  }
  function failed(node, what) {
    if (node) node.replaceChildren(el("p", { class: "error-box" }, what + "加载失败，请刷新页面重试；仍失败请联系系统管理员。"));
  }

  // Whole table rows act as links (the unit name inside stays a real link for keyboards).
  document.querySelectorAll("tr[data-href]").forEach(function (row) {
    row.addEventListener("click", function (e) {
      if (e.target.closest("a")) return;
      window.location.href = row.dataset.href;
    });
  });

  // --- ranking -------------------------------------------------------------------------------
  // Each row's figures sit in a right-hand axis column, like a table: bar labels would
  // collide with the 序时进度 line and with each other when many towns crowd the chart.
  var RICH = {
    pct: { fontWeight: "bold", color: "#1f2933" },
    done: { color: STATUS_COLORS.done },
    ahead: { color: STATUS_COLORS.ahead },
    behind: { color: "#b36b00" },
    severe: { color: STATUS_COLORS.severe },
    none: { color: "#6b7785" },
    muted: { color: "#6b7785" },
  };

  function rowFigures(r, metric, selfOnly) {
    if (r.completion === null) return "{none|" + (r.target === null ? "无目标" : "待报送") + "}";
    var rank = selfOnly && r.rank ? "  第" + r.rank + "名/共" + metric.ranked_of + "个" : "";
    return "{pct|" + pct(r.completion) + "}  {" + (r.status || "none") + "|" + r.status_label + "}  " +
      "{muted|" + num(r.actual) + "/" + num(r.target) + rank + "}";
  }

  function drawRanking(data) {
    var node = document.getElementById("ranking-chart");
    var tabs = document.getElementById("ranking-tabs");
    if (!node || !data.metrics.length) return;
    var c = chart(node);
    var expected = data.expected === null ? null : +(data.expected * 100).toFixed(1);
    var current = null;

    function render(metric) {
      current = metric;
      var rows = metric.rows;
      var index = rows.map(function (r, i) { return String(i); }); // both axes: row positions
      var shown = Math.min(rows.length, MAX_BARS);
      node.style.height = Math.max(150, shown * BAR_HEIGHT + 60) + "px";
      c.resize();
      var values = rows.map(function (r) { return r.completion === null ? 0 : r.completion * 100; });
      var top = Math.max(100, expected || 0, Math.max.apply(null, values));
      var window_ = { startValue: 0, endValue: MAX_BARS - 1 };
      var zoom = rows.length > MAX_BARS ? [
        Object.assign({ type: "slider", yAxisIndex: [0, 1], right: 4, width: 12, showDetail: false,
          brushSelect: false, fillerColor: "rgba(31,78,140,.15)" }, window_),
        Object.assign({ type: "inside", yAxisIndex: [0, 1], zoomOnMouseWheel: false,
          moveOnMouseWheel: true, moveOnMouseMove: false }, window_),
      ] : [];
      var category = {
        type: "category", inverse: true, triggerEvent: true, data: index,
        axisTick: { show: false }, axisLine: { show: false },
      };
      c.setOption({
        textStyle: { fontFamily: FONT },
        animationDuration: 300,
        grid: { left: 4, right: rows.length > MAX_BARS ? 24 : 4, top: 24, bottom: 22, containLabel: true },
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            var r = p.data.row;
            return r.name + "<br>排名：" + (r.rank || "—") + (metric.ranked_of ? " / " + metric.ranked_of : "") +
              "<br>实际 / 目标：" + num(r.actual) + " / " + num(r.target) +
              "<br>完成率：" + pct(r.completion) + (r.status_label ? "（" + r.status_label + "）" : "") +
              (r.forecast !== null ? "<br>预计年底：" + num(Math.round(r.forecast)) : "");
          },
        },
        xAxis: {
          type: "value", min: 0, max: Math.ceil(top / 10) * 10,
          axisLabel: { formatter: "{value}%", color: "#6b7785" },
          splitLine: { lineStyle: { color: "#eef1f6" } },
        },
        yAxis: [
          Object.assign({}, category, {
            axisLabel: { interval: 0, width: 92, overflow: "truncate", color: "#1f2933", fontSize: 13,
              formatter: function (i) { return rows[+i].label; } },
          }),
          Object.assign({}, category, {
            position: "right",
            axisLabel: { interval: 0, fontSize: 12, align: "left", rich: RICH,
              formatter: function (i) { return rowFigures(rows[+i], metric, data.self_only); } },
          }),
        ],
        dataZoom: zoom,
        series: [{
          type: "bar", barMaxWidth: 16, barMinHeight: 2, cursor: "pointer",
          data: rows.map(function (r, i) {
            return { value: +values[i].toFixed(1), row: r,
              itemStyle: { color: STATUS_COLORS[r.status] || NO_STATUS, borderRadius: [0, 3, 3, 0] } };
          }),
          markLine: expected === null ? undefined : {
            symbol: "none", silent: true,
            lineStyle: { color: BRAND, type: "dashed", width: 1.5 },
            label: { formatter: "序时进度 " + expected + "%", position: "start", color: BRAND, fontSize: 12 },
            data: [{ xAxis: expected }],
          },
        }],
      }, true);
    }

    function select(index) {
      Array.prototype.forEach.call(tabs.children, function (b, i) { b.setAttribute("aria-selected", String(i === index)); });
      render(data.metrics[index]);
    }
    data.metrics.forEach(function (metric, i) {
      var b = el("button", { type: "button", role: "tab", "aria-selected": "false", title: metric.header }, metric.name);
      b.addEventListener("click", function () { select(i); });
      tabs.appendChild(b);
    });
    c.on("click", function (p) { // a bar, or a unit's name or figures on either axis
      var row = p.data && p.data.row;
      if (!row && p.componentType === "yAxis") row = current.rows[+p.value];
      if (row && row.url) window.location.href = row.url;
    });
    select(0);
  }

  // --- quarterly trend -----------------------------------------------------------------------
  function drawTrend(data) {
    var node = document.getElementById("trend-chart");
    var picker = document.getElementById("trend-metric");
    var note = document.getElementById("trend-note");
    var c = chart(node);
    if (!c) return;
    data.metrics.forEach(function (m) { picker.appendChild(el("option", { value: m.code }, m.label)); });
    picker.value = "valid_hte";
    var colors = ["#9db7e0", BRAND];

    function render() {
      var metric = data.metrics.find(function (m) { return m.code === picker.value; }) || data.metrics[0];
      var empty = data.years.every(function (y) {
        return metric.series[String(y)].every(function (v) { return v === null; });
      });
      c.setOption({
        graphic: empty ? [{ type: "text", left: "center", top: "middle",
          style: { text: "这两年的季度末还没有快照", fill: "#6b7785", fontSize: 14 } }] : [],
        textStyle: { fontFamily: FONT },
        color: colors,
        grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
        legend: { top: 4, data: data.years.map(function (y) { return y + "年"; }) },
        tooltip: {
          trigger: "axis",
          valueFormatter: function (v) { return v === null || v === undefined ? "无快照" : num(v); },
        },
        xAxis: { type: "category", data: data.labels, axisLabel: { color: "#1f2933" } },
        yAxis: { type: "value", minInterval: 1, axisLabel: { color: "#6b7785" }, splitLine: { lineStyle: { color: "#eef1f6" } } },
        series: data.years.map(function (y, i) {
          return {
            name: y + "年", type: "line", connectNulls: false, symbolSize: 7,
            lineStyle: { width: i === data.years.length - 1 ? 3 : 2, type: i === data.years.length - 1 ? "solid" : "dashed" },
            // last year's figures below its line, this year's above: close values do not collide
            label: { show: true, position: i === data.years.length - 1 ? "top" : "bottom", fontSize: 11,
              formatter: function (p) { return num(p.value); } },
            data: metric.series[String(y)],
          };
        }),
      }, true);
    }
    picker.addEventListener("change", render);
    render();
    var text = "各季度末的值来自每晚 01:30 生成的指标快照" + (data.latest ? "（最近一次：" + data.latest + "）" : "") + "。";
    if (data.missing.length) {
      text += "以下季度末还没有快照：" + data.missing.join("、") +
        "，图中断开处即此；请系统管理员运行 manage.py backfill_snapshots --year " + data.years.join(" --year ") + " 补录。";
    }
    note.textContent = text;
  }

  // --- funnel --------------------------------------------------------------------------------
  function drawFunnel(data) {
    var c = chart(document.getElementById("funnel-chart"));
    if (!c) return; // no chart when the year has no ladder records (the page says so)
    // Renewals are listed beside the funnel (not pool graduates): only its own steps draw.
    var steps = data.steps.filter(function (s) { return s.kind === "funnel"; });
    c.setOption({
      textStyle: { fontFamily: FONT },
      color: ["#9db7e0", "#5f8fd0", "#2f68b4", BRAND],
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var step = steps[p.dataIndex];
          return step.label + "：" + num(step.count) + " 家" + (step.rate === null ? "" : "<br>为上一环节的 " + pct(step.rate));
        },
      },
      series: [{
        type: "funnel", sort: "none", left: "6%", right: "6%", top: 8, bottom: 8, minSize: "30%", gap: 3, cursor: "pointer",
        label: { position: "inside", color: "#fff", fontSize: 12, formatter: function (p) { return p.name + "  " + num(p.value); } },
        data: steps.map(function (s) { return { name: s.label, value: s.count }; }),
      }],
    });
    c.on("click", function (p) { window.location.href = steps[p.dataIndex].url; });
  }

  // --- closest to passing --------------------------------------------------------------------
  function fillClosest(data) {
    var body = document.getElementById("closest-body");
    if (!data.rows.length) {
      body.replaceChildren(el("tr", {}));
      body.firstChild.appendChild(el("td", { colspan: "6", class: "muted" },
        "培育库中没有尚未认定的在库企业（" + year + "年）。"));
      return;
    }
    body.replaceChildren();
    var grouped = false;
    data.rows.forEach(function (r, i) {
      if (r.undecided && !grouped) {  // the same groups as the pre-diagnosis list
        grouped = true;
        var head = el("tr", { class: "group-row" });
        head.appendChild(el("td", { colspan: "6" }, "无法判断（缺少数据，补齐后才能排名）"));
        body.appendChild(head);
      }
      var tr = el("tr", { class: "dash-row", "data-href": r.url });
      tr.appendChild(el("td", { class: "num" }, String(i + 1)));
      var name = el("td");
      name.appendChild(el("a", { href: r.url }, r.name));
      tr.appendChild(name);
      tr.appendChild(el("td", {}, r.town));
      var verdict = el("td");
      verdict.appendChild(el("span", { class: "status-" + r.verdict }, r.summary));
      tr.appendChild(verdict);
      var gaps = [];
      if (r.failing.length) gaps.push("不符合：" + r.failing.join("、"));
      if (r.unknown.length) {
        gaps.push("无法判断：" + r.unknown.slice(0, 2).join("、") +
          (r.unknown.length > 2 ? " 等 " + r.unknown.length + " 项" : ""));
      }
      var full = r.failing.map(function (t) { return "不符合：" + t; })
        .concat(r.unknown.map(function (t) { return "无法判断：" + t; })).join("\n");
      tr.appendChild(el("td", { class: "dash-failing", title: full }, gaps.join("；") || "—"));
      tr.appendChild(el("td", { class: "num" }, num(r.score)));
      tr.addEventListener("click", function (e) { if (!e.target.closest("a")) window.location.href = r.url; });
      body.appendChild(tr);
    });
    body.parentNode.parentNode.insertAdjacentElement("afterend", el("p", { class: "muted small dash-note" },
      "共 " + num(data.candidates) + " 家在库未认定企业参与排序，显示前 " + data.rows.length + " 家；点击企业查看逐项预诊断。"));
  }

  getJSON(endpoints.ranking).then(drawRanking).catch(function () { failed(document.getElementById("ranking-chart"), "排名图"); });
  getJSON(endpoints.trend).then(drawTrend).catch(function () { failed(document.getElementById("trend-chart"), "趋势图"); });
  getJSON(endpoints.funnel).then(drawFunnel).catch(function () { failed(document.getElementById("funnel-chart"), "漏斗图"); });
  getJSON(endpoints.closest).then(fillClosest).catch(function () {
    var body = document.getElementById("closest-body");
    body.replaceChildren(el("tr"));
    body.firstChild.appendChild(el("td", { colspan: "6", class: "status-bad" }, "预诊断加载失败，请刷新页面重试；仍失败请联系系统管理员。"));
  });
})();
