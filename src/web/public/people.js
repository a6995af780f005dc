// Progressive enhancement only: the household picker of /cases/new works as a plain GET form without this.
'use strict';
(function () {
  document.querySelectorAll('input[data-hh-search]').forEach(function (input) {
    var url = input.getAttribute('data-hh-search');
    var list = document.querySelector('[data-hh-results]');
    if (!url || !list) return;
    var timer = null;
    var seq = 0;
    var render = function (items) {
      list.textContent = '';
      items.forEach(function (h) {
        var li = document.createElement('li');
        var a = document.createElement('a');
        a.href = h.href;
        a.textContent = h.headName;
        li.appendChild(a);
        li.appendChild(document.createTextNode(' · ' + h.district + ' · ' + h.status + ' · ¥' + h.perCapitaIncome));
        list.appendChild(li);
      });
    };
    input.addEventListener('input', function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { render([]); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(url + '?q=' + encodeURIComponent(q), { credentials: 'same-origin', headers: { accept: 'application/json' } })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (body) { if (mine === seq) render(body.items || []); })
          .catch(function () { /* the search button still works */ });
      }, 250);
    });
  });
})();
