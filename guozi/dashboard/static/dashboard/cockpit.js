/* The cockpit: each card's data comes from its own endpoint (the page's query string kept), is
   drawn with ECharts from the option the server built (Okabe–Ito colours), and is one click
   away as a table. On the big screen (?screen=wall) the cards are dark and refresh by
   themselves. */
(function () {
  "use strict";
  var root = document.getElementById("cockpit");
  if (!root) { return; }
  var base = root.dataset.cards;
  var query = root.dataset.query;
  var wall = root.classList.contains("wall");
  var charts = {};

  function element(tag, text, attributes) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    Object.keys(attributes || {}).forEach(function (key) {
      if (attributes[key]) { node.setAttribute(key, attributes[key]); }
    });
    return node;
  }

  function table(data) {
    var numeric = {};
    data.numeric.forEach(function (index) { numeric[index] = true; });
    var result = element("table", null, { "class": "table dense figures" });
    var head = result.createTHead().insertRow();
    data.headers.forEach(function (header, index) {
      head.appendChild(element("th", header, { scope: "col", "class": numeric[index] ? "num" : "" }));
    });
    var body = result.createTBody();
    if (!data.rows.length) {
      var empty = body.insertRow().insertCell();
      empty.colSpan = Math.max(data.headers.length, 1);
      empty.textContent = root.dataset.labelEmpty;
    }
    data.rows.forEach(function (row) {
      var line = body.insertRow();
      row.forEach(function (cell, index) {
        var td = line.insertCell();
        td.className = (numeric[index] ? "num " : "") + (cell.css || "");
        if (cell.title) { td.title = cell.title; }
        var content = cell.link ? element("a", cell.text, { href: cell.link }) : document.createTextNode(cell.text);
        td.appendChild(content);
      });
    });
    return result;
  }

  function draw(section, data) {
    section.querySelector(".notes").textContent = data.notes.join(" · ");
    var numbers = section.querySelector(".numbers");
    numbers.replaceChildren(table(data.table));
    var links = section.querySelector(".links");
    links.replaceChildren();
    data.links.forEach(function (link) {
      links.appendChild(element("a", link.label + " ›", { href: link.url }));
      links.appendChild(document.createTextNode(" "));
    });
    var holder = section.querySelector(".chart");
    var hasChart = data.option && typeof echarts !== "undefined" && data.table.rows.length;
    if (!hasChart) {
      holder.hidden = true;
      numbers.hidden = false;
      return;
    }
    holder.hidden = false;
    var chart = charts[data.key];
    if (!chart) {
      chart = echarts.init(holder, wall ? "dark" : null, { renderer: "svg" });
      charts[data.key] = chart;
    }
    if (wall) { data.option.backgroundColor = "transparent"; }
    chart.setOption(data.option, true);
  }

  function load(section) {
    var key = section.dataset.card;
    section.setAttribute("aria-busy", "true");
    fetch(base + key + "/?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) { draw(section, data); })
      .catch(function () {
        section.querySelector(".notes").textContent = root.dataset.labelFailed;
      })
      .finally(function () { section.setAttribute("aria-busy", "false"); });
  }

  var sections = Array.prototype.slice.call(root.querySelectorAll("[data-card]"));
  sections.forEach(function (section) {
    var button = section.querySelector(".toggle");
    button.addEventListener("click", function () {
      var numbers = section.querySelector(".numbers");
      var holder = section.querySelector(".chart");
      var showTable = numbers.hidden;
      numbers.hidden = !showTable;
      holder.hidden = showTable;
      button.setAttribute("aria-pressed", showTable ? "true" : "false");
      button.textContent = showTable ? root.dataset.labelChart : root.dataset.labelTable;
      if (!showTable && charts[section.dataset.card]) { charts[section.dataset.card].resize(); }
    });
    load(section);
  });
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (key) { charts[key].resize(); });
  });
  var refresh = parseInt(root.dataset.refresh || "0", 10);
  if (refresh > 0) {
    window.setInterval(function () { sections.forEach(load); }, refresh * 1000);
  }
})();
