// bspgraph's live onboarding board, plain JavaScript with the vendored graphql-ws client
// (global `graphqlWs`). It loads every invitation once over HTTP, then follows the
// `statusChanged` subscription. When the socket drops it subscribes again with `after`
// set to the last cursor it saw, so the server replays whatever happened meanwhile.
(function () {
  'use strict';

  var TOKEN_KEY = 'bspgraph.board.token';
  var PROVIDERS = ['ZAVU', 'SENDZEN', 'SINCH'];
  var STATUS_ORDER = ['AWAITING_ACTION', 'IN_PROGRESS', 'PENDING', 'COMPLETED', 'FAILED', 'EXPIRED', 'CANCELLED'];
  var PAGE_SIZE = 100;
  var MAX_PAGES = 20;
  var SENDER = 'id phoneNumber displayName status';
  var WABA = 'id wabaId name status';
  var OWNER = 'client { id }';
  var INVITATION = 'id provider flow status providerStatus failureReason updatedAt ' +
    'client { id name externalId } sender { ' + SENDER + ' } waba { ' + WABA + ' }';
  var LIST = 'query BoardInvitations($first: Int, $after: String) { invitations(first: $first, after: $after) ' +
    '{ edges { node { ' + INVITATION + ' } } pageInfo { hasNextPage endCursor } } }';
  var FOLLOW = 'subscription BoardChanges($after: String) { statusChanged(after: $after) { cursor at provider ' +
    'source field previousStatus status node { __typename id ... on Invitation { ' + INVITATION + ' } ' +
    '... on Sender { ' + SENDER + ' ' + OWNER + ' } ... on Waba { ' + WABA + ' ' + OWNER + ' } } } }';
  var OF_CLIENT = 'query BoardClient($client: ID!) { invitations(first: ' + PAGE_SIZE + ', filter: { clientId: $client }) ' +
    '{ edges { node { ' + INVITATION + ' } } } }';

  var rows = new Map();      // invitation id -> invitation
  var changed = new Set();   // ids to highlight on the next render
  var lastCursor = null;     // the last statusChanged cursor seen
  var client = null;         // graphql-ws client for the current token
  var stopFollowing = null;  // unsubscribes the current subscription
  var retryDelay = 1000;
  var generation = 0;        // bumps on token change; stale callbacks ignore themselves

  var $ = function (id) { return document.getElementById(id); };

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    });
    return node;
  }

  function setConnection(state, text) {
    var badge = $('connection');
    badge.dataset.state = state;
    badge.textContent = text;
  }

  function notice(kind, text) {
    var box = $('notice');
    box.hidden = !text;
    box.dataset.kind = kind || '';
    box.textContent = text || '';
  }

  function needToken(text) {
    notice('auth', text + ' Paste an operator API key (bspg_…) or a client token (bspc_…) above.');
    setConnection('refused', 'not signed in');
    rows.clear();
    $('board').replaceChildren(el('p', { class: 'empty' }, ['Sign in to see the invitations.']));
    $('token').focus();
  }

  // ---- HTTP ----

  function query(text, variables) {
    var headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (token()) headers.Authorization = 'Bearer ' + token();
    return fetch('/graphql', { method: 'POST', headers: headers, body: JSON.stringify({ query: text, variables: variables }) })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (body) {
          if (resp.status === 401) throw { auth: true, message: 'This server requires authentication.' };
          var errors = body.errors || [];
          if (errors.length) throw { message: errors.map(function (e) { return e.message; }).join('; ') };
          if (!resp.ok) throw { message: 'HTTP ' + resp.status };
          return body.data;
        });
      });
  }

  function loadAll(mine) {
    var page = 0;
    var fresh = new Map();
    function next(after) {
      return query(LIST, { first: PAGE_SIZE, after: after }).then(function (data) {
        if (mine !== generation) return;
        data.invitations.edges.forEach(function (e) { fresh.set(e.node.id, e.node); });
        page += 1;
        var info = data.invitations.pageInfo;
        if (info.hasNextPage && page < MAX_PAGES) return next(info.endCursor);
        if (info.hasNextPage) notice('', 'Showing the first ' + fresh.size + ' invitations.');
      });
    }
    return next(null).then(function () {
      if (mine !== generation) return;
      // Rows an event already brought in are at least as fresh as the snapshot.
      fresh.forEach(function (inv) { upsert(inv, false); });
      render();
    });
  }

  // ---- applying changes ----

  function newer(a, b) { return !b || new Date(a.updatedAt) >= new Date(b.updatedAt); }

  function upsert(inv, highlight) {
    var old = rows.get(inv.id);
    if (!newer(inv, old)) return;
    rows.set(inv.id, inv);
    if (highlight) changed.add(inv.id);
  }

  // A sender or WABA changed: patch the rows showing it, or, when none does yet (it was
  // just linked), re-read its client's invitations.
  function patchNested(field, node) {
    var shown = false;
    rows.forEach(function (inv) {
      if (inv[field] && inv[field].id === node.id) {
        inv[field] = Object.assign({}, inv[field], node);
        changed.add(inv.id);
        shown = true;
      }
    });
    if (!shown && node.client) reloadClient(node.client.id, node.id, generation);
  }

  function reloadClient(clientId, nodeId, mine) {
    query(OF_CLIENT, { client: clientId }).then(function (data) {
      if (mine !== generation) return;
      data.invitations.edges.forEach(function (e) {
        var inv = e.node;
        upsert(inv, (inv.sender && inv.sender.id === nodeId) || (inv.waba && inv.waba.id === nodeId));
      });
      render();
    }).catch(function (e) { if (mine === generation) failed(e); });
  }

  function apply(event) {
    lastCursor = event.cursor;
    var node = event.node;
    if (node.__typename === 'Invitation') upsert(node, true);
    if (node.__typename === 'Sender') patchNested('sender', node);
    if (node.__typename === 'Waba') patchNested('waba', node);
    $('last-event').textContent = 'Last change: ' + node.__typename + ' ' + (event.previousStatus || '∅') +
      ' → ' + event.status + ' (' + event.provider + ', ' + event.source.toLowerCase() + ') at ' +
      new Date(event.at).toLocaleTimeString() + '.';
    render();
  }

  // ---- the subscription ----

  function connectionParams() { return token() ? { Authorization: 'Bearer ' + token() } : {}; }

  function follow(mine) {
    var resumeFrom = lastCursor;
    var fromScratch = resumeFrom === null;
    setConnection(fromScratch ? 'connecting' : 'reconnecting', fromScratch ? 'connecting…' : 'resuming…');
    stopFollowing = client.subscribe({ query: FOLLOW, variables: { after: resumeFrom } }, {
      next: function (msg) {
        if (mine !== generation) return;
        if (msg.errors && msg.errors.length) return notice('', msg.errors[0].message);
        retryDelay = 1000;
        apply(msg.data.statusChanged);
      },
      error: function (err) { if (mine === generation) dropped(mine, err); },
      complete: function () { if (mine === generation) dropped(mine, null); }
    });
    // Nothing seen yet to resume from: (re)load the list after subscribing, so a change
    // between the two is in one or the other.
    if (fromScratch) {
      loadAll(mine).catch(function (e) { if (mine === generation) failed(e); });
    }
  }

  function dropped(mine, err) {
    var code = err && err.code;
    if (code === 4403 || code === 4401) return needToken('The server refused this socket.');
    if (Array.isArray(err)) {
      var badCursor = err.some(function (e) { return e.extensions && e.extensions.code === 'BAD_CURSOR'; });
      if (!badCursor) return notice('', 'The subscription was refused: ' + err.map(function (e) { return e.message; }).join('; '));
      lastCursor = null; // not from this server (e.g. a new database): start over
    }
    setConnection('reconnecting', 'reconnecting in ' + Math.round(retryDelay / 1000) + ' s…');
    setTimeout(function () { if (mine === generation) follow(mine); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  }

  function failed(e) {
    if (e && e.auth) return needToken(e.message);
    notice('', 'Could not load the invitations: ' + (e && e.message ? e.message : e));
  }

  function start() {
    generation += 1;
    var mine = generation;
    if (stopFollowing) stopFollowing();
    if (client) client.dispose();
    rows.clear();
    lastCursor = null;
    retryDelay = 1000;
    if (mine > 1) render();
    client = graphqlWs.createClient({
      url: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws',
      connectionParams: connectionParams,
      lazy: true,
      retryAttempts: 0,
      on: {
        connected: function () {
          if (mine !== generation) return;
          retryDelay = 1000;
          setConnection('live', 'live');
        },
        closed: function () { if (mine === generation && $('connection').dataset.state === 'live') setConnection('reconnecting', 'disconnected'); }
      }
    });
    follow(mine);
  }

  // ---- rendering ----

  function badge(status) { return el('span', { class: 'status', 'data-status': status }, [status]); }

  function row(inv) {
    var c = inv.client || {};
    var s = inv.sender;
    var w = inv.waba;
    var attrs = { 'data-id': inv.id, 'data-status': inv.status, 'data-client': c.id || '' };
    if (changed.has(inv.id)) attrs.class = 'changed';
    return el('tr', attrs, [
      el('td', {}, [badge(inv.status), inv.failureReason ? el('div', { class: 'sub' }, [inv.failureReason]) : null]),
      el('td', {}, [c.name || '—', c.externalId ? el('div', { class: 'sub' }, [c.externalId]) : null]),
      el('td', {}, s ? [s.phoneNumber || s.displayName || s.id, ' ', badge(s.status)] : ['—']),
      el('td', {}, w ? [w.name || w.wabaId, ' ', badge(w.status)] : ['—']),
      el('td', { class: 'sub' }, [inv.flow.replace(/_/g, ' ').toLowerCase()]),
      el('td', { class: 'sub' }, [new Date(inv.updatedAt).toLocaleString()])
    ]);
  }

  function section(provider, list) {
    var counts = {};
    list.forEach(function (inv) { counts[inv.status] = (counts[inv.status] || 0) + 1; });
    var summary = STATUS_ORDER.filter(function (s) { return counts[s]; })
      .map(function (s) { return el('span', { class: 'sub' }, [badge(s), ' ', counts[s]]); });
    var head = el('h2', {}, [provider, el('span', { class: 'sub' }, [list.length + (list.length === 1 ? ' invitation' : ' invitations')])].concat(summary));
    if (!list.length) return el('section', { 'data-provider': provider }, [head, el('p', { class: 'empty' }, ['No invitations.'])]);
    list.sort(function (a, b) {
      return STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || (a.updatedAt < b.updatedAt ? 1 : -1);
    });
    var header = el('tr', {}, ['Status', 'Client', 'Sender', 'WABA', 'Flow', 'Updated'].map(function (t) { return el('th', {}, [t]); }));
    return el('section', { 'data-provider': provider }, [head, el('table', {}, [el('thead', {}, [header]), el('tbody', {}, list.map(row))])]);
  }

  function render() {
    var byProvider = {};
    PROVIDERS.forEach(function (p) { byProvider[p] = []; });
    rows.forEach(function (inv) { (byProvider[inv.provider] = byProvider[inv.provider] || []).push(inv); });
    $('board').replaceChildren.apply($('board'), Object.keys(byProvider).map(function (p) { return section(p, byProvider[p]); }));
    changed.clear();
  }

  // ---- the token form ----

  $('token-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var value = $('token').value.trim().replace(/^Bearer\s+/i, '');
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    $('token').value = '';
    notice('', '');
    start();
  });
  $('forget').addEventListener('click', function () {
    sessionStorage.removeItem(TOKEN_KEY);
    notice('', '');
    start();
  });

  start();
})();
