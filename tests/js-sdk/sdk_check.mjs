// The providers' official SDKs against bspgraph's simulators: every call must succeed
// and decode. Run by tests/api/providers_sdk.rs, which starts the simulators, prepares
// an ACTIVE Sinch sender and reads the one JSON line this prints (and what the
// simulators recorded). Any failure exits non-zero with the error on stderr.
import Zavudev from '@zavudev/sdk';
import sinch from '@sinch/conversation';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

async function zavu() {
  const client = new Zavudev({ apiKey: env('ZAVU_KEY'), baseURL: env('ZAVU_BASE'), maxRetries: 0 });
  const created = await client.invitations.create({ clientName: 'SDK Co', clientEmail: 'sdk@example.com', expiresInDays: 3 });
  const id = created.invitation.id;
  const read = await client.invitations.retrieve(id);
  const listed = [];
  for await (const inv of client.invitations.list({ limit: 1 })) listed.push(inv.id);
  const cancelled = await client.invitations.cancel(id);
  const me = await client.me.retrieve();
  const senders = [];
  for await (const s of client.senders.list()) senders.push(s.id);
  let missing = null;
  try {
    await client.invitations.retrieve('inv_missing');
  } catch (e) {
    missing = { status: e.status, error: e.error };
  }
  return {
    created: created.invitation.status,
    read: read.invitation.id === id,
    listed,
    cancelled: cancelled.invitation.status,
    project: me.project.id,
    senders,
    missing,
  };
}

async function conversation() {
  const service = new sinch.ConversationService({
    projectId: env('SINCH_PROJECT'),
    keyId: env('SINCH_KEY_ID'),
    keySecret: env('SINCH_KEY_SECRET'),
    authHostname: env('SINCH_AUTH'),
    conversationHostname: env('SINCH_CONVERSATION'),
  });
  const created = await service.app.create({
    appCreateRequestBody: {
      display_name: 'SDK app',
      channel_credentials: [{
        channel: 'WHATSAPP',
        static_bearer: { claimed_identity: env('SINCH_SENDER_ID'), token: env('SINCH_SENDER_TOKEN') },
      }],
    },
  });
  const read = await service.app.get({ app_id: created.id });
  const listed = await service.app.list({});
  return {
    id: created.id,
    status: created.channel_credentials[0].state.status,
    read: read.display_name,
    listed: listed.apps.map((a) => a.id),
  };
}

try {
  const out = { zavu: await zavu(), sinch: await conversation() };
  console.log(JSON.stringify(out));
} catch (e) {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
}
