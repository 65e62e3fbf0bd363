// Drive jsforce against the connector sandbox and print one JSON object of check results.
// Input (environment): SANDBOX_URL, ACCESS_TOKEN, API_VERSION, REPORT_ID, EXT_FIELD.
// The sandbox CA is trusted through NODE_EXTRA_CA_CERTS, set by the caller.
'use strict';

const jsforce = require('jsforce');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

async function main() {
  const conn = new jsforce.Connection({
    instanceUrl: env('SANDBOX_URL'),
    accessToken: env('ACCESS_TOKEN'),
    version: env('API_VERSION'),
  });
  const reportId = env('REPORT_ID');
  const extField = env('EXT_FIELD');
  const results = {};
  const check = async (name, body) => {
    try {
      results[name] = { ok: true, value: await body() };
    } catch (err) {
      results[name] = { ok: false, error: `${err.name}: ${err.message}` };
    }
  };

  await check('identity', async () => {
    const identity = await conn.identity();
    return { user_id: identity.user_id, organization_id: identity.organization_id };
  });
  await check('query_paging', async () => {
    const first = await conn.query('SELECT Id FROM Contact');
    let fetched = first.records.length;
    let pages = 1;
    let next = first.nextRecordsUrl;
    while (next) {
      const page = await conn.queryMore(next);
      fetched += page.records.length;
      pages += 1;
      next = page.nextRecordsUrl;
    }
    return { totalSize: first.totalSize, fetched, pages };
  });
  await check('describe', async () => {
    const described = await conn.sobject('Contact').describe();
    return { name: described.name, hasEmail: described.fields.some((f) => f.name === 'Email') };
  });
  const report = conn.analytics.report(reportId);
  await check('report_sync', async () => {
    const run = await report.execute({ details: true });
    return { rows: run.factMap['T!T'].rows.length, allData: run.allData };
  });
  await check('report_async', async () => {
    const created = await report.executeAsync({ details: true });
    let polled = await report.instance(created.id).retrieve();
    for (let attempt = 0; polled.attributes.status !== 'Success' && attempt < 10; attempt += 1) {
      polled = await report.instance(created.id).retrieve();
    }
    const listed = await report.instances();
    return {
      status: polled.attributes.status,
      rows: polled.factMap['T!T'].rows.length,
      listed: listed.some((item) => item.id === created.id),
    };
  });
  const tasks = conn.sobject('Task');
  const keys = [1, 2].map((n) => `jsforce-probe-${Date.now()}-${n}`);
  let ids = [];
  await check('collections_upsert', async () => {
    const records = keys.map((key) => ({ [extField]: key, Subject: 'Call' }));
    const saved = await tasks.upsert(records, extField);
    ids = saved.map((item) => item.id);
    return saved.map((item) => ({ success: item.success, created: item.created }));
  });
  await check('collections_retrieve', async () => {
    const records = await tasks.retrieve(ids, { fields: ['Id', 'Subject'] });
    return records.map((record) => record && record.Subject);
  });
  await check('collections_update', async () => {
    const saved = await tasks.update(ids.map((Id) => ({ Id, Subject: 'Call: updated' })));
    return saved.map((item) => item.success);
  });
  await check('collections_delete', async () => {
    const deleted = await tasks.destroy(ids);
    return deleted.map((item) => item.success);
  });
  process.stdout.write(JSON.stringify(results));
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
