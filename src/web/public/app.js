// Progressive enhancement only: every page works without this file.
'use strict';
document.documentElement.classList.add('js');
(function () {
  // Menu: open on wide screens, folded on phones (the <details> works without this file too).
  var menu = document.querySelector('details[data-menu]');
  if (menu && window.matchMedia) {
    var narrow = window.matchMedia('(max-width: 600px)');
    var fit = function () { menu.open = !narrow.matches; };
    fit();
    if (narrow.addEventListener) narrow.addEventListener('change', fit);
  }

  // Household form: reveal one more (server-rendered, hidden) member row.
  document.querySelectorAll('[data-add-member]').forEach(function (btn) {
    var form = btn.form || document;
    var more = function () { return form.querySelector('[data-member-row][hidden]'); };
    if (!more()) btn.disabled = true;
    btn.addEventListener('click', function () {
      var row = more();
      if (!row) { btn.disabled = true; return; }
      row.hidden = false;
      row.querySelectorAll('input, select, textarea').forEach(function (el) { el.disabled = false; });
      var first = row.querySelector('input, select, textarea');
      if (first) first.focus();
      if (!more()) btn.disabled = true;
    });
  });

  // Report verification: hash the chosen PDF in the browser (never uploaded), then look the hash up.
  document.querySelectorAll('input[data-hash-into]').forEach(function (input) {
    var form = input.form;
    input.addEventListener('change', function () {
      var file = input.files && input.files[0];
      var target = document.getElementById(input.getAttribute('data-hash-into'));
      if (!file || !target) return;
      if (!(window.crypto && crypto.subtle)) { target.focus(); return; }
      file.arrayBuffer().then(function (buf) { return crypto.subtle.digest('SHA-256', buf); }).then(function (digest) {
        target.value = Array.from(new Uint8Array(digest)).map(function (b) { return b.toString(16).padStart(2, '0'); }).join('');
        input.disabled = true; // the file itself is never sent
        form.submit();
      });
    });
    form.addEventListener('submit', function () { input.disabled = true; });
  });

  // Manual journal entry: add lines, show debit/credit totals per fund live, refuse to post until balanced.
  var jf = document.querySelector('[data-journal-form]');
  if (jf) {
    var lines = jf.querySelector('[data-lines]');
    var out = jf.querySelector('[data-totals]');
    var post = jf.querySelector('[data-post]');
    var cents = function (v) { v = (v || '').trim(); if (!/^\d{1,13}(\.\d{1,2})?$/.test(v)) return v === '' ? 0 : NaN; var p = v.split('.'); return Number(p[0]) * 100 + Number(((p[1] || '') + '00').slice(0, 2)); };
    var fmt = function (c) { return (c / 100).toFixed(2); };
    var recompute = function () {
      var perFund = {}; var bad = false; var any = false;
      lines.querySelectorAll('[data-line]').forEach(function (row) {
        if (row.hidden) return;
        var fund = row.querySelector('[data-f="fund"]').value;
        var d = cents(row.querySelector('[data-f="debit"]').value), c = cents(row.querySelector('[data-f="credit"]').value);
        if (isNaN(d) || isNaN(c)) { bad = true; return; }
        if (!fund || (d === 0 && c === 0)) return;
        any = true;
        perFund[fund] = perFund[fund] || { d: 0, c: 0 };
        perFund[fund].d += d; perFund[fund].c += c;
      });
      var balanced = any && !bad;
      out.textContent = '';
      Object.keys(perFund).forEach(function (f) {
        var t = perFund[f]; var ok = t.d === t.c; if (!ok) balanced = false;
        var li = document.createElement('li');
        li.className = ok ? 'good' : 'bad';
        li.textContent = f + ': ' + fmt(t.d) + ' / ' + fmt(t.c) + (ok ? ' ✓' : ' ≠ (' + fmt(Math.abs(t.d - t.c)) + ')');
        out.appendChild(li);
      });
      post.disabled = !balanced;
      jf.setAttribute('data-balanced', balanced ? 'yes' : 'no');
    };
    lines.addEventListener('input', recompute);
    lines.addEventListener('change', recompute);
    var add = jf.querySelector('[data-add-line]');
    if (add) add.addEventListener('click', function () {
      var row = lines.querySelector('[data-line][hidden]');
      if (!row) { add.disabled = true; return; }
      row.hidden = false; row.querySelector('select, input').focus(); recompute();
      if (!lines.querySelector('[data-line][hidden]')) add.disabled = true;
    });
    recompute();
  }

  // A table wider than the screen scrolls inside its box: keyboard users can then focus and scroll it.
  var wraps = document.querySelectorAll('.table-wrap');
  var scrollable = function () {
    wraps.forEach(function (w) {
      if (w.scrollWidth > w.clientWidth + 1) {
        if (!w.hasAttribute('tabindex')) {
          w.setAttribute('tabindex', '0');
          w.setAttribute('role', 'region');
          var cap = w.querySelector('caption');
          w.setAttribute('aria-label', cap ? cap.textContent : (document.documentElement.lang === 'en' ? 'Table' : '表格'));
        }
      } else if (w.getAttribute('role') === 'region') {
        w.removeAttribute('tabindex'); w.removeAttribute('role'); w.removeAttribute('aria-label');
      }
    });
  };
  if (wraps.length) { scrollable(); window.addEventListener('resize', scrollable); }

  // Reconciliation: live difference of the lines ticked for a manual match.
  var mf = document.querySelector('[data-match-form]');
  if (mf) {
    var show = mf.querySelector('[data-selected-diff]');
    var upd = function () {
      var s = 0;
      mf.querySelectorAll('input[type=checkbox]:checked').forEach(function (cb) { s += Math.round(Number(cb.getAttribute('data-amount')) * 100) * (cb.name === 'ledgerLineIds' ? -1 : 1); });
      show.textContent = (s / 100).toFixed(2);
    };
    mf.addEventListener('change', upd); upd();
  }
})();

// Bank statement upload: read the chosen file into the content field. Chinese banks often export GBK:
// a file that is not valid UTF-8 is decoded as GB18030 (a superset of GBK) in the browser. A spreadsheet
// (.xls/.xlsx, or bytes that are one) is sent as it is, base64 in a hidden field, and the format follows.
document.querySelectorAll('input[data-read-into]').forEach(function (input) {
  input.addEventListener('change', function () {
    var file = input.files && input.files[0];
    var target = document.getElementById(input.getAttribute('data-read-into'));
    var b64 = document.getElementById(input.getAttribute('data-read-base64-into') || '');
    if (!file || !target) return;
    file.arrayBuffer().then(function (buf) {
      var bytes = new Uint8Array(buf);
      var ole = bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0;
      var zip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
      if (b64 && (ole || zip || /\.xlsx?$/i.test(file.name))) {
        var bin = '';
        for (var i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
        b64.value = btoa(bin);
        target.value = '';
        var fmt = input.form && input.form.querySelector('select[name=format]');
        if (fmt) fmt.value = zip || /\.xlsx$/i.test(file.name) ? 'xlsx' : 'xls';
        return;
      }
      if (b64) b64.value = '';
      var text;
      if (bytes[0] === 0xff && bytes[1] === 0xfe) text = new TextDecoder('utf-16le').decode(buf);
      else if (bytes[0] === 0xfe && bytes[1] === 0xff) text = new TextDecoder('utf-16be').decode(buf);
      else try { text = new TextDecoder('utf-8', { fatal: true }).decode(buf); } catch (e) { text = new TextDecoder('gb18030').decode(buf); }
      target.value = text.replace(/^\uFEFF/, '');
    });
  });
  if (input.form) input.form.addEventListener('submit', function () { input.disabled = true; });
});
