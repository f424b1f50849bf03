// bspgraph's GraphiQL: the vendored GraphiQL (global `GraphiQL`, with its bundled
// graphql-ws client) and explorer plugin, talking to /graphql and to /graphql/ws for
// subscriptions. The Authorization header set in the Headers tab goes with every HTTP
// request and, for subscriptions, in the WebSocket's `connection_init` payload.
(function () {
  'use strict';

  var DEFAULT_QUERY = [
    '# bspgraph: one GraphQL API over WhatsApp onboarding',
    '# at SendZen, Zavu and Sinch.',
    '#',
    '# Auth: optional in dev mode; otherwise put an API key',
    '# or client token in the Headers tab below:',
    '#   { "Authorization": "Bearer bspg_..." }',
    '#',
    '# Run (Ctrl-Enter) for the onboarding state: clients',
    '# with invitations, senders and WABAs. Live: /board',
    '',
    'query Onboarding {',
    '  clients(first: 20) {',
    '    totalCount',
    '    edges {',
    '      node {',
    '        id',
    '        name',
    '        externalId',
    '        invitations(first: 10) {',
    '          edges {',
    '            node { id provider flow status url failureReason updatedAt }',
    '          }',
    '        }',
    '        senders { id provider phoneNumber displayName status }',
    '        wabas { id provider wabaId name status }',
    '      }',
    '    }',
    '  }',
    '  providers { provider mode healthy }',
    '}',
    ''
  ].join('\n');

  var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws';
  var base = GraphiQL.createFetcher({ url: location.origin + '/graphql', subscriptionUrl: wsUrl });

  // The server reads `Authorization` (or `authToken`) from the connection_init payload:
  // whatever the case the user typed the header in, send it as `Authorization`.
  function normalised(headers) {
    var out = {};
    Object.keys(headers || {}).forEach(function (name) {
      out[name.toLowerCase() === 'authorization' ? 'Authorization' : name] = headers[name];
    });
    return out;
  }

  function fetcher(params, opts) {
    var options = Object.assign({}, opts || {});
    options.headers = normalised(options.headers);
    return base(params, options);
  }

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
      shouldPersistHeaders: false
    })
  );
})();
