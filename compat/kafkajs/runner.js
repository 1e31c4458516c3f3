// kafkajs runner: admin, a keyed producer, group consumers with eachMessage
// and eachBatch, gzip (built in) and snappy (kafkajs-snappy), and, with
// COMPAT_SCHEMA_REGISTRY, @kafkajs/confluent-schema-registry registering,
// encoding and decoding through Gregor's registry. Usage:
// node runner.js checks|matrix, with COMPAT_BOOTSTRAP, COMPAT_PREFIX and
// COMPAT_MANIFEST from compat/run. kafkajs consumes only through a consumer
// group: it has no assign().
'use strict'

const fs = require('fs')
const { Kafka, logLevel, CompressionTypes, CompressionCodecs } = require('kafkajs')
// Snappy comes from the kafkajs-snappy codec package (pure JavaScript), as
// kafkajs's documentation recommends; lz4 and zstd packages need native builds.
CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy')

const CLIENT = 'kafkajs'
const BOOTSTRAP = process.env.COMPAT_BOOTSTRAP || '127.0.0.1:9092'
const PREFIX = process.env.COMPAT_PREFIX || 'compat'
const MANIFEST = process.env.COMPAT_MANIFEST || ''
const REGISTRY = process.env.COMPAT_SCHEMA_REGISTRY || ''
const MATRIX_RECORDS = 20
const CODEC_TYPES = { gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD }

const kafka = new Kafka({
  clientId: 'compat-kafkajs',
  brokers: [BOOTSTRAP],
  logLevel: logLevel.WARN,
  logCreator: () => ({ namespace, level, label, log }) => {
    process.stderr.write(`${label} [${namespace}] ${log.message} ${JSON.stringify(log)}\n`)
  },
  retry: { retries: 3, initialRetryTime: 200 },
})

// --- results ----------------------------------------------------------------

class CheckFailed extends Error {
  constructor (message) {
    super(message)
    this.name = 'CheckFailed'
  }
}

function expect (cond, message) {
  if (!cond) throw new CheckFailed(message)
}

async function check (name, fn, timeoutMs = 30000) {
  process.stderr.write(`-- ${name}\n`)
  let timer
  const deadline = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000}s`)), timeoutMs)
  })
  try {
    await Promise.race([fn(), deadline])
    console.log(`PASS ${CLIENT} ${name}`)
  } catch (e) {
    process.stderr.write(`${name}: ${e && e.stack}\n`)
    const reason = `${e && e.name}: ${e && e.message}`.split(/\s+/).join(' ').slice(0, 300)
    console.log(`FAIL ${CLIENT} ${name}: ${reason}`)
  } finally {
    clearTimeout(timer)
  }
}

const topicName = name => `${PREFIX}-${CLIENT}-${name}`
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function waitFor (what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs
  while (!(await fn())) {
    if (Date.now() > end) throw new CheckFailed(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

async function withAdmin (fn) {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

async function createTopic (topic, numPartitions, configEntries = []) {
  await withAdmin(async admin => {
    const created = await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1, configEntries }], waitForLeaders: true })
    expect(created, `createTopics(${topic}) returned ${created}`)
  })
}

async function withProducer (fn, options = {}) {
  const producer = kafka.producer(options)
  await producer.connect()
  try {
    return await fn(producer)
  } finally {
    await producer.disconnect()
  }
}

// consumeGroup runs a group consumer on topics until done(records) says so,
// then disconnects it (which commits). mode is eachMessage or eachBatch.
// Records: { topic, partition, offset, key, value, headers }.
async function consumeGroup (groupId, topics, mode, done, timeoutMs) {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, retry: { retries: 2 } })
  const got = []
  const toRecord = (topic, partition, m) => ({
    topic,
    partition,
    offset: Number(m.offset),
    key: m.key && m.key.toString(),
    value: m.value && m.value.toString(),
    raw: m.value,
    headers: Object.fromEntries(Object.entries(m.headers || {}).map(([k, v]) => [k, v.toString()])),
  })
  let crashed = null
  consumer.on(consumer.events.CRASH, e => { crashed = e.payload.error })
  try {
    await consumer.connect()
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true })
    if (mode === 'eachMessage') {
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => { got.push(toRecord(topic, partition, message)) },
      })
    } else {
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          for (const m of batch.messages) {
            got.push(toRecord(batch.topic, batch.partition, m))
            resolveOffset(m.offset)
          }
          await heartbeat()
        },
      })
    }
    await waitFor('the group consumer to read its records', () => {
      if (crashed) throw crashed
      return done(got)
    }, timeoutMs)
    await sleep(300) // a duplicate would arrive now
    return got
  } finally {
    await consumer.disconnect()
  }
}

// --- keyed records ------------------------------------------------------------

const keyedRecords = () => Array.from({ length: 30 }, (_, i) => ({
  key: `key-${i % 5}`, value: `value-${i}`, headers: { origin: CLIENT },
}))

// checkKeyedRead: each key in one partition, each partition in produce order
// at offsets 0, 1, 2..., every record once with its header.
function checkKeyedRead (got) {
  const want = new Map(keyedRecords().map(r => [r.value, r]))
  expect(got.length === want.size, `read ${got.length} records, want ${want.size}`)
  const keyPartition = new Map(); const nextOffset = new Map(); const last = new Map(); const seen = new Set()
  for (const r of got) {
    const w = want.get(r.value)
    expect(w, `unexpected value ${r.value}`)
    expect(!seen.has(r.value), `${r.value} read twice`)
    seen.add(r.value)
    expect(r.key === w.key && JSON.stringify(r.headers) === JSON.stringify(w.headers),
      `${r.value}: key ${r.key} headers ${JSON.stringify(r.headers)}`)
    expect(!keyPartition.has(r.key) || keyPartition.get(r.key) === r.partition, `key ${r.key} in two partitions`)
    keyPartition.set(r.key, r.partition)
    expect(r.offset === (nextOffset.get(r.partition) || 0), `partition ${r.partition}: offset ${r.offset}, want ${nextOffset.get(r.partition) || 0}`)
    nextOffset.set(r.partition, r.offset + 1)
    const index = Number(r.value.split('-')[1])
    expect(!last.has(r.partition) || index > last.get(r.partition), `partition ${r.partition}: ${r.value} after value-${last.get(r.partition)}`)
    last.set(r.partition, index)
  }
}

// --- checks ---------------------------------------------------------------------

async function checkAdmin () {
  const a = topicName('admin-a'); const b = topicName('admin-b')
  await withAdmin(async admin => {
    const created = await admin.createTopics({
      topics: [
        { topic: a, numPartitions: 2, replicationFactor: 1 },
        { topic: b, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
      ],
      waitForLeaders: true,
    })
    expect(created === true, `createTopics returned ${created}`)
    const again = await admin.createTopics({ topics: [{ topic: a, numPartitions: 2 }] })
    expect(again === false, `createTopics of an existing topic returned ${again}, want false`)
    const listed = await admin.listTopics()
    expect(listed.includes(a) && listed.includes(b), `listTopics lacks ${a} or ${b}`)
    const { brokers } = await admin.describeCluster()
    expect(brokers.length === 1, `describeCluster: ${JSON.stringify(brokers)}, want one broker`)
    const id = brokers[0].nodeId
    const meta = await admin.fetchTopicMetadata({ topics: [b] })
    const parts = meta.topics[0].partitions
    expect(parts.length === 3 && parts.every(p => p.leader === id && `${p.replicas}` === `${id}` && `${p.isr}` === `${id}`),
      `metadata of ${b}: ${JSON.stringify(parts)}, want each led by broker ${id}`)
    const offsets = await admin.fetchTopicOffsets(b)
    expect(offsets.length === 3 && offsets.every(o => o.offset === '0' && o.high === '0' && o.low === '0'),
      `fetchTopicOffsets of an empty topic: ${JSON.stringify(offsets)}`)
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: b, configNames: ['retention.ms'] }] })
    const entry = configs.resources[0].configEntries.find(e => e.configName === 'retention.ms')
    expect(entry && entry.configValue === '3600000', `retention.ms = ${entry && entry.configValue}`)
    await admin.deleteTopics({ topics: [a, b], timeout: 10000 })
    await waitFor('deleted topics to leave listTopics', async () => {
      const now = await admin.listTopics()
      return !now.includes(a) && !now.includes(b)
    }, 10000)
  })
}

// checkKeyedProducer sends one keyed record with a header per send(): each
// answer names the partition and the next offset there; the partition
// offsets add up. (What kafkajs wrote is read back by the group checks and,
// for the gzip topic, by every other client in the codec matrix.)
async function checkKeyedProducer () {
  const topic = topicName('keyed')
  await createTopic(topic, 3)
  const next = new Map(); const keyPartition = new Map()
  await withProducer(async producer => {
    for (const r of keyedRecords()) {
      const [meta] = await producer.send({ topic, acks: -1, messages: [r] })
      expect(meta.errorCode === 0, `send ${r.value}: error ${meta.errorCode}`)
      const want = next.get(meta.partition) || 0
      expect(Number(meta.baseOffset) === want, `${r.value} at ${meta.partition}/${meta.baseOffset}, want offset ${want}`)
      next.set(meta.partition, want + 1)
      expect(!keyPartition.has(r.key) || keyPartition.get(r.key) === meta.partition, `key ${r.key} in two partitions`)
      keyPartition.set(r.key, meta.partition)
    }
  })
  const offsets = await withAdmin(admin => admin.fetchTopicOffsets(topic))
  for (const o of offsets) {
    expect(Number(o.high) === (next.get(o.partition) || 0), `partition ${o.partition}: high ${o.high}, want ${next.get(o.partition) || 0}`)
  }
}

// checkIdempotent sends 100 records in 10 sends with the idempotent
// producer: each answer carries the next offset, and the log holds 100.
async function checkIdempotent () {
  const topic = topicName('idempotent')
  await createTopic(topic, 1)
  await withProducer(async producer => {
    for (let batch = 0; batch < 10; batch++) {
      const messages = Array.from({ length: 10 }, (_, i) => ({ value: `idem-${batch * 10 + i}`, partition: 0 }))
      const [meta] = await producer.send({ topic, acks: -1, messages })
      expect(meta.errorCode === 0 && Number(meta.baseOffset) === batch * 10, `send ${batch}: ${JSON.stringify(meta)}`)
    }
  }, { idempotent: true, maxInFlightRequests: 1 })
  const [offsets] = await withAdmin(admin => admin.fetchTopicOffsets(topic))
  expect(Number(offsets.high) === 100, `high watermark ${offsets.high}, want 100`)
}

// checkTransactions commits one transaction and aborts another; a group
// consumer (read committed, kafkajs's default) sees only the committed one.
async function checkTransactions () {
  const topic = topicName('txn')
  await createTopic(topic, 1)
  await withProducer(async producer => {
    for (const outcome of ['commit', 'abort']) {
      const txn = await producer.transaction()
      try {
        await txn.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `${outcome}-${i}`, partition: 0 })) })
      } catch (e) {
        await txn.abort()
        throw e
      }
      await txn[outcome]()
    }
  }, { transactionalId: topicName('txn-producer'), idempotent: true, maxInFlightRequests: 1 })
  const got = await consumeGroup(topicName('txn-reader'), [topic], 'eachMessage', got => got.length >= 5, 15000)
  expect(JSON.stringify(got.map(r => r.value)) === JSON.stringify(Array.from({ length: 5 }, (_, i) => `commit-${i}`)),
    `read committed: ${JSON.stringify(got.map(r => r.value))}`)
}

async function checkGroup (mode) {
  const topic = topicName(`group-${mode}`); const group = topicName(`group-${mode}`)
  await createTopic(topic, 3)
  await withProducer(producer => producer.send({ topic, acks: -1, messages: keyedRecords() }))
  const got = await consumeGroup(group, [topic], mode, got => got.length >= 30, 15000)
  checkKeyedRead(got)
  const committed = await withAdmin(admin => admin.fetchOffsets({ groupId: group, topics: [topic] }))
  const total = committed[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
  expect(total === 30, `committed offsets add up to ${total}, want 30`)
  const more = Array.from({ length: 5 }, (_, i) => ({ key: `key-${i}`, value: `value-${30 + i}`, headers: { origin: CLIENT } }))
  await withProducer(producer => producer.send({ topic, acks: -1, messages: more }))
  const resumed = await consumeGroup(group, [topic], mode, got => got.length >= 5, 15000)
  const values = resumed.map(r => r.value).sort()
  expect(JSON.stringify(values) === JSON.stringify(more.map(m => m.value).sort()),
    `resumed group read ${JSON.stringify(values)}: not from the committed offsets`)
}

// --- codecs and the matrix -----------------------------------------------------

const matrixTopic = (producer, codec) => `${PREFIX}-matrix-${producer}-${codec}`
const matrixRecords = (producer, codec) => Array.from({ length: MATRIX_RECORDS }, (_, i) => ({
  key: `key-${i}`, value: `${producer}/${codec}/${i}/${'0123456789'.repeat(10)}`, headers: { producer },
}))

async function checkCodec (codec) {
  requireCodec(codec)
  const topic = matrixTopic(CLIENT, codec)
  await createTopic(topic, 1)
  const messages = matrixRecords(CLIENT, codec).map(r => ({ ...r, partition: 0 }))
  const [meta] = await withProducer(producer => producer.send({ topic, acks: -1, compression: CODEC_TYPES[codec], messages }))
  expect(meta.errorCode === 0 && meta.baseOffset === '0', `send: ${JSON.stringify(meta)}`)
  const [offsets] = await withAdmin(admin => admin.fetchTopicOffsets(topic))
  expect(Number(offsets.high) === MATRIX_RECORDS, `high watermark ${offsets.high}, want ${MATRIX_RECORDS}`)
  fs.appendFileSync(MANIFEST, `${topic} ${CLIENT} ${codec}\n`)
}

function requireCodec (codec) {
  try {
    CompressionCodecs[CODEC_TYPES[codec]]()
  } catch (e) {
    throw new CheckFailed(`kafkajs has no ${codec} codec built in (${e.message}); it needs a codec package`)
  }
}

function checkMatrixRead (got, producer, codec) {
  const want = matrixRecords(producer, codec)
  expect(got.length === want.length, `read ${got.length} records, want ${want.length}`)
  got.sort((a, b) => a.offset - b.offset)
  want.forEach((w, i) => {
    const g = got[i]
    expect(g.offset === i && g.key === w.key && g.value === w.value && JSON.stringify(g.headers) === JSON.stringify(w.headers),
      `offset ${i}: ${g.offset} ${g.key} ${String(g.value).slice(0, 40)} ${JSON.stringify(g.headers)}`)
  })
}

// matrix reads every readable matrix topic with one group consumer, then
// reports each topic on its own line.
async function matrix () {
  const entries = fs.readFileSync(MANIFEST, 'utf8').split('\n').filter(Boolean)
    .map(line => line.split(' ')).filter(([, producer]) => producer !== CLIENT)
  const readable = []
  for (const [topic, producer, codec] of entries) {
    try {
      requireCodec(codec)
      readable.push([topic, producer, codec])
    } catch (e) {
      await check(`matrix-${producer}-${codec}`, async () => { throw e })
    }
  }
  if (readable.length === 0) return
  let got = null; let failure = null
  try {
    got = await consumeGroup(`${PREFIX}-kafkajs-matrix`, readable.map(([t]) => t), 'eachMessage', got =>
      readable.every(([t]) => got.filter(r => r.topic === t).length >= MATRIX_RECORDS), 20000)
  } catch (e) {
    failure = e
  }
  for (const [topic, producer, codec] of readable) {
    await check(`matrix-${producer}-${codec}`, async () => {
      if (failure) throw failure
      checkMatrixRead(got.filter(r => r.topic === topic), producer, codec)
    })
  }
}

// --- schema registry (@kafkajs/confluent-schema-registry) -------------------

const VALIDATED = [{ name: 'confluent.value.schema.validation', value: 'true' }]

// checkSchemaRegistryAvro registers an Avro schema under <topic>-value,
// produces values it encodes to a topic with broker-side validation, and
// decodes what a group consumer reads back.
async function checkSchemaRegistryAvro () {
  const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry')
  const registry = new SchemaRegistry({ host: REGISTRY })
  const topic = topicName('sr-avro')
  await createTopic(topic, 1, VALIDATED)
  const schema = { type: 'record', name: 'Reading', namespace: 'compat', fields: [{ name: 'sensor', type: 'string' }, { name: 'value', type: 'double' }] }
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `${topic}-value` })
  expect(await registry.getLatestSchemaId(`${topic}-value`) === id, 'latest schema id is not the registered one')
  const readings = [0, 1, 2, 3, 4].map(i => ({ sensor: `s${i}`, value: i / 2 }))
  const values = await Promise.all(readings.map(r => registry.encode(id, r)))
  await withProducer(p => p.send({ topic, acks: -1, messages: values.map(value => ({ value })) }))
  const got = await consumeGroup(`${topic}-g`, [topic], 'eachMessage', rs => rs.length >= readings.length, 20000)
  const decoded = await Promise.all(got.map(r => registry.decode(r.raw)))
  expect(JSON.stringify(decoded) === JSON.stringify(readings), `decoded ${JSON.stringify(decoded)}`)
}

// checkSchemaRegistryFormats registers JSON Schema and Protobuf schemas and
// round-trips a value of each through encode and decode, the decoder
// fetching the schema by id from a fresh client.
async function checkSchemaRegistryFormats () {
  const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry')
  const writer = new SchemaRegistry({ host: REGISTRY })
  const subject = topicName('sr-formats')
  const json = { type: 'object', properties: { name: { type: 'string' }, n: { type: 'integer' } }, required: ['name'] }
  const proto = 'syntax = "proto3";\npackage compat;\nmessage Point {\n  int32 x = 1;\n  int32 y = 2;\n}\n'
  const cases = [
    [SchemaType.JSON, JSON.stringify(json), { name: 'a', n: 3 }],
    [SchemaType.PROTOBUF, proto, { x: 4, y: -5 }],
  ]
  for (const [type, schema, value] of cases) {
    const { id } = await writer.register({ type, schema }, { subject: `${subject}-${type}` })
    const encoded = await writer.encode(id, value)
    expect(encoded[0] === 0 && encoded.readUInt32BE(1) === id, `${type}: wire prefix ${encoded.subarray(0, 5).toString('hex')}`)
    const decoded = await new SchemaRegistry({ host: REGISTRY }).decode(encoded)
    expect(JSON.stringify(decoded) === JSON.stringify(value), `${type}: decoded ${JSON.stringify(decoded)}`)
  }
}

// checkValidationRefuses proves a record without a schema id is refused
// by a validated topic with INVALID_RECORD.
async function checkValidationRefuses () {
  const topic = topicName('sr-refused')
  await createTopic(topic, 1, VALIDATED)
  let error = null
  try {
    await withProducer(p => p.send({ topic, acks: -1, messages: [{ value: '{"no":"schema id"}' }] }), { retry: { retries: 0 } })
  } catch (e) {
    error = e
  }
  expect(error, 'a record without a schema id was accepted')
  const type = error.type || (error.cause && error.cause.type)
  expect(type === 'INVALID_RECORD', `got ${error.name} ${type}: ${error.message}`)
}

async function checks () {
  await check('admin-create-list-offsets-delete', checkAdmin)
  await check('producer-keyed', checkKeyedProducer)
  await check('idempotent-producer', checkIdempotent)
  await check('transactions', checkTransactions, 30000)
  await check('group-each-message', () => checkGroup('eachMessage'), 40000)
  await check('group-each-batch', () => checkGroup('eachBatch'), 40000)
  for (const codec of ['gzip', 'snappy']) await check(`codec-${codec}`, () => checkCodec(codec))
  if (REGISTRY) {
    await check('schema-registry-avro-validated-topic', checkSchemaRegistryAvro, 40000)
    await check('schema-registry-json-protobuf', checkSchemaRegistryFormats)
    await check('schema-validation-refuses-records', checkValidationRefuses)
  }
}

const phase = process.argv[2]
const run = { checks, matrix }[phase]
if (!run) {
  process.stderr.write(`usage: node runner.js checks|matrix\n`)
  process.exit(2)
}
// A consumer left behind by a timed-out check must not keep the process alive.
run().then(() => process.exit(0), e => { process.stderr.write(`${e.stack}\n`); process.exit(1) })
