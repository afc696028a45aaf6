// The review page's only script (allowed by its hash in the page's
// Content-Security-Policy): filters, text search, and feedback.csv.
(function () {
  'use strict';
  var items = Array.prototype.slice.call(document.querySelectorAll('article.item'));
  var groups = Array.prototype.slice.call(document.querySelectorAll('section.queue-group'));
  var byQueue = document.getElementById('f-queue');
  var byCategory = document.getElementById('f-category');
  var byCustomer = document.getElementById('f-customer');
  var search = document.getElementById('f-search');
  var haystacks = items.map(function (item) {
    return Array.prototype.map.call(item.querySelectorAll('[data-search]'), function (e) {
      return e.textContent;
    }).join(' ').toLowerCase();
  });

  function apply() {
    var queue = byQueue.value, category = byCategory.value, customer = byCustomer.value;
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (item, i) {
      var ok = (!queue || item.dataset.queue === queue) &&
        (!category || item.dataset.categories.split(' ').indexOf(category) >= 0) &&
        (!customer || item.dataset.customer === customer) &&
        words.every(function (w) { return haystacks[i].indexOf(w) >= 0; });
      item.hidden = !ok;
      if (ok) { shown += 1; }
    });
    groups.forEach(function (g) {
      g.hidden = !g.querySelector('article.item:not([hidden])') && (queue !== '' || category !== '' || customer !== '' || words.length > 0);
    });
    document.getElementById('shown-count').textContent = String(shown);
  }
  [byQueue, byCategory, byCustomer].forEach(function (e) { e.addEventListener('change', apply); });
  search.addEventListener('input', apply);

  function field(v) {
    return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  // One row per item with a verdict: id, verdict, category, note, and the
  // source id and the categories flagged tonight, for `triage eval --feedback`.
  function feedbackCsv() {
    var rows = ['id,verdict,category,note,source,flagged'];
    items.forEach(function (item) {
      var verdict = item.querySelector('.fb-verdict').value;
      if (!verdict) { return; }
      rows.push([item.dataset.id, verdict, item.querySelector('.fb-category').value,
        item.querySelector('.fb-note').value, item.dataset.source,
        item.dataset.categories.split(' ').filter(Boolean).join(';')].map(field).join(','));
    });
    return rows.join('\r\n') + '\r\n';
  }
  window.triageFeedbackCsv = feedbackCsv;
  function countVerdicts() {
    document.getElementById('feedback-count').textContent = String(items.filter(function (item) {
      return item.querySelector('.fb-verdict').value;
    }).length);
  }
  items.forEach(function (item) {
    item.querySelector('.fb-verdict').addEventListener('change', countVerdicts);
  });
  document.getElementById('download-feedback').addEventListener('click', function () {
    var link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([feedbackCsv()], { type: 'text/csv' }));
    link.download = 'feedback.csv';
    document.body.appendChild(link);
    link.click();
    link.remove();
  });
  apply();
})();
