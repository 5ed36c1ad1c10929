// The site's only script: sorting and filtering on table pages, highlights on source pages. No network.
(function () {
  "use strict";

  function sortTable(table, index, numeric, th) {
    var body = table.tBodies[0];
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row.dataset.order = row.dataset.order || String(i); });
    rows.sort(function (a, b) {
      var x = a.cells[index].textContent, y = b.cells[index].textContent, c;
      if (numeric) {
        // Empty cells go last in either direction.
        if (x === "" || y === "") { c = (x === "") - (y === ""); return c || a.dataset.order - b.dataset.order; }
        c = parseFloat(x) - parseFloat(y);
      } else {
        c = x < y ? -1 : (x > y ? 1 : 0);
      }
      if (!ascending) { c = -c; }
      return c || a.dataset.order - b.dataset.order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function setUpTable(table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      th.querySelector("button").addEventListener("click", function () {
        sortTable(table, index, th.dataset.type === "number", th);
      });
    });
    var filter = document.getElementById("filter");
    var count = document.getElementById("count");
    var rows = table.tBodies[0].rows;
    filter.addEventListener("input", function () {
      var terms = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(rows, function (row) {
        var text = row.textContent.toLowerCase();
        var keep = terms.every(function (t) { return text.indexOf(t) >= 0; });
        row.hidden = !keep;
        shown += keep ? 1 : 0;
      });
      count.textContent = shown + " of " + rows.length + " rows";
    });
    function showRow() {
      Array.prototype.forEach.call(table.querySelectorAll("tr.current"), function (r) { r.classList.remove("current"); });
      var id = decodeURIComponent(location.hash.slice(1));
      var row = id.indexOf("row-") === 0 ? document.getElementById(id) : null;
      if (row) { row.hidden = false; row.classList.add("current"); row.scrollIntoView({ block: "center" }); }
    }
    window.addEventListener("hashchange", showRow);
    // Again once loaded: the browser's own jump to the fragment comes after this script has run.
    window.addEventListener("load", showRow);
    showRow();
  }

  function inView(element) {
    var r = element.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight;
  }

  function setUpText(text) {
    var panel = document.getElementById("panel");
    var list = panel.querySelector("ul");
    var hint = panel.querySelector(".hint");
    var current = document.getElementById("current");
    var marks = Array.prototype.slice.call(text.querySelectorAll("a.q"));
    function split(ref) {
      var parts = ref.split(":");
      return { table: parts[0], key: parts.slice(1).join(":") };
    }
    function rowLink(ref) {
      var row = split(ref);
      var a = document.createElement("a");
      a.href = "../tables/" + row.table + ".html#row-" + encodeURIComponent(row.key);
      a.textContent = row.table + " " + row.key;
      return a;
    }
    // What a row says (its statement, summary, description or name), from the list of quotes under the text.
    function words(ref) {
      var row = split(ref), entry = document.getElementById("list-" + row.table + "-" + row.key);
      var label = entry && entry.querySelector(".label");
      return label ? label.textContent : "";
    }
    function showQuote() {
      marks.forEach(function (m) { m.classList.remove("current"); });
      var id = decodeURIComponent(location.hash.slice(1));
      if (id.indexOf("q-") !== 0) { current.textContent = ""; return; }
      var rest = id.slice(2), cut = rest.indexOf("-"), ref = rest.slice(0, cut) + ":" + rest.slice(cut + 1);
      var hits = marks.filter(function (m) { return m.dataset.rows.split(" ").indexOf(ref) >= 0; });
      hits.forEach(function (m) { m.classList.add("current"); });
      if (hits.length) {
        var said = words(ref), row = split(ref);
        current.textContent = "Showing the quote of " + (said ? "\u201c" + said + "\u201d (" + row.table + ")" : row.table + " " + row.key) + ".";
        // The page's head stays in view when the quote is on the first screen; otherwise the quote is centred
        // (also when the browser's own jump to the fragment left it against the top edge).
        var r = hits[0].getBoundingClientRect();
        if (r.bottom + window.scrollY <= window.innerHeight - 16) {
          window.scrollTo(0, 0);
        } else if (!inView(hits[0]) || r.top < 40) {
          hits[0].scrollIntoView({ block: "center" });
        }
      }
    }
    marks.forEach(function (m) {
      m.addEventListener("click", function (event) {
        event.preventDefault();
        list.textContent = "";
        m.dataset.rows.split(" ").forEach(function (ref) {
          var li = document.createElement("li");
          li.appendChild(rowLink(ref));
          var said = words(ref);
          if (said) { li.appendChild(document.createTextNode(": " + said)); }
          list.appendChild(li);
        });
        hint.hidden = true;
        // On a narrow screen the panel is above the text: bring it into view, with a way back to the passage.
        if (!inView(panel)) {
          panel.scrollIntoView({ block: "nearest" });
          var li = document.createElement("li"), back = document.createElement("a");
          back.href = m.getAttribute("href");
          back.className = "back";
          back.textContent = "back to the passage";
          back.addEventListener("click", function (e) { e.preventDefault(); m.scrollIntoView({ block: "center" }); m.focus(); });
          li.appendChild(back);
          list.appendChild(li);
        }
      });
    });
    window.addEventListener("hashchange", showQuote);
    window.addEventListener("load", showQuote);
    showQuote();
  }

  var table = document.querySelector("table#rows");  // a document heading may have the id "rows" too
  if (table) { setUpTable(table); }
  var text = document.querySelector("div#text");
  if (text) { setUpText(text); }
})();
