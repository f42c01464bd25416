// Nothing typed is lost on pages with several forms (a meeting's agreements beside its
// minutes, an itinerary's goals and actions). The pages work without this script; with
// it, sending one form keeps what was typed into the others of the same page, puts it
// back after the page comes back, marks it and says it is not saved yet. Leaving a page
// with typed, unsent text asks first. The notice's words come from the page
// (`data-unsaved-kept` on <main>), never from here.
(function () {
  'use strict';
  var key = 'itinera.unsaved:' + location.pathname;
  var store = null;
  try { store = window.sessionStorage; } catch (e) { store = null; }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (e) {
      return e.name && e.name !== 'csrf' && e.type !== 'hidden' && e.type !== 'submit' &&
        e.type !== 'button' && e.type !== 'password' && e.type !== 'file' && !e.disabled;
    });
  }
  function changed(e) {
    if (e.type === 'checkbox' || e.type === 'radio') { return e.checked !== e.defaultChecked; }
    if (e.tagName === 'SELECT') {
      return Array.prototype.some.call(e.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return e.value !== e.defaultValue;
  }
  var forms = Array.prototype.filter.call(document.forms, function (f) {
    return (f.getAttribute('method') || '').toLowerCase() === 'post';
  });
  function formOf(action) {
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].getAttribute('action') === action) { return forms[i]; }
    }
    return null;
  }
  var sending = false;
  forms.forEach(function (f) {
    f.addEventListener('submit', function () {
      sending = true;
      if (!store) { return; }
      var kept = [];
      forms.forEach(function (g) {
        if (g === f) { return; }
        fields(g).forEach(function (e, i) {
          if (changed(e)) {
            kept.push({ form: g.getAttribute('action'), name: e.name, index: i, value: e.value, checked: e.checked });
          }
        });
      });
      try {
        if (kept.length) { store.setItem(key, JSON.stringify(kept)); } else { store.removeItem(key); }
      } catch (err) { /* full or forbidden: the page warns on leaving instead */ }
    });
  });

  if (store) {
    var raw = null;
    try { raw = store.getItem(key); store.removeItem(key); } catch (err) { raw = null; }
    var restored = 0;
    if (raw) {
      var kept = [];
      try { kept = JSON.parse(raw) || []; } catch (err) { kept = []; }
      kept.forEach(function (k) {
        var g = formOf(k.form);
        if (!g) { return; }
        var e = fields(g)[k.index];
        if (!e || e.name !== k.name || changed(e)) { return; }
        if (e.type === 'checkbox' || e.type === 'radio') { e.checked = k.checked; } else { e.value = k.value; }
        e.classList.add('unsaved');
        restored += 1;
      });
    }
    var main = document.getElementById('main');
    if (restored && main && main.getAttribute('data-unsaved-kept')) {
      var note = document.createElement('p');
      note.className = 'notice warning';
      note.setAttribute('role', 'status');
      note.textContent = main.getAttribute('data-unsaved-kept');
      main.insertBefore(note, main.firstChild);
    }
  }

  window.addEventListener('beforeunload', function (ev) {
    if (sending) { return; }
    var dirty = forms.some(function (f) { return fields(f).some(changed); });
    if (dirty) { ev.preventDefault(); ev.returnValue = ''; }
  });
}());
