// Live updates for open pages: listens to /events/ (server-sent events fed by libvirt events)
// and updates state badges, action buttons, list rows and provider cards in place.
// EventSource reconnects by itself and sends the last event id it had, so the panel replays what
// the page missed; a `reset` (the panel restarted, or the page was away too long) reloads the page,
// unless the user is typing into a form there. A banner says when the live connection is down.
(function () {
  'use strict';
  var source = document.body.getAttribute('data-live');
  if (!source || !window.EventSource) return;

  var statusBox = document.getElementById('live-status');
  var events = new EventSource(source);
  var downTimer = null;

  function showStatus(text) {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.hidden = !text;
  }
  events.addEventListener('open', function () {
    document.body.setAttribute('data-live-state', 'open');
    clearTimeout(downTimer);
    showStatus('');
  });
  events.addEventListener('error', function () {
    document.body.setAttribute('data-live-state', 'reconnecting');
    // Brief drops are normal (a proxy timeout, a restart): say something only if it lasts.
    clearTimeout(downTimer);
    downTimer = setTimeout(function () {
      if (events.readyState !== EventSource.OPEN) showStatus('Live updates are reconnecting… what you see may be out of date.');
    }, 4000);
  });

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }
  function attrSelector(name, value) {
    return '[' + name + '="' + String(value).replace(/["\\]/g, '\\$&') + '"]';
  }
  function setBadge(badge, cls, prefix, text) {
    if (badge.textContent === text) return;
    badge.className = badge.className
      .split(' ')
      .filter(function (c) {
        return c.indexOf(prefix) !== 0 && c !== 'changed';
      })
      .join(' ');
    badge.classList.add(cls);
    badge.textContent = text;
    void badge.offsetWidth; // restart the highlight animation
    badge.classList.add('changed');
  }
  function setText(root, field, text, unknownText) {
    var cell = root.querySelector('[data-field="' + field + '"]');
    if (!cell) return;
    if (text === '' || text === undefined || text === null) {
      cell.innerHTML = '';
      var span = document.createElement('span');
      span.className = 'unknown';
      span.textContent = unknownText;
      cell.appendChild(span);
    } else if (cell.tagName === 'A') {
      cell.textContent = text;
    } else if (cell.querySelector('.muted') && field === 'ip') {
      cell.firstChild.textContent = text + ' ';
    } else {
      cell.textContent = text;
    }
  }

  function updateMachine(m) {
    var key = m.provider + '/' + m.id;
    var found = false;
    each(attrSelector('data-machine', key), function (root) {
      found = true;
      var badge = root.querySelector('[data-state-badge]');
      if (badge) setBadge(badge, 'state-' + m.state, 'state-', m.state);
      setText(root, 'libvirtState', m.libvirtState, 'unknown');
      setText(root, 'ip', m.ip, 'unknown');
      if (root.hasAttribute('data-provider-row')) {
        setText(root, 'cpus', String(m.cpus), 'unknown');
        setText(root, 'memory', m.memory, 'unknown');
      }
      var actions = root.querySelectorAll('[data-action]');
      Array.prototype.forEach.call(actions, function (el) {
        el.hidden = m.actions.indexOf(el.getAttribute('data-action')) < 0;
      });
    });
    if (!found) addRow(m);
  }

  // A machine that appeared (created elsewhere) is added to an unfiltered machines list.
  function addRow(m) {
    var table = document.querySelector('[data-machine-table]');
    if (!table || table.hasAttribute('data-filtered')) return;
    var body = table.querySelector('[data-machine-rows]');
    var tr = document.createElement('tr');
    tr.setAttribute('data-machine', m.provider + '/' + m.id);
    tr.setAttribute('data-provider-row', m.provider);
    var cells = [
      ['Name', 'name'],
      ['State', null],
      ['IP', 'ip'],
      ['CPUs', 'cpus', 'num'],
      ['Memory', 'memory', 'num'],
      ['Plan', 'plan'],
      ['Image', 'image'],
      ['Provider', null],
    ];
    cells.forEach(function (c) {
      var td = document.createElement('td');
      td.setAttribute('data-label', c[0]);
      if (c[2]) td.className = c[2];
      if (c[0] === 'Name') {
        var a = document.createElement('a');
        a.href = m.url;
        a.textContent = m.name;
        a.setAttribute('data-field', 'name');
        td.appendChild(a);
      } else if (c[0] === 'State') {
        var badge = document.createElement('span');
        badge.className = 'badge state-' + m.state + ' changed';
        badge.setAttribute('data-state-badge', '');
        badge.textContent = m.state;
        td.appendChild(badge);
      } else if (c[0] === 'Provider') {
        td.textContent = m.provider;
      } else {
        var value = c[1] === 'cpus' ? String(m.cpus) : m[c[1]];
        td.setAttribute('data-field', c[1]);
        if (value) td.textContent = value;
        else {
          var u = document.createElement('span');
          u.className = 'unknown';
          u.textContent = c[1] === 'ip' ? 'unknown' : '—';
          td.appendChild(u);
        }
      }
      tr.appendChild(td);
    });
    body.appendChild(tr);
    updateCount();
  }

  function removeMachine(m) {
    each(attrSelector('data-machine', m.provider + '/' + m.id), function (root) {
      if (root.hasAttribute('data-machine-page')) {
        var notice = root.querySelector('[data-removed-notice]');
        if (notice) notice.hidden = false;
        each('[data-action]', function (el) {
          el.hidden = true;
        });
      } else {
        root.parentNode.removeChild(root);
      }
    });
    updateCount();
  }

  function updateCount() {
    var rows = document.querySelectorAll('[data-machine-rows] tr');
    var count = document.querySelector('[data-machine-count]');
    if (count) count.textContent = String(rows.length);
    var empty = document.querySelector('[data-machines-empty]');
    if (empty) empty.hidden = rows.length > 0;
  }

  // As the server writes them (server/http/pages/format.ts readableTime and timeAgo).
  function readableTime(iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? 'unknown' : date.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }
  function timeAgo(iso) {
    var seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (isNaN(seconds)) return 'unknown';
    if (seconds < 60) return seconds + ' s ago';
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes + ' min ago';
    var hours = Math.round(minutes / 60);
    if (hours < 48) return hours + ' h ago';
    return Math.round(hours / 24) + ' days ago';
  }

  function updateProvider(p) {
    var label = p.state === 'connected' ? 'connected' : p.state === 'connecting' ? 'connecting' : 'unavailable';
    each(attrSelector('data-provider-badge', p.name), function (badge) {
      setBadge(badge, 'provider-' + p.state, 'provider-', label);
    });
    each(attrSelector('data-provider', p.name), function (card) {
      card.classList.toggle('is-down', p.state !== 'connected');
      var problem = card.querySelector('[data-provider-problem]');
      if (!problem) return;
      problem.hidden = p.state === 'connected';
      var error = problem.querySelector('[data-provider-error]');
      if (error) error.textContent = p.error || (p.state === 'connecting' ? 'Connecting…' : 'Not connected.');
      var since = problem.querySelector('[data-provider-since]');
      if (since) {
        since.textContent = readableTime(p.since);
        since.setAttribute('datetime', p.since);
      }
      var ago = problem.querySelector('[data-provider-ago]');
      if (ago) ago.textContent = timeAgo(p.since);
    });
    each(attrSelector('data-provider-row', p.name), function (row) {
      row.classList.toggle('is-stale', p.state !== 'connected');
    });
  }

  function parse(handler) {
    return function (event) {
      try {
        handler(JSON.parse(event.data));
      } catch (err) {
        /* a malformed event is skipped */
      }
    };
  }
  var edited = false;
  document.addEventListener('input', function () {
    edited = true;
  });
  events.addEventListener('reset', function () {
    if (!edited) {
      window.location.reload();
      return;
    }
    showStatus('The panel restarted or was out of reach for a while: reload the page to see the current state.');
  });
  events.addEventListener('machine', parse(updateMachine));
  events.addEventListener('machine-removed', parse(removeMachine));
  events.addEventListener('provider', parse(updateProvider));
})();
